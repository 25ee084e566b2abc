import {
  type FrameStatus,
  type Journal,
  listThreads,
  MemoryJournal,
  type NewEvent,
  type ThreadInfo,
  type ThreadQuery,
} from "@loom/core";
import { sampleEvents } from "@loom/testing";
import { describe, expect, it } from "vitest";

// The kit's `threads.filters` check proves a journal that declares `filtersThreads` (MemoryJournal
// among them); these look at what `listThreads` does over one that does not.

const ended = (type: "run.completed" | "run.failed"): NewEvent =>
  ({
    ...sampleEvents(1)[0]!,
    type,
    data: type === "run.completed" ? { text: "done" } : { error: { code: "x", message: "x" } },
  }) as NewEvent;

/** Threads `t-0`..`t-9`, written a minute apart: even ones completed, `t-3` and `t-7` failed, the rest running. */
async function journalOfTen(): Promise<MemoryJournal> {
  let now = Date.UTC(2026, 11, 1);
  const journal = new MemoryJournal({ now: () => now });
  for (let i = 0; i < 10; i++) {
    const end = i % 2 === 0 ? [ended("run.completed")] : i === 3 || i === 7 ? [ended("run.failed")] : [];
    await journal.append(`t-${i}`, [...sampleEvents(1), ...end], -1);
    now += 60_000;
  }
  return journal;
}

/** The same journal, listed as a v1 journal that knows no filters lists it: every thread, `limit` as given. */
function unfiltered(
  journal: MemoryJournal,
  options: { status?: boolean } = {},
): Journal & { asked: ThreadQuery[] } {
  const asked: ThreadQuery[] = [];
  return {
    asked,
    specificationVersion: "v1",
    append: (...a) => journal.append(...a),
    read: (...a) => journal.read(...a),
    head: (...a) => journal.head(...a),
    async *threads(query: ThreadQuery = {}) {
      asked.push(query);
      const { statuses: _s, updatedBefore: _u, ...listing } = query;
      for await (const info of journal.threads(listing)) {
        if (options.status === false) {
          const { status: _, ...rest } = info;
          yield rest;
        } else yield info;
      }
    },
    fork: (...a) => journal.fork(...a),
    close: () => journal.close(),
  };
}

async function ids(threads: AsyncIterable<ThreadInfo>): Promise<string[]> {
  const all: string[] = [];
  for await (const info of threads) all.push(info.threadId);
  return all;
}

describe("listThreads", () => {
  const queries: [string, ThreadQuery, string[]][] = [
    ["completed", { statuses: ["completed"] }, ["t-0", "t-2", "t-4", "t-6", "t-8"]],
    ["failed or running", { statuses: ["failed", "running"] }, ["t-1", "t-3", "t-5", "t-7", "t-9"]],
    ["written before t-3", { updatedBefore: Date.UTC(2026, 11, 1) + 3 * 60_000 }, ["t-0", "t-1", "t-2"]],
    [
      "completed, before t-7, two at a time after t-0",
      { statuses: ["completed"], updatedBefore: Date.UTC(2026, 11, 1) + 7 * 60_000, limit: 2, after: "t-0" },
      ["t-2", "t-4"],
    ],
    ["none", { statuses: ["cancelled"] }, []],
    ["a limit of 0", { statuses: ["completed"], limit: 0 }, []],
  ];

  it.each(queries)(
    "gives the same threads from a journal that filters and one that does not: %s",
    async (_, query, expected) => {
      const journal = await journalOfTen();
      const plain = unfiltered(journal);
      expect(await ids(listThreads(journal, query))).toEqual(expected);
      expect(await ids(listThreads(plain, query))).toEqual(expected);
      // The journal without filters was asked for its plain listing, without a limit it could not honour.
      for (const asked of plain.asked) {
        expect(asked.statuses).toBeUndefined();
        expect(asked.updatedBefore).toBeUndefined();
        expect(asked.limit).toBeUndefined();
      }
    },
  );

  it("stops reading a journal without filters once the page is full", async () => {
    const journal = await journalOfTen();
    let listed = 0;
    const plain = unfiltered(journal);
    const counting: Journal = {
      ...plain,
      async *threads(query) {
        for await (const info of plain.threads(query)) {
          listed++;
          yield info;
        }
      },
    };
    expect(await ids(listThreads(counting, { statuses: ["completed"], limit: 2 }))).toEqual(["t-0", "t-2"]);
    expect(listed).toBe(3);
  });

  it("lists a thread whose status the journal does not know under any status: the caller reads its state", async () => {
    const journal = await journalOfTen();
    const statuses: FrameStatus[] = ["cancelled"];
    expect(await ids(listThreads(unfiltered(journal, { status: false }), { statuses, limit: 3 }))).toEqual([
      "t-0",
      "t-1",
      "t-2",
    ]);
  });

  it("passes a query without filters to the journal as it is", async () => {
    const journal = await journalOfTen();
    const plain = unfiltered(journal);
    expect(await ids(listThreads(plain, { prefix: "t-", limit: 2, after: "t-4" }))).toEqual(["t-5", "t-6"]);
    expect(plain.asked).toEqual([{ prefix: "t-", limit: 2, after: "t-4" }]);
  });

  it("refuses a bad query with invalid_range, saying what it takes, before reading anything", async () => {
    const journal = await journalOfTen();
    const bad: [ThreadQuery, string][] = [
      [{ statuses: ["done" as FrameStatus] }, "statuses must be an array of idle, running, interrupted"],
      [{ statuses: "completed" as unknown as FrameStatus[] }, "statuses must be an array"],
      [{ updatedBefore: Number.NaN }, "updatedBefore must be a time in ms"],
      [{ limit: -1 }, "limit must be a non-negative integer, got -1"],
    ];
    for (const [query, words] of bad) {
      for (const target of [journal, unfiltered(journal)]) {
        const error = await ids(listThreads(target, query)).catch((e: unknown) => e);
        expect(error).toMatchObject({ code: "invalid_range" });
        expect((error as Error).message).toContain(words);
      }
      await expect(ids(journal.threads(query))).rejects.toMatchObject({ code: "invalid_range" });
    }
  });
});
