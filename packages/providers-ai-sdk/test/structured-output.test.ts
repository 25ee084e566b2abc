import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import { createAgent } from "@loom/core";
import { loadRecording, recordingPath, sseExchange, startReplayServer } from "@loom/testing";
import { convertArrayToReadableStream, MockLanguageModelV4 } from "ai/test";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { fromAiSdk } from "../src/index.js";

const Weather = z.object({ city: z.string(), celsius: z.number() });

describe("structured output through the AI SDK (responseFormat)", () => {
  it("@ai-sdk/openai chat sends it as response_format json_schema; the answer comes back typed", async () => {
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
      id: "chatcmpl-so",
      object: "chat.completion.chunk",
      created: 1,
      model: "gpt-4o",
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    const server = await startReplayServer([
      sseExchange([chunk({ role: "assistant", content: '{"city":"Oslo","celsius":3}' }), chunk({}, "stop")], {
        done: true,
      }),
    ]);
    try {
      const model = createOpenAI({ apiKey: "sk-test", baseURL: `${server.url}/v1` }).chat("gpt-4o");
      const result = await createAgent({ provider: fromAiSdk(model), output: Weather }).run("Weather?");
      expect(result.status === "completed" && result.output).toEqual({ city: "Oslo", celsius: 3 });
      const body = server.calls[0]?.body as {
        response_format: { type: string; json_schema: { name: string } };
      };
      expect(body.response_format.type).toBe("json_schema");
      expect(body.response_format.json_schema.name).toBe("agent");
    } finally {
      await server.close();
    }
  });

  it("@ai-sdk/anthropic sends output_config.format; a recorded answer (after two recorded 429s) comes back typed", async () => {
    const server = await startReplayServer(
      loadRecording(recordingPath("anthropic/messages-error-429-429-then-200.anthropic-sdk-python.json")),
    );
    try {
      const Order = z.object({
        items: z.array(z.object({ product_name: z.string(), price: z.number(), quantity: z.number().int() })),
        total: z.number(),
      });
      const model = createAnthropic({ apiKey: "k", baseURL: `${server.url}/v1` })("claude-sonnet-4-5");
      const result = await createAgent({
        provider: fromAiSdk(model, { stream: false }),
        output: Order,
        retry: { maxRetries: 2, initialDelayMs: 1, maxDelayMs: 1 },
      }).run("Extract order: 2 Green Tea at $5.50 and 1 Coffee at $3.00. Total $14.");
      expect(result.status === "completed" && result.output).toEqual({
        items: [
          { product_name: "Green Tea", price: 5.5, quantity: 2 },
          { product_name: "Coffee", price: 3, quantity: 1 },
        ],
        total: 14,
      });
      const body = server.calls[2]?.body as { output_config: { format: { type: string } }; system?: unknown };
      expect(body.output_config.format.type).toBe("json_schema");
      expect(body.system).toBeUndefined();
    } finally {
      await server.close();
    }
  });

  it("a model of another provider gets the JSON prompt as well, and responseFormat", async () => {
    const seen: { prompt: unknown; responseFormat: unknown }[] = [];
    const model = new MockLanguageModelV4({
      provider: "mistral.chat",
      modelId: "m",
      doStream: async (options) => {
        seen.push({ prompt: options.prompt, responseFormat: options.responseFormat });
        return {
          stream: convertArrayToReadableStream([
            { type: "text-start", id: "0" },
            { type: "text-delta", id: "0", delta: '{"city":"Rome","celsius":19}' },
            { type: "text-end", id: "0" },
            {
              type: "finish",
              finishReason: { unified: "stop", raw: "stop" },
              usage: {
                inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
                outputTokens: { total: 1, text: 1, reasoning: 0 },
              },
            },
          ]),
        };
      },
    });
    const provider = fromAiSdk(model);
    expect(provider.nativeStructuredOutput).toBe(false);
    const result = await createAgent({ provider, output: Weather }).run("Weather?");
    expect(result.status === "completed" && result.output).toEqual({ city: "Rome", celsius: 19 });
    expect(seen[0]?.responseFormat).toMatchObject({ type: "json", name: "agent" });
    expect(JSON.stringify(seen[0]?.prompt)).toContain("Give your final answer as one JSON value");
  });
});
