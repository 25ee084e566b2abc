import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import type { ProviderError } from "@loom/core";
import { collectParts, jsonExchange, startReplayServer, userRequest } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { fromAiSdk } from "../src/index.js";

// The AI SDK retries in generateText/streamText (maxRetries, default 2); a model's doStream does
// not. The adapter calls doStream once per Loom call, so the executor's retry policy is the only one.
describe("no retries but the executor's", () => {
  it.each([
    [
      "@ai-sdk/openai chat",
      (url: string) => createOpenAI({ baseURL: `${url}/v1`, apiKey: "k" }).chat("gpt-4o"),
    ],
    [
      "@ai-sdk/anthropic",
      (url: string) => createAnthropic({ baseURL: `${url}/v1`, apiKey: "k" })("claude-haiku-4-5"),
    ],
  ])("%s: a retryable 429 and a 503 are each one request, typed for the executor", async (_name, model) => {
    const server = await startReplayServer([
      jsonExchange(
        429,
        { error: { type: "rate_limit_error", message: "Slow down." } },
        { "retry-after": "2" },
      ),
      jsonExchange(503, { error: { type: "overloaded_error", message: "Busy." } }),
      jsonExchange(500, { error: { message: "never reached" } }),
    ]);
    try {
      const provider = fromAiSdk(model(server.url));
      const first = (await collectParts(provider, userRequest("hi")).catch(
        (e: unknown) => e,
      )) as ProviderError;
      expect(server.calls).toHaveLength(1);
      expect([first.code, first.retryable, first.retryAfterMs]).toEqual(["rate_limited", true, 2000]);
      const second = (await collectParts(provider, userRequest("hi")).catch(
        (e: unknown) => e,
      )) as ProviderError;
      expect(server.calls).toHaveLength(2);
      expect([second.code, second.retryable]).toEqual(["overloaded", true]);
      expect(server.remaining).toBe(1);
    } finally {
      await server.close();
    }
  });
});
