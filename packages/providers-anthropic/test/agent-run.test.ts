import { createAgent, readAll, tool } from "@loom/core";
import { anthropicRequestShape, loadRecording, recordingPath, startReplayServer } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createAnthropicProvider } from "../src/index.js";

const weather = tool({
  name: "get_weather",
  description: "Lookup the weather for a given city in either celsius or fahrenheit",
  input: z.object({ location: z.string(), units: z.enum(["c", "f"]) }),
  // Byte for byte what the recording's Python tool returned (json.dumps, ASCII-escaped).
  run: ({ location }) =>
    String.raw`{"location": "${location}", "temperature": "68\u00b0F", "condition": "Sunny"}`,
});

describe("a full agent run on a recorded multi-turn tool conversation", () => {
  for (const stream of [true, false]) {
    const file = `anthropic/messages-${stream ? "stream" : "nonstream"}-tool-use-then-text.anthropic-sdk-python.json`;
    it(`${stream ? "streamed" : "whole"}: a tool_use, its tool_result, then the recorded final answer`, async () => {
      const recording = loadRecording(recordingPath(file));
      const server = await startReplayServer(recording);
      try {
        const agent = createAgent({
          provider: createAnthropicProvider({
            model: "claude-haiku-4-5",
            apiKey: "k",
            baseURL: server.url,
            stream,
            defaultMaxTokens: 1024,
          }),
          tools: [weather],
        });
        const result = await agent.run("What is the weather in SF?");
        const expected = stream
          ? "The weather in San Francisco, CA is currently **68°F and Sunny**. It's a nice day!"
          : "The weather in San Francisco, CA is currently **Sunny** with a temperature of **68°F**.";
        expect(result.status === "completed" && result.text).toBe(expected);
        expect(server.calls).toHaveLength(2);
        // The second request carries the tool_use and its tool_result as the recorded client sent them.
        const shape = (body: unknown) => (anthropicRequestShape(body) as { messages: unknown }).messages;
        expect(shape(server.calls[1]!.body)).toEqual(shape(recording.exchanges[1]!.request!.body));
      } finally {
        await server.close();
      }
    });
  }

  it("a signed thinking block goes back, unchanged, on the thread's next turn", async () => {
    const thinking = loadRecording(recordingPath("anthropic/messages-stream-thinking.vercel-ai.chunks.txt"));
    const text = loadRecording(recordingPath("anthropic/messages-stream-text.vercel-ai.chunks.txt"));
    const server = await startReplayServer([...thinking.exchanges, ...text.exchanges]);
    try {
      const agent = createAgent({
        provider: createAnthropicProvider({
          model: "claude-sonnet-4-6",
          apiKey: "k",
          baseURL: server.url,
          thinking: { budgetTokens: 1024 },
        }),
      });
      const first = await agent.run("The previous result was 925. Divide it by 5.", { threadId: "thinking" });
      expect(first.status === "completed" && first.text).toBe("925 ÷ 5 = 185");
      const second = await agent.run("Thanks!", { threadId: "thinking" });
      expect(second.status).toBe("completed");
      const sent = server.calls[1]!.body as { messages: { role: string; content: unknown }[] };
      expect(sent.messages[1]).toEqual({
        role: "assistant",
        content: [
          {
            type: "thinking",
            thinking: "The previous result was 925. Now I need to divide that by 5.\n\n925 ÷ 5 = 185",
            signature:
              "EvQBCkYICxgCKkAxhD4NUKFzudtZ6NzbZdEiBACIScTzqjPViM596iWLZIk4EFKYYBj3B6Ptl3b0dcQv/VeJBNbejNWIWRBn+KPNEgz6HWtKx7p+QRgKsEoaDGjsiqfht7gTRFYHiyIwD1VSmNqHxv3wy8KEMP+LYb/TC4UH3H97tuoaADARFFcA0phdfxnzKQxFnc9lwY+dKlzUsaKSUAFeu1bDL5ikZJ1vL0Fkz6JjoFke0L/wOJRIUDUlDUOFJ1tZ3ea7g6LGE/5hwuvWgLwewdcm64d+43l7F57XrOmqNd6flI2K/oPr/4yzNgvi/EhT6Ca17BgB",
          },
          { type: "text", text: "925 ÷ 5 = 185" },
        ],
      });
      expect(sent.messages[2]).toEqual({ role: "user", content: "Thanks!" });
    } finally {
      await server.close();
    }
  });

  it("the executor retries the recorded 429, 429, then gets the 200 answer", async () => {
    const server = await startReplayServer(
      loadRecording(recordingPath("anthropic/messages-error-429-429-then-200.anthropic-sdk-python.json")),
    );
    try {
      const agent = createAgent({
        provider: createAnthropicProvider({
          model: "claude-sonnet-4-6",
          apiKey: "k",
          baseURL: server.url,
          stream: false,
        }),
        retry: { maxRetries: 3, initialDelayMs: 1, maxDelayMs: 2 },
      });
      const result = await agent.run("Extract order: 2 Green Tea at $5.50 and 1 Coffee at $3.00. Total $14.");
      expect(result.status === "completed" && JSON.parse(result.text)).toEqual({
        items: [
          { product_name: "Green Tea", price: 5.5, quantity: 2 },
          { product_name: "Coffee", price: 3, quantity: 1 },
        ],
        total: 14,
      });
      expect(server.calls).toHaveLength(3);
      const failed = (await readAll(agent.journal, result.threadId)).filter((e) => e.type === "llm.failed");
      expect(failed.map((e) => e.type === "llm.failed" && [e.data.error.code, e.data.willRetry])).toEqual([
        ["rate_limited", true],
        ["rate_limited", true],
      ]);
    } finally {
      await server.close();
    }
  });
});
