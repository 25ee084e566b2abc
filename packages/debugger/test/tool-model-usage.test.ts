import { createAgent, MemoryJournal, readAll, tool } from "@loom/core";
import { ContextDebugger, formatIteration } from "@loom/debugger";
import { ScriptedProvider } from "@loom/testing";
import { expect, it } from "vitest";
import { z } from "zod";

it("an iteration whose tools called a model shows their tokens beside the model's own", async () => {
  const summarize = tool({
    name: "summarize",
    description: "summarizes with a model",
    input: z.object({ n: z.number() }),
    run: ({ n }, { reportUsage }) => {
      reportUsage({ inputTokens: 1_000 * n, outputTokens: 50 * n }, { provider: "openai", model: "mini" });
      return "short";
    },
  });
  const journal = new MemoryJournal();
  await createAgent({
    journal,
    tools: [summarize],
    provider: new ScriptedProvider([
      {
        toolCalls: [
          { name: "summarize", args: { n: 1 } },
          { name: "summarize", args: { n: 2 } },
        ],
        usage: { inputTokens: 10, outputTokens: 2 },
      },
      { text: "done", usage: { inputTokens: 20, outputTokens: 3 } },
    ]),
  }).run("go", { threadId: "t" });
  const debug = ContextDebugger.fromEvents(await readAll(journal, "t"));
  const first = debug.explainIteration(1);
  expect(first.toolUsage).toEqual({ inputTokens: 3_000, outputTokens: 150 });
  expect(formatIteration(first)).toContain("tools' own model calls: 3,000 input tokens, 150 output tokens");
  expect(debug.explainIteration(2).toolUsage).toBeUndefined();
  expect(formatIteration(debug.explainIteration(2))).not.toContain("tools' own");
});
