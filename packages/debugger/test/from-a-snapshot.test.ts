import { createAgent, type Journal, MemoryJournal, readAll, tool } from "@loom/core";
import { ContextDebugger } from "@loom/debugger";
import { ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";

const ITERATIONS = 120;

async function longThread(): Promise<MemoryJournal> {
  const journal = new MemoryJournal();
  let n = 0;
  await createAgent({
    journal,
    system: "Count.",
    tools: [tool({ name: "add", description: "adds one", input: z.object({}), run: () => `total ${++n}` })],
    context: { windowTokens: 600, reservedOutputTokens: 50 },
    maxIterations: ITERATIONS + 2,
    maxRepeatedToolCalls: ITERATIONS + 2,
    maxNearRepeatedToolCalls: 0,
    snapshots: { everyEvents: 100 },
    provider: new ScriptedProvider({
      select: () => (n < ITERATIONS ? 0 : 1),
      turns: [{ text: "adding", toolCalls: [{ name: "add", args: {} }] }, { text: "done" }],
    }),
  }).run("count", { threadId: "t" });
  return journal;
}

/** The journal, counting the events each read returns. */
function counting(journal: Journal): { journal: Journal; read: () => number } {
  let read = 0;
  const wrapped = Object.assign(Object.create(journal) as Journal, {
    read: async function* (threadId: string, range?: { from?: number; to?: number }) {
      for await (const event of journal.read(threadId, range)) {
        read++;
        yield event;
      }
    },
  });
  return { journal: wrapped, read: () => read };
}

describe("explaining a long thread's last iterations from a snapshot", () => {
  it("explains them exactly as the whole thread does, reading only the thread's end", async () => {
    const journal = await longThread();
    const total = (await readAll(journal, "t")).length;
    const whole = await ContextDebugger.fromJournal(journal, "t");
    const { journal: watched, read } = counting(journal);
    const recent = await ContextDebugger.fromJournal(watched, "t", { lastIterations: 5 });

    expect(read()).toBeLessThan(total / 3);
    const last = whole.iterations().slice(-5);
    expect(recent.iterations().slice(-5)).toEqual(last);
    for (const n of last) expect(recent.explainIteration(n)).toEqual(whole.explainIteration(n));
    expect(recent.iterations().length).toBeLessThan(whole.iterations().length);
  });

  it("steps back through snapshots until it has enough iterations, and refuses a bad count", async () => {
    const journal = await longThread();
    const whole = await ContextDebugger.fromJournal(journal, "t");
    const recent = await ContextDebugger.fromJournal(journal, "t", { lastIterations: 60 });
    expect(recent.iterations().length).toBeGreaterThanOrEqual(60);
    for (const n of recent.iterations())
      expect(recent.explainIteration(n)).toEqual(whole.explainIteration(n));
    await expect(ContextDebugger.fromJournal(journal, "t", { lastIterations: 0 })).rejects.toThrow(
      /lastIterations must be a positive integer/,
    );
  });
});
