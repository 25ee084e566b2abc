import {
  ConfigError,
  countMessageTokens,
  createAgent,
  estimateTokenizer,
  type Journal,
  JournalError,
  KeptThreads,
  MemoryJournal,
  type ReadRange,
  readAll,
  type StoredEvent,
  type Tokenizer,
  tool,
} from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";

/**
 * A journal passing every call to `inner()` (which may change), noting each read: `read <from>` and
 * `latestSnapshot`; `failNextAppend` makes the next append fail as a lost disk would.
 */
function spied(inner: () => Journal) {
  const reads: string[] = [];
  const control = { failNextAppend: false };
  const journal: Journal = {
    specificationVersion: "v1",
    append: (threadId, events, expectedSeq) => {
      if (control.failNextAppend) {
        control.failNextAppend = false;
        return Promise.reject(new JournalError("io", "The disk is gone."));
      }
      return inner().append(threadId, events, expectedSeq);
    },
    read: (threadId, range?: ReadRange) => {
      reads.push(`read ${range?.from ?? 0}`);
      return inner().read(threadId, range);
    },
    head: (threadId) => inner().head(threadId),
    threads: (query) => inner().threads(query),
    fork: (from, atSeq, to) => inner().fork(from, atSeq, to),
    latestSnapshot: (threadId, atOrBefore) => {
      reads.push("latestSnapshot");
      return inner().latestSnapshot!(threadId, atOrBefore);
    },
    close: async () => undefined,
  };
  return { journal, reads, control };
}

/** A chat agent: each run notes a line with a tool, then answers. `requests` gets every request's messages. */
function chat(
  journal: Journal,
  extra: {
    keptThreads?: number | KeptThreads;
    snapshots?: { everyEvents: number };
    tokenizer?: Tokenizer;
  } = {},
) {
  const requests: (readonly unknown[])[] = [];
  let clock = 0;
  const agent = createAgent({
    ...extra,
    journal,
    now: () => ++clock,
    tools: [
      tool({
        name: "note",
        description: "Notes a line",
        input: z.object({ line: z.string() }),
        run: ({ line }) => `noted ${line}: ${"x".repeat(60)}`,
      }),
    ],
    context: { windowTokens: 600, reservedOutputTokens: 50 },
    maxRepeatedToolCalls: 1_000,
    maxNearRepeatedToolCalls: 0,
    provider: new ScriptedProvider({
      select: (request) => {
        requests.push(request.messages);
        return request.messages.at(-1)?.role === "tool" ? 1 : 0;
      },
      turns: [{ text: "", toolCalls: [{ name: "note", args: { line: "a line" } }] }, { text: "done" }],
    }),
  });
  return { agent, requests };
}

/** What a run's first request holds, as text. */
const firstRequestOf = (requests: (readonly unknown[])[], runs: number, run: number) =>
  JSON.stringify(requests[(requests.length / runs) * run]);

describe("the state an agent keeps between runs of a thread", () => {
  it("lets the next run read only from the event it ended at", async () => {
    const inner = new MemoryJournal();
    const { journal, reads } = spied(() => inner);
    const { agent, requests } = chat(journal);
    await agent.run("first question", { threadId: "t" });
    const head = await inner.head("t");
    reads.length = 0;
    const second = await agent.run("second question", { threadId: "t" });
    expect(second.status).toBe("completed");
    expect(reads).toEqual([`read ${head}`]);
    expect(firstRequestOf(requests, 2, 1)).toContain("first question");
  });

  it("folds in what another writer appended since", async () => {
    const inner = new MemoryJournal();
    const { journal, reads } = spied(() => inner);
    const mine = chat(journal);
    const other = chat(inner);
    await mine.agent.run("from this agent", { threadId: "t" });
    const head = await inner.head("t");
    await other.agent.run("from another agent", { threadId: "t" });
    reads.length = 0;
    await mine.agent.run("again", { threadId: "t" });
    expect(reads).toEqual([`read ${head}`]);
    const sent = JSON.stringify(mine.requests.at(-2));
    expect(sent).toContain("from another agent");
    expect(sent).toContain("from this agent");
  });

  it("loads the thread again when the journal does not end with the event the run ended at", async () => {
    let inner = new MemoryJournal();
    const { journal, reads } = spied(() => inner);
    const { agent, requests } = chat(journal);
    await agent.run("written here", { threadId: "t" });
    const head = await inner.head("t");
    // The same thread, as long, written elsewhere (a journal restored from another copy, say).
    const elsewhere = new MemoryJournal();
    await chat(elsewhere).agent.run("written elsewhere", { threadId: "t" });
    expect(await elsewhere.head("t")).toBe(head);
    inner = elsewhere;
    reads.length = 0;
    await agent.run("next", { threadId: "t" });
    expect(reads).toEqual([`read ${head}`, "latestSnapshot", "read 0"]);
    const sent = JSON.stringify(requests.at(-2));
    expect(sent).toContain("written elsewhere");
    expect(sent).not.toContain("written here");
  });

  it("keeps nothing from a run whose write failed", async () => {
    const inner = new MemoryJournal();
    const { journal, reads, control } = spied(() => inner);
    const { agent, requests } = chat(journal);
    await agent.run("durable question", { threadId: "t" });
    control.failNextAppend = true;
    await expect(agent.run("lost question", { threadId: "t" })).rejects.toThrow(/disk is gone/);
    reads.length = 0;
    await agent.run("third question", { threadId: "t" });
    expect(reads).toEqual(["latestSnapshot", "read 0"]);
    const sent = JSON.stringify(requests.at(-2));
    expect(sent).toContain("durable question");
    expect(sent).not.toContain("lost question");
  });

  it("with keptThreads: 0, loads the thread for every run", async () => {
    const inner = new MemoryJournal();
    const { journal, reads } = spied(() => inner);
    const { agent } = chat(journal, { keptThreads: 0 });
    await agent.run("one", { threadId: "t" });
    reads.length = 0;
    await agent.run("two", { threadId: "t" });
    expect(reads).toEqual(["latestSnapshot", "read 0"]);
  });

  it("drops the least recently run thread first", async () => {
    const inner = new MemoryJournal();
    const { journal, reads } = spied(() => inner);
    const { agent } = chat(journal, { keptThreads: 1 });
    await agent.run("one", { threadId: "a" });
    await agent.run("one", { threadId: "b" });
    const headB = await inner.head("b");
    reads.length = 0;
    await agent.run("two", { threadId: "a" });
    expect(reads).toEqual(["latestSnapshot", "read 0"]);
    reads.length = 0;
    await agent.run("two", { threadId: "b" });
    expect(reads).toEqual(["latestSnapshot", "read 0"]);
    expect(headB).toBeGreaterThan(0);
  });

  it("changes nothing the model is sent or the journal holds (snapshots, a small window, another writer)", async () => {
    const runAll = async (keptThreads: number) => {
      const journal = new MemoryJournal();
      const snapshots = { everyEvents: 3 };
      const mine = chat(journal, { keptThreads, snapshots });
      const other = chat(journal, { keptThreads, snapshots });
      for (let i = 0; i < 8; i++) {
        await mine.agent.run(`question ${i}: ${"y".repeat(80)}`, { threadId: "t" });
        if (i % 3 === 1) await other.agent.run(`aside ${i}`, { threadId: "t" });
      }
      // Run ids are random: the same events but for them.
      const events = JSON.parse(
        JSON.stringify(await readAll(journal, "t"), (key, value) => (key === "runId" ? undefined : value)),
      ) as StoredEvent[];
      return { requests: mine.requests, events };
    };
    const kept = await runAll(32);
    const loaded = await runAll(0);
    expect(kept.events.some((e) => e.type === "snapshot")).toBe(true);
    expect(kept.events.some((e) => e.type === "compression.applied")).toBe(true);
    expect(kept.requests).toEqual(loaded.requests);
    expect(kept.events).toEqual(loaded.events);
  });

  it("leaves the state an earlier run returned as it was", async () => {
    const { agent } = chat(new MemoryJournal());
    const first = await agent.run("one", { threadId: "t" });
    const messages = first.frame.messages.length;
    const lastSeq = first.frame.lastSeq;
    await agent.run("two", { threadId: "t" });
    expect(first.frame.messages.length).toBe(messages);
    expect(first.frame.lastSeq).toBe(lastSeq);
  });

  it("refuses a keptThreads that is not a count or a KeptThreads", () => {
    const provider = new ScriptedProvider({ turns: [{ text: "done" }] });
    expect(() => createAgent({ provider, keptThreads: -1 })).toThrow(ConfigError);
    expect(() => createAgent({ provider, keptThreads: 1.5 })).toThrow(/keptThreads/);
    expect(() => createAgent({ provider, keptThreads: {} as KeptThreads })).toThrow(/keptThreads/);
    expect(() => new KeptThreads(-1)).toThrow(ConfigError);
    expect(() => new KeptThreads(Number.NaN)).toThrow(/0 or more/);
  });

  it("shares the states it keeps with agents given the same KeptThreads (an agent per request)", async () => {
    const inner = new MemoryJournal();
    const { journal, reads } = spied(() => inner);
    const shared = new KeptThreads(8);
    await chat(journal, { keptThreads: shared }).agent.run("first question", { threadId: "t" });
    const head = await inner.head("t");
    reads.length = 0;
    const next = chat(journal, { keptThreads: shared });
    expect((await next.agent.run("second question", { threadId: "t" })).status).toBe("completed");
    expect(reads).toEqual([`read ${head}`]);
    expect(firstRequestOf(next.requests, 1, 0)).toContain("first question");
    // An agent of its own keeps its own: a new one loads the thread.
    reads.length = 0;
    await chat(journal).agent.run("third question", { threadId: "t" });
    expect(reads).toEqual(["latestSnapshot", "read 0"]);
  });

  it("gives a shared state only to an agent whose tokenizer counted it", async () => {
    const inner = new MemoryJournal();
    const { journal, reads } = spied(() => inner);
    const shared = new KeptThreads(8);
    const words: Tokenizer = { name: "words", count: (text) => text.split(/\s+/).filter(Boolean).length };
    await chat(journal, { keptThreads: shared }).agent.run("counted by the estimate", { threadId: "t" });
    reads.length = 0;
    const other = await chat(journal, { keptThreads: shared, tokenizer: words }).agent.run("by words", {
      threadId: "t",
    });
    expect(reads).toEqual(["latestSnapshot", "read 0"]);
    expect(other.frame.messages.tokenizer).toBe(words);
    const first = other.frame.messages.at(0)!;
    expect(other.frame.messages.tokensAt(0)).toBe(countMessageTokens(words, first));
    expect(countMessageTokens(words, first)).not.toBe(countMessageTokens(estimateTokenizer, first));
    // The state the words agent kept is counted by words: another words agent starts from it...
    const head = await inner.head("t");
    reads.length = 0;
    await chat(journal, { keptThreads: shared, tokenizer: words }).agent.run("words again", {
      threadId: "t",
    });
    expect(reads).toEqual([`read ${head}`]);
    // ...and the estimate's next agent loads again.
    reads.length = 0;
    await chat(journal, { keptThreads: shared }).agent.run("estimate again", { threadId: "t" });
    expect(reads).toEqual(["latestSnapshot", "read 0"]);
  });
});
