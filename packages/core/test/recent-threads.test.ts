import {
  type Journal,
  JournalError,
  listRecentThreads,
  MemoryJournal,
  type RecentThreadsQuery,
  type ThreadInfo,
} from "@loom/core";
import { sampleEvents } from "@loom/testing";
import { describe, expect, it } from "vitest";

async function ids(journal: Journal, query: RecentThreadsQuery = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const info of listRecentThreads(journal, query)) out.push(info.threadId);
  return out;
}

/** Threads written at the given times (ms), in the order given; the last write is what counts. */
async function journalWith(writes: [threadId: string, at: number][]): Promise<MemoryJournal> {
  let now = 0;
  const journal = new MemoryJournal({ now: () => now });
  for (const [threadId, at] of writes) {
    now = at;
    const head = await journal.head(threadId);
    await journal.append(threadId, sampleEvents(1, { start: head + 1 }), head);
  }
  return journal;
}

describe("listRecentThreads", () => {
  it("lists by last activity, most recent first, ties by the greater id, over a journal without its own order", async () => {
    const journal = await journalWith([
      ["a", 10],
      ["b", 20],
      ["c", 30],
      ["a", 40], // a written again: now the most recent
      ["d", 30], // the same time as c: the greater id first
    ]);
    expect((journal as Journal).recentThreads).toBeUndefined();
    expect(await ids(journal)).toEqual(["a", "d", "c", "b"]);
  });

  it("pages with `before` (the last listed thread) without losing or repeating a thread", async () => {
    const writes: [string, number][] = Array.from({ length: 23 }, (_, i) => [
      `t-${String(i).padStart(2, "0")}`,
      100 + (i % 7), // many ties
    ]);
    const journal = await journalWith(writes);
    const all = await ids(journal);
    expect(all).toHaveLength(23);
    const pages: string[] = [];
    let before: { updatedAt: number; threadId: string } | undefined;
    for (;;) {
      const page: ThreadInfo[] = [];
      for await (const info of listRecentThreads(journal, { limit: 5, ...(before ? { before } : {}) }))
        page.push(info);
      pages.push(...page.map((t) => t.threadId));
      if (page.length < 5) break;
      before = { updatedAt: page.at(-1)!.updatedAt, threadId: page.at(-1)!.threadId };
    }
    expect(pages).toEqual(all);
    // Sorted as promised, every step.
    const infos: ThreadInfo[] = [];
    for await (const info of listRecentThreads(journal)) infos.push(info);
    for (let i = 1; i < infos.length; i++) {
      const [a, b] = [infos[i - 1]!, infos[i]!];
      expect(a.updatedAt > b.updatedAt || (a.updatedAt === b.updatedAt && a.threadId > b.threadId)).toBe(
        true,
      );
    }
  });

  it("applies prefix and statuses", async () => {
    const journal = await journalWith([
      ["x-1", 1],
      ["y-1", 2],
      ["x-2", 3],
    ]);
    expect(await ids(journal, { prefix: "x-" })).toEqual(["x-2", "x-1"]);
    // sampleEvents(1) is a run.started: every thread is running.
    expect(await ids(journal, { statuses: ["completed"] })).toEqual([]);
    expect(await ids(journal, { statuses: ["running"], limit: 2 })).toEqual(["x-2", "y-1"]);
  });

  it("uses the journal's own order when it has one", async () => {
    const inner = await journalWith([["a", 1]]);
    const seen: RecentThreadsQuery[] = [];
    const journal: Journal = Object.assign(Object.create(inner) as Journal, {
      async *recentThreads(query: RecentThreadsQuery = {}) {
        seen.push(query);
        yield* [];
      },
    });
    expect(await ids(journal, { limit: 3 })).toEqual([]);
    expect(seen).toEqual([{ limit: 3 }]);
  });

  it("a bad query is a JournalError invalid_range saying what", async () => {
    const journal = new MemoryJournal();
    const bad = [
      { limit: -1 },
      { statuses: ["sleeping"] },
      { before: { updatedAt: Number.NaN, threadId: "a" } },
      { before: "a" },
    ] as unknown as RecentThreadsQuery[];
    for (const query of bad) {
      const error = await ids(journal, query).catch((e: unknown) => e);
      expect(JournalError.isInstance(error) && error.code).toBe("invalid_range");
    }
  });
});
