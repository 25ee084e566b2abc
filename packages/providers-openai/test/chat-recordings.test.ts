import { openaiChatCases, providerConformance } from "@loom/testing/vitest";
import { createOpenAIProvider } from "../src/index.js";

providerConformance(
  "openai chat completions",
  ({ baseURL, modelId, stream, apiKey, timeoutMs }) =>
    createOpenAIProvider({ model: modelId, baseURL, stream, apiKey, timeoutMs }),
  openaiChatCases(),
);
