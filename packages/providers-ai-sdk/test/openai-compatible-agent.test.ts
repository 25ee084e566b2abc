import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { createAgent, MemoryJournal, readAll, tool } from "@loom/core";
import { type CompatibleServer, startCompatibleServer } from "@loom/testing";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { fromAiSdk } from "../src/index.js";

let server: CompatibleServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("a Loom agent on a local OpenAI-compatible server through @ai-sdk/openai-compatible", () => {
  it.each([true, false])(
    "stream: %s: a tool call, then the final answer, journaled; no API key sent",
    async (stream) => {
      server = await startCompatibleServer();
      const local = createOpenAICompatible({ name: "local", baseURL: server.baseURL, includeUsage: true });
      const journal = new MemoryJournal();
      const ran: string[] = [];
      const agent = createAgent({
        provider: fromAiSdk(local.chatModel("qwen3:8b"), { stream }),
        journal,
        tools: [
          tool({
            name: "get_weather",
            description: "The weather in a city.",
            input: z.object({ city: z.string() }),
            run: ({ city }) => {
              ran.push(city);
              return "12°C";
            },
          }),
        ],
      });
      const result = await agent.run("What is the weather in Paris?");
      expect(result.status).toBe("completed");
      expect(result.status === "completed" && result.text).toBe("It is 12°C in Paris.");
      expect(ran).toEqual(["Paris"]);

      expect(server.calls).toHaveLength(2);
      for (const call of server.calls) {
        expect(call.path).toBe("/v1/chat/completions");
        expect(call.headers.authorization).toBeUndefined();
        expect(call.body.model).toBe("qwen3:8b");
        expect(call.body.stream ?? false).toBe(stream);
      }
      // The second request carries the tool call and its result back.
      const second = server.calls[1]!.body.messages as Record<string, unknown>[];
      expect(second.map((m) => m.role)).toEqual(["user", "assistant", "tool"]);
      expect(second[1]!.tool_calls).toEqual([
        {
          id: "call_local_1",
          type: "function",
          function: { name: "get_weather", arguments: '{"city":"Paris"}' },
        },
      ]);
      expect(second[2]).toMatchObject({ role: "tool", tool_call_id: "call_local_1", content: "12°C" });

      const events = await readAll(journal, result.threadId);
      const completed = events.flatMap((e) => (e.type === "llm.completed" ? [e.data] : []));
      expect(completed.map((d) => d.finishReason.unified)).toEqual(["tool-calls", "stop"]);
      expect(completed.map((d) => d.usage)).toEqual([
        { inputTokens: 21, outputTokens: 7, reasoningTokens: 0, cachedInputTokens: 0 },
        { inputTokens: 23, outputTokens: 7, reasoningTokens: 0, cachedInputTokens: 0 },
      ]);
      expect(events.filter((e) => e.type === "tool.completed")).toHaveLength(1);
    },
  );
});
