import {
  createAgent,
  deleteThread,
  type Journal,
  JournalConflictError,
  JournalError,
  MemoryJournal,
  type PruneProgress,
  pruneThreads,
  readAll,
  ThreadBusyError,
  type ThreadInfo,
  type ThreadQuery,
} from "@loom/core";
import { HITLHook } from "@loom/hooks";
import { blockingTool, type OPTIONAL_JOURNAL_MEMBERS, plainJournal, ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";

const DAY = 24 * 60 * 60_000;

/** A journal whose clock the test moves, so threads can be written "days ago". */
function clockedJournal() {
  let now = Date.UTC(2026, 10, 1);
  const journal = new MemoryJournal({ now: () => now });
  return {
    journal,
    advance: (ms: number) => {
      now += ms;
    },
    now: () => now,
  };
}

const answering = (journal: Journal) =>
  createAgent({
    journal,
    provider: new ScriptedProvider({ mode: "conversation", turns: [{ text: "ok" }, { text: "ok again" }] }),
  });

/** The same journal, with of its optional methods only acquire, deleteThread and latestSnapshot, less those named. */
function without(journal: MemoryJournal, ...dropped: (typeof OPTIONAL_JOURNAL_MEMBERS)[number][]): Journal {
  return plainJournal(
    journal,
    ...(["acquire", "deleteThread", "latestSnapshot"] as const).filter((k) => !dropped.includes(k)),
  );
}

describe("deleteThread", () => {
  it("deletes a finished thread; the id then starts a new conversation", async () => {
    const journal = new MemoryJournal();
    await answering(journal).run("first", { threadId: "t" });
    await answering(journal).run("other", { threadId: "u" });
    expect(await deleteThread(journal, "t")).toBe(true);
    expect(await journal.head("t")).toBe(-1);
    expect(await deleteThread(journal, "t")).toBe(false);
    const again = await answering(journal).run("second", { threadId: "t" });
    expect(again.status).toBe("completed");
    const inputs = (await readAll(journal, "t"))
      .filter((e) => e.type === "run.started")
      .map((e) => e.data.input);
    expect(inputs).toEqual(["second"]);
    expect((await readAll(journal, "u")).length).toBeGreaterThan(0);
  });

  it("refuses a thread a run of this process holds, even on a journal without leases, and deletes nothing", async () => {
    const memory = new MemoryJournal();
    const journal = without(memory, "acquire");
    const blocking = blockingTool();
    const provider = new ScriptedProvider([
      { toolCalls: [{ id: "c1", name: blocking.tool.name, args: {} }] },
      { text: "done" },
    ]);
    const run = createAgent({ journal, provider, tools: [blocking.tool] }).run("go", { threadId: "t" });
    await blocking.started;
    const error = await deleteThread(journal, "t").catch((e: unknown) => e);
    expect(ThreadBusyError.isInstance(error)).toBe(true);
    expect((error as ThreadBusyError).message).toContain("another run in this process");
    blocking.finish();
    expect((await run).status).toBe("completed");
    expect((await readAll(journal, "t")).at(-1)?.type).toBe("run.completed");
    expect(await deleteThread(journal, "t")).toBe(true);
  });

  it("keeps a run of this process off a thread while it is being deleted", async () => {
    const journal = new MemoryJournal();
    await answering(journal).run("first", { threadId: "t" });
    const deleting = deleteThread(journal, "t");
    const error = await answering(journal)
      .run("meanwhile", { threadId: "t" })
      .catch((e: unknown) => e);
    expect(ThreadBusyError.isInstance(error)).toBe(true);
    expect(await deleting).toBe(true);
    expect(await journal.head("t")).toBe(-1);
  });

  it("with expectedSeq, refuses a thread that moved on (journal_conflict) and deletes nothing", async () => {
    const journal = new MemoryJournal();
    await answering(journal).run("first", { threadId: "t" });
    const head = await journal.head("t");
    await answering(journal).run("second", { threadId: "t" });
    const error = await deleteThread(journal, "t", { expectedSeq: head }).catch((e: unknown) => e);
    expect(JournalConflictError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(`was not deleted: its last seq is ${await journal.head("t")}`);
    expect(await journal.head("t")).toBeGreaterThan(head);
  });

  it("says what is wrong: a journal that cannot delete, a bad id, a bad expectedSeq", async () => {
    const journal = new MemoryJournal();
    const unsupported = await deleteThread(without(journal, "deleteThread"), "t").catch((e: unknown) => e);
    expect(JournalError.isInstance(unsupported) && unsupported.code).toBe("not_supported");
    expect((unsupported as Error).message).toContain("this journal cannot delete threads");
    await expect(deleteThread(journal, "../x")).rejects.toMatchObject({ code: "invalid_thread_id" });
    await expect(deleteThread(journal, "t", { expectedSeq: -2 })).rejects.toMatchObject({
      code: "invalid_range",
    });
  });
});

describe("pruneThreads", () => {
  /** Threads of every kind, written 40 days ago unless named "new-". */
  async function journalOfEveryKind() {
    const clock = clockedJournal();
    const { journal } = clock;
    await answering(journal).run("a", { threadId: "old-completed" });
    await createAgent({
      journal,
      provider: new ScriptedProvider([
        { failFirst: [{ code: "bad_request", retryable: false }], text: "never" },
      ]),
    })
      .run("b", { threadId: "old-failed" })
      .catch(() => undefined);
    await createAgent({
      journal,
      provider: new ScriptedProvider([{ toolCalls: [{ id: "c1", name: "charge", args: {} }] }]),
      tools: [blockingTool({ name: "charge" }).tool],
      hooks: [HITLHook({ tools: ["charge"] })],
    }).run("c", { threadId: "old-waiting" });
    clock.advance(40 * DAY);
    await answering(journal).run("d", { threadId: "new-completed" });
    return clock;
  }

  it("deletes finished threads older than the cutoff, and keeps new ones and those waiting for a human", async () => {
    const { journal } = await journalOfEveryKind();
    const statuses = Object.fromEntries((await list(journal)).map((t) => [t.threadId, t.status]));
    expect(statuses).toEqual({
      "new-completed": "completed",
      "old-completed": "completed",
      "old-failed": "failed",
      "old-waiting": "interrupted",
    });
    const progress: PruneProgress[] = [];
    const result = await pruneThreads(journal, {
      olderThanMs: 30 * DAY,
      now: () => Date.UTC(2026, 10, 1) + 40 * DAY,
      onProgress: (p) => progress.push(p),
    });
    expect(result.deleted.map((t) => t.threadId)).toEqual(["old-completed", "old-failed"]);
    // The journal's listing already leaves out the new thread and the one waiting for a human.
    expect(result.scanned).toBe(2);
    expect(result.skipped).toEqual([]);
    expect(progress.map((p) => [p.threadId, p.outcome, p.deleted])).toEqual([
      ["old-completed", "deleted", 1],
      ["old-failed", "deleted", 2],
    ]);
    expect((await list(journal)).map((t) => t.threadId)).toEqual(["new-completed", "old-waiting"]);
  });

  it("a dry run names the same threads and deletes none; naming a status takes those threads too", async () => {
    const { journal, now } = await journalOfEveryKind();
    const dry = await pruneThreads(journal, {
      olderThanMs: 30 * DAY,
      now,
      dryRun: true,
      statuses: ["interrupted"],
    });
    expect(dry.dryRun).toBe(true);
    expect(dry.deleted.map((t) => t.threadId)).toEqual(["old-waiting"]);
    expect(await list(journal)).toHaveLength(4);
    const real = await pruneThreads(journal, { olderThanMs: 30 * DAY, now, statuses: ["interrupted"] });
    expect(real.deleted.map((t) => t.threadId)).toEqual(["old-waiting"]);
    expect((await list(journal)).map((t) => t.threadId)).toEqual([
      "new-completed",
      "old-completed",
      "old-failed",
    ]);
  });

  it("skips a thread that a run holds, and one that took events after it was listed", async () => {
    const clock = clockedJournal();
    const { journal } = clock;
    for (const id of ["a", "b", "c"]) await answering(journal).run("x", { threadId: id });
    clock.advance(2 * DAY);
    const held = await journal.acquire("a");
    // The listing is read, then "b" is carried on before it is looked at: it was listed at its old head.
    const listedThenChanged: Journal = {
      ...without(journal),
      threads: async function* (query?: ThreadQuery) {
        yield* journal.threads(query);
        await answering(journal).run("more", { threadId: "b" });
      },
    };
    const result = await pruneThreads(listedThenChanged, { olderThanMs: DAY, now: clock.now });
    await held.release();
    expect(result.skipped).toEqual([
      { threadId: "a", reason: "busy" },
      { threadId: "b", reason: "changed" },
    ]);
    expect(result.deleted.map((t) => t.threadId)).toEqual(["c"]);
    expect((await list(journal)).map((t) => t.threadId)).toEqual(["a", "b"]);
    const b = await readAll(journal, "b");
    expect(b.filter((e) => e.type === "run.completed")).toHaveLength(2);
  });

  it("reads each candidate's state when the journal does not report statuses", async () => {
    const { journal: memory, now } = await journalOfEveryKind();
    const journal: Journal = {
      ...without(memory),
      threads: (query?: ThreadQuery) => withoutStatus(memory.threads(query)),
    };
    const result = await pruneThreads(journal, { olderThanMs: 30 * DAY, now });
    expect(result.deleted.map((t) => t.threadId)).toEqual(["old-completed", "old-failed"]);
  });

  it("goes through every page of a long listing, and stops between threads when its signal aborts", async () => {
    const clock = clockedJournal();
    const { journal } = clock;
    const agent = answering(journal);
    for (let i = 0; i < 1_203; i++) await agent.run("x", { threadId: `t-${String(i).padStart(4, "0")}` });
    clock.advance(2 * DAY);
    const stop = new AbortController();
    const first = await pruneThreads(journal, {
      olderThanMs: DAY,
      now: clock.now,
      signal: stop.signal,
      onProgress: (p) => {
        if (p.scanned === 700) stop.abort();
      },
    });
    expect(first).toMatchObject({ scanned: 700, stopped: true });
    expect(first.deleted).toHaveLength(700);
    const rest = await pruneThreads(journal, { olderThanMs: DAY, now: clock.now });
    expect(rest).toMatchObject({ scanned: 503, stopped: false });
    expect(rest.deleted).toHaveLength(503);
    expect(await list(journal)).toEqual([]);
  });

  it("olderThanMs: 0 takes a thread written in the same millisecond as the cutoff, through a filtering journal and a plain one", async () => {
    for (const plain of [false, true]) {
      const clock = clockedJournal();
      await answering(clock.journal).run("x", { threadId: "now" });
      const journal = plain ? without(clock.journal) : clock.journal;
      const result = await pruneThreads(journal, { olderThanMs: 0, now: clock.now });
      expect(result.deleted.map((t) => t.threadId)).toEqual(["now"]);
    }
  });

  it("refuses a bad age, and a journal that cannot delete unless it is a dry run", async () => {
    const journal = new MemoryJournal();
    await expect(pruneThreads(journal, { olderThanMs: -1 })).rejects.toMatchObject({ code: "invalid_range" });
    await expect(pruneThreads(journal, { olderThanMs: Number.NaN })).rejects.toMatchObject({
      code: "invalid_range",
    });
    await expect(pruneThreads(without(journal, "deleteThread"), { olderThanMs: 0 })).rejects.toMatchObject({
      code: "not_supported",
    });
    expect(
      (await pruneThreads(without(journal, "deleteThread"), { olderThanMs: 0, dryRun: true })).scanned,
    ).toBe(0);
  });
});

async function list(journal: Journal): Promise<ThreadInfo[]> {
  const all: ThreadInfo[] = [];
  for await (const info of journal.threads()) all.push(info);
  return all;
}

async function* withoutStatus(threads: AsyncIterable<ThreadInfo>): AsyncIterable<ThreadInfo> {
  for await (const { status: _, ...info } of threads) yield info;
}
