import {
  createAgent,
  type EventOfType,
  MemoryJournal,
  type Message,
  type Provider,
  readAll,
  type StoredEvent,
  summarizeOlderTurns,
  tool,
} from "@loom/core";
import { ScriptedProvider, type ScriptedTurn } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { unsealed } from "./helpers.js";

// A summarizing strategy after a crash: the journal is the cache. Cut the journal after every
// event and resume in a fresh agent: the resumed run asks for no summary the journal already holds,
// and sends the model exactly what the uncut run sent. In one long turn, every request keeps the
// user's task.

const THREAD = "long-task";
const ITERATIONS = 10;

/**
 * A summarizer that counts its calls. Its summary depends only on what it was given (as a model at
 * temperature 0 would, ideally), so the requests of a resumed run can be compared with the uncut
 * run's; the count shows a summary asked for twice.
 */
function summarizer() {
  const calls: string[] = [];
  const provider: Provider = {
    specificationVersion: "v1",
    provider: "summarizer",
    modelId: "counting",
    async *doStream(request) {
      calls.push(String(request.messages.at(-1)?.content));
      yield {
        type: "finish",
        message: {
          role: "assistant",
          content: `Summary of ${String(request.messages.at(-1)?.content).length} characters: searched a few terms.`,
        },
        usage: { inputTokens: 10, outputTokens: 5 },
        finishReason: { unified: "stop", raw: "stop" },
      };
    },
  };
  return { provider, calls };
}

const search = tool({
  name: "search",
  description: "Searches",
  input: z.object({ q: z.string() }),
  idempotent: true,
  run: ({ q }) => `result for ${q}: ${"lorem ".repeat(12)}`,
});

/** The model's turn is picked from the last tool result: compression hides earlier answers. */
function model(): ScriptedProvider {
  const turns: ScriptedTurn[] = [
    ...Array.from({ length: ITERATIONS }, (_, i) => ({
      text: `Looking up term ${i} next, ${"because it matters ".repeat(3)}`,
      toolCalls: [{ id: `s${i}`, name: "search", args: { q: `term${i}` } }],
    })),
    { text: "All terms looked up." },
  ];
  return new ScriptedProvider({
    turns,
    select: (request) => {
      const last = request.messages.at(-1)!;
      const match = last.role === "tool" ? /result for term(\d+)/.exec(last.content) : null;
      return match ? Number(match[1]) + 1 : 0;
    },
  });
}

function agentOn(journal: MemoryJournal) {
  const summary = summarizer();
  const main = model();
  const agent = createAgent({
    journal,
    provider: main,
    tools: [search],
    maxIterations: ITERATIONS + 2,
    context: { windowTokens: 420, reservedOutputTokens: 20 },
    compression: summarizeOlderTurns({ provider: summary.provider, keepTurns: 2 }),
  });
  return { agent, summary, main };
}

const compressions = (events: readonly StoredEvent[]) =>
  events.filter((e): e is EventOfType<"compression.applied"> => e.type === "compression.applied");
const distinctCuts = (events: readonly StoredEvent[]) =>
  new Set(compressions(events).map((e) => `${e.data.strategy}\n${e.data.keepFrom}`));

describe("a summarizing strategy after a crash", () => {
  it("resumed at every cut, asks for no summary the journal holds and sends what the uncut run sent", async () => {
    const journal = new MemoryJournal();
    const uncut = agentOn(journal);
    const result = await uncut.agent.run(`Look up every term. ${"Be thorough. ".repeat(4)}`, {
      threadId: THREAD,
    });
    expect(result.status).toBe("completed");
    const events = await readAll(journal, THREAD);
    const cuts = distinctCuts(events);
    // The strategy summarized several times, once per part of the history.
    expect(cuts.size).toBeGreaterThan(2);
    expect(uncut.summary.calls.length).toBe(cuts.size);

    let resumedWithSummaries = 0;
    for (let k = 1; k < events.length; k++) {
      const prefix = events.slice(0, k);
      const cut = new MemoryJournal();
      await cut.append(THREAD, prefix.map(unsealed), -1);
      const resumed = agentOn(cut);
      const done = await resumed.agent.resume(THREAD);
      const where = `cut after ${k} events (last: ${prefix.at(-1)!.type})`;
      expect(done.status, where).toBe("completed");
      // Summaries the journal held are recalled: only the parts never summarized before the cut cost a call.
      const journaled = distinctCuts(prefix);
      const needed = [...cuts].filter((c) => !journaled.has(c)).length;
      expect(resumed.summary.calls.length, where).toBe(needed);
      if (journaled.size > 0) resumedWithSummaries++;
      // And the model gets exactly the requests the uncut run sent it, from where the cut left off.
      const answered = prefix.filter((e) => e.type === "llm.completed").length;
      expect(
        resumed.main.requests.map((r) => r.messages),
        where,
      ).toEqual(uncut.main.requests.slice(answered).map((r) => r.messages));
    }
    expect(resumedWithSummaries).toBeGreaterThan(10);
  });

  it("keeps the user's task in every request of one long turn", async () => {
    const journal = new MemoryJournal();
    const { agent, main } = agentOn(journal);
    const task = `Look up every term. ${"Be thorough. ".repeat(4)}`;
    await agent.run(task, { threadId: THREAD });
    expect(main.requests.length).toBe(ITERATIONS + 1);
    const summarized = main.requests.filter((r) =>
      r.messages.some((m) => m.content.startsWith("Summary of")),
    );
    expect(summarized.length).toBeGreaterThan(3);
    for (const request of main.requests) {
      const firstNonSystem = request.messages.find((m: Message) => m.role !== "system");
      expect(firstNonSystem).toEqual({ role: "user", content: task });
    }
  });
});
