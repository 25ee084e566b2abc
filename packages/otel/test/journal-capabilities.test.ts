import {
  createAgent,
  deleteThread,
  type Journal,
  listRecentThreads,
  MemoryJournal,
  type ThreadInfo,
} from "@loom/core";
import { OPTIONAL_JOURNAL_MEMBERS, ScriptedProvider } from "@loom/testing";
import { journalConformance } from "@loom/testing/vitest";
import { describe, expect, it } from "vitest";
import { tracedJournal } from "../src/index.js";
import { memoryTracer } from "./helpers.js";

// The traced journal is a journal: the kit checks it as any other, what it declares included.
journalConformance(
  "tracedJournal(MemoryJournal)",
  {
    newStorage: () => null,
    open: () => tracedJournal(new MemoryJournal(), { tracer: memoryTracer().tracer }),
  },
  {
    optOut: {
      durability: "MemoryJournal keeps events in process memory; nothing outlives the instance",
      processes: "MemoryJournal lives in one process",
    },
  },
);

describe("tracedJournal keeps what the journal offers", () => {
  it("every optional capability of the journal is offered by the traced one, and nothing more", () => {
    const inner = new MemoryJournal();
    const innerWithRecent: Journal = Object.assign(Object.create(inner) as Journal, {
      recentThreads: (query: unknown) => listRecentThreads(inner, query as never),
    });
    for (const journal of [inner, innerWithRecent] as Journal[]) {
      const traced = tracedJournal(journal, { tracer: memoryTracer().tracer });
      for (const key of OPTIONAL_JOURNAL_MEMBERS) {
        expect(typeof traced[key], key).toBe(typeof journal[key]);
      }
    }
  });

  it("a resume through it starts from the journal's last snapshot, and a thread deleted through it is gone", async () => {
    const inner = new MemoryJournal();
    const snapshotsAsked: string[] = [];
    const counting: Journal = Object.assign(Object.create(inner) as Journal, {
      latestSnapshot: (threadId: string, atOrBefore?: number) => {
        snapshotsAsked.push(threadId);
        return inner.latestSnapshot(threadId, atOrBefore);
      },
    });
    const journal = tracedJournal(counting, { tracer: memoryTracer().tracer });
    const turns = Array.from({ length: 12 }, (_, i) => ({ text: `answer ${i}` }));
    const agentOn = () =>
      createAgent({
        journal,
        provider: new ScriptedProvider({ turns, mode: "conversation" }),
        snapshots: { everyEvents: 5, sizeRatio: 1e9 },
      });
    const first = agentOn();
    for (let i = 0; i < 4; i++) await first.run(`question ${i}`, { threadId: "long" });
    // A new agent (another process's view): nothing kept in memory, the state is loaded.
    snapshotsAsked.length = 0;
    await agentOn().run("one more", { threadId: "long" });
    expect(snapshotsAsked).toContain("long");

    expect(await deleteThread(journal, "long")).toBe(true);
    const left: ThreadInfo[] = [];
    for await (const info of journal.threads()) left.push(info);
    expect(left).toEqual([]);
  });
});
