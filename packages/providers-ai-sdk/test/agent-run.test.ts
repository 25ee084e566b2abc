import { createOpenAI } from "@ai-sdk/openai";
import { createAgent, MemoryJournal, readAll, tool } from "@loom/core";
import { loadRecording, recordingPath, startReplayServer } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { fromAiSdk } from "../src/index.js";

describe("a Loom agent through an AI SDK model on a recorded multi-step conversation", () => {
  it("@ai-sdk/openai responses, store: false: the encrypted reasoning item rides along to the next turns", async () => {
    const server = await startReplayServer(
      loadRecording(recordingPath("openai/responses-stream-reasoning-tools-multistep.vercel-ai.chunks.txt")),
    );
    try {
      const openai = createOpenAI({ apiKey: "sk-test", baseURL: `${server.url}/v1` });
      const journal = new MemoryJournal();
      const ran: string[] = [];
      const agent = createAgent({
        provider: fromAiSdk(openai.responses("gpt-5.1-codex-max")),
        journal,
        settings: { providerOptions: { openai: { store: false, reasoningEffort: "high" } } },
        tools: [
          tool({
            name: "calculator",
            description: "A minimal calculator for basic arithmetic. Call it once per step.",
            input: z.object({
              a: z.number(),
              b: z.number(),
              op: z.enum(["add", "subtract", "multiply", "divide"]),
            }),
            run: ({ a, b, op }) => {
              ran.push(`${a} ${op} ${b}`);
              return { add: a + b, subtract: a - b, multiply: a * b, divide: a / b }[op];
            },
          }),
        ],
      });
      const result = await agent.run("What is (12 + 7) * 3 * 10? Use the calculator, one step per call.");
      expect(result.status === "completed" && result.text).toBe("The final result is **570**.");
      expect(ran).toEqual(["12 add 7", "19 multiply 3", "57 multiply 10"]);
      expect(server.calls).toHaveLength(4);
      expect((server.calls[0]!.body as { store?: unknown; include?: unknown }).store).toBe(false);
      for (const call of server.calls.slice(1)) {
        const input = (call.body as { input: { type?: string; id?: string; encrypted_content?: string }[] })
          .input;
        const reasoning = input.filter((item) => item.type === "reasoning");
        expect(reasoning).toHaveLength(1);
        expect(reasoning[0]?.id).toBe("rs_01830d662ab3856501693c321405c88190be3ab04d5782d5f9");
        // The AI SDK keeps the item as output_item.done has it.
        expect(reasoning[0]?.encrypted_content).toMatch(/^gAAAAABpPDIVOKrsHNZ0/);
      }
      const events = await readAll(journal, result.threadId);
      const completed = events.flatMap((e) => (e.type === "llm.completed" ? [e.data] : []));
      expect(completed.map((d) => d.finishReason.unified)).toEqual([
        "tool-calls",
        "tool-calls",
        "tool-calls",
        "stop",
      ]);
      expect(completed.map((d) => d.usage.inputTokens)).toEqual([134, 221, 260, 299]);
      expect(events.filter((e) => e.type === "tool.completed")).toHaveLength(3);
    } finally {
      await server.close();
    }
  });
});
