import { anthropicMessagesCases, providerConformance } from "@loom/testing/vitest";
import { createAnthropicProvider } from "../src/index.js";

providerConformance(
  "anthropic messages",
  ({ baseURL, modelId, stream, apiKey, timeoutMs }) =>
    createAnthropicProvider({ model: modelId, baseURL, stream, apiKey, timeoutMs }),
  anthropicMessagesCases(),
);
