import { openaiChatCases, providerConformance } from "@loom/testing/vitest";
import { createFetchChatProvider } from "../src/index.js";

providerConformance(
  "openai chat completions over fetch",
  ({ baseURL, modelId, stream, apiKey, timeoutMs }) =>
    createFetchChatProvider({ model: modelId, baseURL, stream, apiKey, timeoutMs }),
  openaiChatCases(),
);
