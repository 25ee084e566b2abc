import { openaiResponsesCases, providerConformance } from "@loom/testing/vitest";
import { createOpenAIProvider } from "../src/index.js";

providerConformance(
  "openai responses",
  ({ baseURL, modelId, stream, apiKey, timeoutMs }) =>
    createOpenAIProvider({ api: "responses", model: modelId, baseURL, stream, apiKey, timeoutMs }),
  openaiResponsesCases(),
);
