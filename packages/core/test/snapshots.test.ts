import {
  ConfigError,
  createAgent,
  type ExecutionFrame,
  foldAll,
  HistoryNotLoadedError,
  loadHistory,
  loadThread,
  MemoryJournal,
  readAll,
  stateAt,
  tool,
} from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { approvingAll, unsealed } from "./helpers.js";
import { type Extra, type Ledger, scenarios, transcripts } from "./scenarios.js";

const THREAD = "snap-thread";
/** A snapshot in front of every second write, whatever its size. */
const OFTEN: Extra = { snapshots: { everyEvents: 2, sizeRatio: 1e9 } };

/** A frame as plain data (histories read whole), to compare two ways of computing one state. */
function plain(frame: ExecutionFrame): unknown {
  const { messages, children, contents, failures, compressions, ...rest } = frame;
  return JSON.parse(
    JSON.stringify({
      ...rest,
      messages: messages.toArray(),
      tokens: messages.totalTokens,
      contents: [...contents].sort(),
      failures: [...failures],
      compressions: [...compressions],
      children: Object.fromEntries(Object.entries(children).map(([id, c]) => [id, plain(c)])),
    }),
  );
}

describe("snapshots", () => {
  for (const scenario of scenarios) {
    it(`${scenario.name}: from every snapshot, every state equals the fold from the first event, and every cut resumes to the uncut result`, async () => {
      const journal = new MemoryJournal();
      const ledger: Ledger = new Map();
      const agent = scenario.make(journal, ledger, OFTEN);
      const uncut = await approvingAll(agent, THREAD, agent.run(scenario.input, { threadId: THREAD }));
      expect(uncut.status).toBe("completed");
      if (uncut.status !== "completed") return;
      const events = await readAll(journal, THREAD);
      const snapshots = events.filter((e) => e.type === "snapshot");
      expect(snapshots.length).toBeGreaterThan(2);
      // Never last in a write: the thread's status is a real event's.
      expect(events.at(-1)!.type).not.toBe("snapshot");
      const expected = transcripts(await loadHistory(uncut.frame));
      for (const count of ledger.values()) expect(count).toBe(1);

      for (let seq = 0; seq < events.length; seq++) {
        const folded = foldAll(THREAD, events.slice(0, seq + 1));
        const loaded = await stateAt(journal, THREAD, seq);
        expect(plain(await loadHistory(loaded)), `state at ${seq}`).toEqual(plain(folded));
      }

      for (let k = 1; k <= events.length; k++) {
        const prefix = events.slice(0, k);
        const cut = new MemoryJournal();
        await cut.append(THREAD, prefix.map(unsealed), -1);
        const resumedLedger: Ledger = new Map();
        const resumed = scenario.make(cut, resumedLedger, OFTEN);
        const result = await approvingAll(resumed, THREAD, resumed.resume(THREAD));
        const where = `${scenario.name}, cut after ${k} events (last: ${prefix.at(-1)!.type})`;
        expect(result.status, where).toBe("completed");
        if (result.status !== "completed") continue;
        expect(result.text, where).toBe(uncut.text);
        expect(transcripts(await loadHistory(result.frame)), where).toEqual(expected);
        const keys = new Map<string, string>();
        for (const e of prefix)
          if (e.type === "tool.started") keys.set(`${e.frameId}/${e.data.callId}`, e.data.idempotencyKey);
        for (const e of prefix) {
          const key = e.type === "tool.completed" ? keys.get(`${e.frameId}/${e.data.callId}`) : undefined;
          if (key !== undefined) expect(resumedLedger.get(key), `${where}: ${key} ran again`).toBeUndefined();
        }
      }
    });
  }
});

/** An agent counting up with one tool call per iteration; its model sees only the newest messages. */
function counter(
  journal: MemoryJournal,
  iterations: number,
  requests: unknown[],
  extra: Extra = {},
  calls = 0,
) {
  let n = calls;
  return createAgent({
    ...extra,
    journal,
    tools: [
      tool({
        name: "add",
        description: "Adds one",
        input: z.object({ step: z.number() }),
        run: ({ step }) => `total ${step}: ${"x".repeat(40)}`,
      }),
    ],
    context: { windowTokens: 400, reservedOutputTokens: 50 },
    maxIterations: iterations + 5,
    maxRepeatedToolCalls: iterations + 5,
    maxNearRepeatedToolCalls: 0,
    provider: new ScriptedProvider({
      select: (request) => {
        requests.push(request.messages);
        return n++ < iterations ? 0 : 1;
      },
      turns: [{ text: "adding", toolCalls: [{ name: "add", args: { step: 1 } }] }, { text: "done" }],
    }),
  });
}

describe("a long thread resumed from its snapshot", () => {
  it("reads the end of the journal, loads older messages only on demand, and sends the uncut run's requests", async () => {
    const journal = new MemoryJournal();
    const requests: unknown[] = [];
    const agent = counter(journal, 120, requests, { snapshots: { everyEvents: 100 } });
    await agent.run("count", { threadId: THREAD });
    const events = await readAll(journal, THREAD);
    expect(events.filter((e) => e.type === "snapshot").length).toBeGreaterThanOrEqual(5);

    // Cut the thread in the middle of the count, after a snapshot.
    const at = events.findLast((e) => e.type === "snapshot" && e.seq < events.length - 200)!.seq + 7;
    const state = await loadThread(journal, THREAD, { at });
    expect(state.messages.isLoaded()).toBe(false);
    expect(() => state.messages.toArray()).toThrow(HistoryNotLoadedError);
    expect(() => state.messages.at(1)).toThrow(expect.objectContaining({ code: "history_not_loaded" }));
    // The task of the one long turn is kept: a request that cuts the turn still carries it.
    expect(state.messages.at(0)).toEqual({ role: "user", content: "count" });
    expect(plain(await loadHistory(state))).toEqual(plain(foldAll(THREAD, events.slice(0, at + 1))));

    const cut = new MemoryJournal();
    await cut.append(THREAD, events.slice(0, at + 1).map(unsealed), -1);
    let reads = 0;
    const counting = Object.assign(Object.create(cut) as MemoryJournal, {
      read: (id: string, range?: { from?: number; to?: number }) => {
        reads += (range?.to ?? at) - (range?.from ?? 0) + 1;
        return cut.read(id, range);
      },
    });
    const resumedRequests: unknown[] = [];
    const answered = events.slice(0, at + 1).filter((e) => e.type === "llm.completed").length;
    const resumed = counter(counting, 120, resumedRequests, { snapshots: { everyEvents: 100 } }, answered);
    const result = await resumed.resume(THREAD);
    expect(result.status).toBe("completed");
    // The resume read the events after the snapshot, not the thread: the window held what it sent.
    expect(reads).toBeLessThan(120);
    expect(resumedRequests.length).toBeGreaterThan(20);
    expect(resumedRequests).toEqual(requests.slice(answered));
  });

  it("resumes under a larger window than its snapshots kept: the older messages load, and the run goes on", async () => {
    const journal = new MemoryJournal();
    const requests: unknown[] = [];
    await counter(journal, 80, requests, { snapshots: { everyEvents: 60 } }).run("count", {
      threadId: THREAD,
    });
    const events = await readAll(journal, THREAD);
    const at = events.findLast((e) => e.type === "snapshot")!.seq + 3;
    const cut = new MemoryJournal();
    await cut.append(THREAD, events.slice(0, at + 1).map(unsealed), -1);
    const answered = events.slice(0, at + 1).filter((e) => e.type === "llm.completed").length;
    const wider: unknown[] = [];
    const agent = createAgent({
      journal: cut,
      tools: [
        tool({ name: "add", description: "Adds one", input: z.object({ step: z.number() }), run: () => "x" }),
      ],
      context: { windowTokens: 100_000, reservedOutputTokens: 50 },
      maxIterations: 200,
      maxRepeatedToolCalls: 200,
      maxNearRepeatedToolCalls: 0,
      snapshots: { everyEvents: 60 },
      provider: new ScriptedProvider({
        select: (request) => {
          wider.push(request.messages);
          return answered + wider.length <= 80 ? 0 : 1;
        },
        turns: [{ text: "adding", toolCalls: [{ name: "add", args: { step: 1 } }] }, { text: "done" }],
      }),
    });
    const result = await agent.resume(THREAD);
    expect(result.status).toBe("completed");
    // The wider window sends the whole history: loaded from the journal before the first request.
    const first = wider[0] as { role: string; content: string }[];
    expect(first[0]).toEqual({ role: "user", content: "count" });
    expect(first.length).toBeGreaterThan((requests[answered] as unknown[]).length);
  });

  it("ignores a snapshot counted by another tokenizer, and never writes one with snapshots: false", async () => {
    const journal = new MemoryJournal();
    await counter(journal, 60, [], { snapshots: { everyEvents: 50 } }).run("count", { threadId: THREAD });
    const events = await readAll(journal, THREAD);
    expect(events.some((e) => e.type === "snapshot")).toBe(true);
    const other = await loadThread(journal, THREAD, { tokenizer: { name: "other", count: (t) => t.length } });
    expect(other.messages.isLoaded()).toBe(true);
    expect(other.messages.totalTokens).toBeGreaterThan(
      (await loadThread(journal, THREAD)).messages.totalTokens,
    );

    const off = new MemoryJournal();
    await counter(off, 60, [], { snapshots: false }).run("count", { threadId: THREAD });
    expect((await readAll(off, THREAD)).some((e) => e.type === "snapshot")).toBe(false);
  });

  it("writes a snapshot only while it is no bigger than what was written since the last one", async () => {
    const journal = new MemoryJournal();
    // Events of ~200 bytes, a window of 400 tokens: every 20 events are smaller than the snapshot.
    await counter(journal, 60, [], { snapshots: { everyEvents: 20 } }).run("count", { threadId: THREAD });
    const events = await readAll(journal, THREAD);
    let previous = -1;
    for (const snapshot of events.filter((e) => e.type === "snapshot")) {
      const since = events
        .slice(previous + 1, snapshot.seq)
        .reduce((n, e) => n + JSON.stringify(e).length, 0);
      expect(JSON.stringify(snapshot.data).length).toBeLessThanOrEqual(since * 1.5);
      previous = snapshot.seq;
    }
    expect(events.filter((e) => e.type === "snapshot").length).toBeGreaterThan(0);
    expect(events.filter((e) => e.type === "snapshot").length).toBeLessThan(events.length / 20);
  });

  it("refuses bad snapshot options with a ConfigError saying what is allowed", () => {
    const make = (snapshots: unknown) =>
      createAgent({
        provider: new ScriptedProvider({ turns: [{ text: "hi" }] }),
        snapshots: snapshots as never,
      });
    expect(() => make({ everyEvents: 0 })).toThrow(ConfigError);
    expect(() => make({ every: 10 })).toThrow(/snapshots/);
    expect(() => make(true)).toThrow(ConfigError);
    expect(() => make(false)).not.toThrow();
  });
});
