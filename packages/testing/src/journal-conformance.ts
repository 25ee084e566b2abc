import {
  EVENT_VERSION,
  type Journal,
  JournalConflictError,
  JournalError,
  LoomError,
  type NewEvent,
  readAll,
  type StoredEvent,
  ThreadBusyError,
} from "@loom/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sampleEvents } from "./sample-events.js";

export interface JournalConformanceOptions {
  /** Called after each test with the journal it used (after `close()`), to drop its storage. */
  readonly destroy?: (journal: Journal) => Promise<void> | void;
  /** Writers racing on one thread in the concurrency test. Default 10. */
  readonly concurrentWriters?: number;
}

const BAD_THREAD_IDS: readonly [string, string][] = [
  ["a parent path", "../x"],
  ["an empty id", ""],
  ["a 10 kB id", "x".repeat(10_240)],
  ["a NUL byte", "a\u0000b"],
  ["a path separator", "a/b"],
  ["a backslash", "a\\b"],
  ["a dot-dot id", ".."],
];

/**
 * The conformance suite every `Journal` runs, ours and third parties'. Call it at the top level of a
 * vitest file with a factory that returns a fresh, empty journal. Journals that implement `acquire`
 * (thread leases) also run the lease tests; the factory is called once while tests are collected to
 * find out (that journal is closed and destroyed unused).
 */
export function journalConformance(
  name: string,
  factory: () => Journal | Promise<Journal>,
  options: JournalConformanceOptions = {},
): void {
  describe(`journal conformance: ${name}`, () => {
    let journal: Journal;
    let closed = false;

    beforeEach(async () => {
      journal = await factory();
      closed = false;
    });
    afterEach(async () => {
      if (!closed) await journal.close();
      await options.destroy?.(journal);
    });

    it("declares specificationVersion v1", () => {
      expect(journal.specificationVersion).toBe("v1");
    });

    it("has nothing for a thread never written: head -1, empty read", async () => {
      expect(await journal.head("never-written")).toBe(-1);
      expect(await readAll(journal, "never-written")).toEqual([]);
    });

    it("appends and reads back events with thread id and gapless seqs", async () => {
      const events = sampleEvents(6);
      expect(await journal.append("t-basic", events.slice(0, 1), -1)).toEqual({ lastSeq: 0 });
      expect(await journal.append("t-basic", events.slice(1, 4), 0)).toEqual({ lastSeq: 3 });
      expect(await journal.append("t-basic", events.slice(4), 3)).toEqual({ lastSeq: 5 });
      expect(await journal.head("t-basic")).toBe(5);
      const stored = await readAll(journal, "t-basic");
      expect(stored.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(stored).toEqual(events.map((e, seq) => ({ ...e, threadId: "t-basic", seq })));
    });

    it("keeps what was appended even if the caller changes its objects afterwards", async () => {
      const events = sampleEvents(3);
      await journal.append("t-copy", events, -1);
      (events[0] as { data: { input: string } }).data.input = "changed";
      const stored = await readAll(journal, "t-copy");
      expect((stored[0] as Extract<StoredEvent, { type: "run.started" }>).data.input).not.toBe("changed");
    });

    it("refuses a stale or future expectedSeq with JournalConflictError and stores nothing", async () => {
      await journal.append("t-conflict", sampleEvents(2), -1);
      for (const expected of [-1, 0, 2, 7]) {
        const error = await journal
          .append("t-conflict", sampleEvents(1, { start: 2 }), expected)
          .catch((e) => e);
        expect(JournalConflictError.isInstance(error), `expectedSeq ${expected}`).toBe(true);
        expect((error as JournalConflictError).code).toBe("journal_conflict");
      }
      expect(await journal.head("t-conflict")).toBe(1);
      expect(await journal.append("t-conflict", sampleEvents(1, { start: 2 }), 1)).toEqual({ lastSeq: 2 });
    });

    it("stores a batch atomically: a batch with one malformed event stores none of it", async () => {
      await journal.append("t-atomic", sampleEvents(1), -1);
      const batch = sampleEvents(4, { start: 1 });
      const broken = [
        ...batch.slice(0, 2),
        { ...batch[2], type: "no.such.type" } as unknown as NewEvent,
        batch[3]!,
      ];
      const error = await journal.append("t-atomic", broken, 0).catch((e) => e);
      expect(LoomError.isInstance(error)).toBe(true);
      expect(await journal.head("t-atomic")).toBe(0);
      expect(await readAll(journal, "t-atomic")).toHaveLength(1);
      expect(await journal.append("t-atomic", batch, 0)).toEqual({ lastSeq: 4 });
    });

    it("reads inclusive ranges", async () => {
      await journal.append("t-range", sampleEvents(10), -1);
      const seqs = async (range: { from?: number; to?: number }) =>
        (await readAll(journal, "t-range", range)).map((e) => e.seq);
      expect(await seqs({ from: 3 })).toEqual([3, 4, 5, 6, 7, 8, 9]);
      expect(await seqs({ to: 2 })).toEqual([0, 1, 2]);
      expect(await seqs({ from: 4, to: 6 })).toEqual([4, 5, 6]);
      expect(await seqs({ from: 9, to: 9 })).toEqual([9]);
      expect(await seqs({ from: 10 })).toEqual([]);
      expect(await seqs({ from: 5, to: 100 })).toEqual([5, 6, 7, 8, 9]);
      const error = await readAll(journal, "t-range", { from: -1 }).catch((e) => e);
      expect(JournalError.isInstance(error)).toBe(true);
    });

    it("lists threads in id order with counts, by prefix, and in pages that cover every thread once", async () => {
      const ids = ["p-a", "p-b", "p-c", "p-d", "p-e", "q-a"];
      for (const [i, id] of ids.entries()) await journal.append(id, sampleEvents(i + 1), -1);
      const all = [];
      for await (const info of journal.threads()) all.push(info);
      expect(all.map((t) => t.threadId)).toEqual(ids);
      expect(all.map((t) => t.eventCount)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(all.map((t) => t.lastSeq)).toEqual([0, 1, 2, 3, 4, 5]);
      for (const t of all) {
        expect(t.createdAt).toBeTypeOf("number");
        expect(t.updatedAt).toBeGreaterThanOrEqual(t.createdAt);
      }
      const prefixed = [];
      for await (const info of journal.threads({ prefix: "p-" })) prefixed.push(info.threadId);
      expect(prefixed).toEqual(ids.slice(0, 5));
      const paged: string[] = [];
      let after: string | undefined;
      for (let page = 0; page < 10; page++) {
        const got: string[] = [];
        for await (const info of journal.threads({ prefix: "p-", limit: 2, ...(after ? { after } : {}) })) {
          got.push(info.threadId);
        }
        if (got.length === 0) break;
        expect(got.length).toBeLessThanOrEqual(2);
        paged.push(...got);
        after = got.at(-1);
      }
      expect(paged).toEqual(ids.slice(0, 5));
    });

    it("forks a thread at a seq into a new thread, leaving the original untouched", async () => {
      await journal.append("t-src", sampleEvents(8), -1);
      await journal.fork("t-src", 4, "t-fork");
      const forked = await readAll(journal, "t-fork");
      expect(forked.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4]);
      expect(forked.every((e) => e.threadId === "t-fork")).toBe(true);
      const original = await readAll(journal, "t-src");
      expect(forked.map(({ threadId: _, ...e }) => e)).toEqual(
        original.slice(0, 5).map(({ threadId: _, ...e }) => e),
      );
      expect(await journal.append("t-fork", sampleEvents(1, { start: 5 }), 4)).toEqual({ lastSeq: 5 });
      expect(await journal.head("t-src")).toBe(7);
    });

    it("refuses to fork from a missing thread, past its head, or into an existing thread", async () => {
      await journal.append("t-src2", sampleEvents(3), -1);
      await journal.append("t-taken", sampleEvents(1), -1);
      for (const [from, at, to] of [
        ["t-missing", 0, "t-new1"],
        ["t-src2", 3, "t-new2"],
        ["t-src2", -1, "t-new3"],
        ["t-src2", 1, "t-taken"],
      ] as const) {
        const error = await journal.fork(from, at, to).catch((e) => e);
        expect(JournalError.isInstance(error), `${from}@${at}->${to}`).toBe(true);
      }
      expect(await journal.head("t-taken")).toBe(0);
      expect(await journal.head("t-new2")).toBe(-1);
    });

    for (const [what, id] of BAD_THREAD_IDS) {
      it(`refuses a thread id with ${what} (invalid_thread_id), creating nothing`, async () => {
        const calls: [string, () => Promise<unknown>][] = [
          ["append", () => journal.append(id, sampleEvents(1), -1)],
          ["read", () => readAll(journal, id)],
          ["head", () => journal.head(id)],
          ["fork to", () => journal.fork("t-ok", 0, id)],
        ];
        await journal.append("t-ok", sampleEvents(1), -1);
        for (const [op, call] of calls) {
          const error = await call().catch((e) => e);
          expect(JournalError.isInstance(error), op).toBe(true);
          expect((error as JournalError).code, op).toBe("invalid_thread_id");
        }
        const listed = [];
        for await (const info of journal.threads()) listed.push(info.threadId);
        expect(listed).toEqual(["t-ok"]);
      });
    }

    it("lets exactly one of many concurrent writers win each seq", async () => {
      const writers = options.concurrentWriters ?? 10;
      const rounds = 5;
      for (let round = 0; round < rounds; round++) {
        const expected = round - 1;
        const results = await Promise.allSettled(
          Array.from({ length: writers }, (_, w) =>
            journal.append(
              "t-race",
              [{ ...sampleEvents(1, { start: round })[0]!, runId: `writer-${w}` }],
              expected,
            ),
          ),
        );
        const won = results.filter((r) => r.status === "fulfilled");
        expect(won).toHaveLength(1);
        for (const lost of results.filter((r) => r.status === "rejected")) {
          expect(JournalConflictError.isInstance((lost as PromiseRejectedResult).reason)).toBe(true);
        }
      }
      const stored = await readAll(journal, "t-race");
      expect(stored.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4]);
    });

    it("reports the root status after the last event when it tracks one", async () => {
      await journal.append("t-status", sampleEvents(2), -1);
      await journal.append(
        "t-status",
        [
          {
            v: EVENT_VERSION,
            runId: "run-1",
            ts: 1,
            frameId: "root",
            depth: 0,
            iteration: 1,
            type: "run.completed",
            data: { text: "done" },
          },
        ],
        1,
      );
      for await (const info of journal.threads({ prefix: "t-status" })) {
        if (info.status !== undefined) expect(info.status).toBe("completed");
      }
    });

    it("refuses work after close() with a JournalError", async () => {
      await journal.close();
      closed = true;
      const error = await journal.append("t-closed", sampleEvents(1), -1).catch((e) => e);
      expect(JournalError.isInstance(error)).toBe(true);
    });
  });

  describe(`journal conformance: ${name}: thread leases (acquire)`, async () => {
    const probe = await factory();
    const leases = typeof probe.acquire === "function";
    await probe.close();
    await options.destroy?.(probe);
    if (leases) leaseConformance(factory, options);
  });
}

/** Tests for journals with `acquire`: one owner per thread, until it releases. */
function leaseConformance(
  factory: () => Journal | Promise<Journal>,
  options: JournalConformanceOptions,
): void {
  let journal: Journal & { acquire: NonNullable<Journal["acquire"]> };

  beforeEach(async () => {
    journal = (await factory()) as typeof journal;
  });
  afterEach(async () => {
    await journal.close();
    await options.destroy?.(journal);
  });

  const busy = async (threadId: string) => {
    const error = await journal.acquire(threadId).then(
      (lease) => lease,
      (e: unknown) => e,
    );
    expect(ThreadBusyError.isInstance(error), `acquire("${threadId}") should raise ThreadBusyError`).toBe(
      true,
    );
    expect((error as ThreadBusyError).code).toBe("thread_busy");
    expect((error as ThreadBusyError).threadId).toBe(threadId);
  };

  it("refuses a second acquire of a held thread with ThreadBusyError", async () => {
    const lease = await journal.acquire("t-lease");
    expect(lease.threadId).toBe("t-lease");
    await busy("t-lease");
    await busy("t-lease");
    await lease.release();
  });

  it("lets a released thread be acquired again", async () => {
    const first = await journal.acquire("t-lease");
    await first.release();
    const second = await journal.acquire("t-lease");
    await busy("t-lease");
    await second.release();
  });

  it("holds two threads at once", async () => {
    const [a, b] = await Promise.all([journal.acquire("t-lease-a"), journal.acquire("t-lease-b")]);
    await busy("t-lease-a");
    await busy("t-lease-b");
    await a.release();
    await busy("t-lease-b");
    await (await journal.acquire("t-lease-a")).release();
    await b.release();
  });

  it("lets only one of many concurrent acquires of a thread win", async () => {
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => journal.acquire("t-lease")));
    const won = results.filter((r) => r.status === "fulfilled");
    expect(won).toHaveLength(1);
    for (const lost of results.filter((r) => r.status === "rejected")) {
      expect(ThreadBusyError.isInstance((lost as PromiseRejectedResult).reason)).toBe(true);
    }
    await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof journal.acquire>>>).value.release();
  });

  it("makes release idempotent: a second release never frees the thread's next owner", async () => {
    const first = await journal.acquire("t-lease");
    await first.release();
    await first.release();
    const second = await journal.acquire("t-lease");
    await first.release();
    await busy("t-lease");
    await second.release();
  });

  it("lets the leaseholder append and read its thread", async () => {
    const lease = await journal.acquire("t-lease");
    expect(await journal.append("t-lease", sampleEvents(2), -1)).toEqual({ lastSeq: 1 });
    expect((await readAll(journal, "t-lease")).map((e) => e.seq)).toEqual([0, 1]);
    await lease.release();
    expect(await journal.head("t-lease")).toBe(1);
  });

  it("refuses to lease a bad thread id (invalid_thread_id)", async () => {
    for (const [what, id] of BAD_THREAD_IDS) {
      const error = await journal.acquire(id).catch((e) => e);
      expect(JournalError.isInstance(error), what).toBe(true);
      expect((error as JournalError).code, what).toBe("invalid_thread_id");
    }
  });
}
