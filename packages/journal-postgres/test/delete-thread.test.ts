import { createAgent, JournalError, type NewEvent, readAll, sealEvents, ThreadBusyError } from "@loom/core";
import { ScriptedProvider, sampleEvents } from "@loom/testing";
import { afterAll, expect, it } from "vitest";
import type { PostgresJournal } from "../src/index.ts";
import { type ThreadJobOutcome, ThreadQueue } from "../src/queue.ts";
import {
  adminPool,
  dropSchema,
  journalIn,
  lockHolder as lockHolderOf,
  snapshotEvent,
  uniqueSchema,
} from "./database.ts";

// The conformance kit's deletion.* checks run in conformance.test.ts; these look at what the kit
// cannot: the tables beside the batches, a second pool's lease, this journal's own caches, the queue.

const schema = uniqueSchema("delete");
const bossSchema = uniqueSchema("delete_boss");
const admin = adminPool();
afterAll(async () => {
  await dropSchema(admin, schema);
  await dropSchema(admin, bossSchema);
  await admin.end();
});

const completed = (): NewEvent =>
  ({ ...sampleEvents(1)[0]!, type: "run.completed", data: { text: "done" } }) as NewEvent;

const snapshot = snapshotEvent;

/** The threads listed under `prefix`: each test names its own, so one that fails leaves the others be. */
async function ids(journal: PostgresJournal, prefix: string): Promise<string[]> {
  const all: string[] = [];
  for await (const info of journal.threads({ prefix })) all.push(info.threadId);
  return all;
}

async function statusRow(threadId: string): Promise<string | null | undefined> {
  const { rows } = await admin.query<{ status: string | null }>(
    `SELECT status FROM "${schema}".threads WHERE thread_id = $1`,
    [threadId],
  );
  return rows.length === 0 ? undefined : rows[0]!.status;
}

const lockHolder = (threadId: string) => lockHolderOf(admin, schema, threadId);

async function refusal(work: Promise<unknown>): Promise<ThreadBusyError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(ThreadBusyError.isInstance(error), String(error)).toBe(true);
  return error as ThreadBusyError;
}

it("refuses a thread leased through this journal, and one leased through a second journal on another pool, with thread_busy; both keep every event and are deleted once released", async () => {
  const journal = journalIn(schema);
  const other = journalIn(schema, { poolConfig: { application_name: "loom-delete-other" } });
  const mine = sampleEvents(5);
  const theirs = sampleEvents(3);
  await journal.append("held-here", mine.slice(0, 2), -1);
  await journal.append("held-here", mine.slice(2), 1);
  await journal.append("held-there", theirs, -1);
  const here = await journal.acquire("held-here");
  const there = await other.acquire("held-there");

  const own = await refusal(journal.deleteThread("held-here"));
  expect(own.code).toBe("thread_busy");
  expect(own.owner).toBe(`a run of this journal (PostgresJournal, process ${process.pid})`);
  // The other pool's session, as acquire names it; also with the right expectedSeq.
  const holder = await lockHolder("held-there");
  expect(holder).toBeTypeOf("number");
  for (const options of [undefined, { expectedSeq: 2 }]) {
    const elsewhere = await refusal(journal.deleteThread("held-there", options));
    expect(elsewhere.owner).toBe(
      `PostgreSQL session ${holder} (application "loom-delete-other", client 127.0.0.1)`,
    );
  }
  // The second journal is refused its own lease's thread, and the first journal's.
  expect((await refusal(other.deleteThread("held-there"))).owner).toMatch(/^a run of this journal/);
  expect((await refusal(other.deleteThread("held-here"))).owner).toMatch(/^PostgreSQL session \d+/);

  expect(await readAll(journal, "held-here")).toEqual(sealEvents("held-here", -1, mine));
  expect(await readAll(journal, "held-there")).toEqual(sealEvents("held-there", -1, theirs));
  expect(await ids(journal, "held-")).toEqual(["held-here", "held-there"]);
  expect(await statusRow("held-here")).toBe("running");
  // The owners go on: the refused deletes took nothing from them.
  expect(await journal.append("held-here", sampleEvents(1, { start: 5 }), 4)).toEqual({ lastSeq: 5 });
  expect(await other.append("held-there", sampleEvents(1, { start: 3 }), 2)).toEqual({ lastSeq: 3 });

  await here.release();
  await there.release();
  expect(await journal.deleteThread("held-here")).toBe(true);
  expect(await journal.deleteThread("held-there", { expectedSeq: 3 })).toBe(true);
  expect(await ids(other, "held-")).toEqual([]);
  // The thread's lock is free again: the delete's lock ended with its transaction.
  await (await other.acquire("held-here")).release();
  await journal.close();
  await other.close();
});

it("leaves nothing of the thread beside its events: not listed, no snapshot, no status row, no queued_runs rows", async () => {
  const journal = journalIn(schema);
  await journal.append("left-full", [...sampleEvents(3), snapshot()], -1);
  await journal.append("left-full", [...sampleEvents(2, { start: 4 }), completed()], 3);
  await journal.append("left-beside", sampleEvents(2), -1);
  for (const [jobId, threadId, startSeq] of [
    ["job-1", "left-full", -1],
    ["job-2", "left-full", 3],
    ["job-3", "left-beside", -1],
  ] as const) {
    await admin.query(
      `INSERT INTO "${schema}".queued_runs (job_id, thread_id, start_seq) VALUES ($1, $2, $3)`,
      [jobId, threadId, startSeq],
    );
  }
  expect((await journal.latestSnapshot("left-full"))?.seq).toBe(3);
  expect(await statusRow("left-full")).toBe("completed");

  expect(await journal.deleteThread("left-full", { expectedSeq: 6 })).toBe(true);
  expect(await ids(journal, "left-")).toEqual(["left-beside"]);
  expect(await journal.latestSnapshot("left-full")).toBeUndefined();
  expect(await journal.latestSnapshot("left-full", 3)).toBeUndefined();
  expect(await statusRow("left-full")).toBeUndefined();
  const left = await admin.query<{ table: string; thread_id: string }>(
    `SELECT 'batches' AS table, thread_id FROM "${schema}".batches WHERE thread_id IN ('left-full', 'left-beside')
     UNION ALL SELECT 'threads', thread_id FROM "${schema}".threads WHERE thread_id IN ('left-full', 'left-beside')
     UNION ALL SELECT 'queued_runs', thread_id FROM "${schema}".queued_runs WHERE thread_id IN ('left-full', 'left-beside')
     ORDER BY 1, 2`,
  );
  expect(left.rows).toEqual([
    { table: "batches", thread_id: "left-beside" },
    { table: "queued_runs", thread_id: "left-beside" },
    { table: "threads", thread_id: "left-beside" },
  ]);
  // A thread without events still has its queued_runs rows removed, and reads false.
  await admin.query(
    `INSERT INTO "${schema}".queued_runs (job_id, thread_id, start_seq) VALUES ('job-4', 'left-never', -1)`,
  );
  expect(await journal.deleteThread("left-never")).toBe(false);
  const never = await admin.query(`SELECT 1 FROM "${schema}".queued_runs WHERE thread_id = 'left-never'`);
  expect(never.rowCount).toBe(0);
  await journal.close();
});

it("after a delete an append at the old head is a journal_conflict and one at -1 starts the thread anew, also from the journal that pipelined appends to it", async () => {
  const journal = journalIn(schema);
  const other = journalIn(schema);
  expect(journal.pipelinesAppends).toBe(true);
  // Sent behind each other, not awaited one by one.
  const events = sampleEvents(6);
  const sent = [
    journal.append("piped", events.slice(0, 2), -1),
    journal.append("piped", events.slice(2, 4), 1),
    journal.append("piped", events.slice(4), 3),
  ];
  expect(await Promise.all(sent)).toEqual([{ lastSeq: 1 }, { lastSeq: 3 }, { lastSeq: 5 }]);

  expect(await journal.deleteThread("piped")).toBe(true);
  expect(await journal.head("piped")).toBe(-1);
  expect(await other.head("piped")).toBe(-1);
  for (const writer of [journal, other]) {
    const error = await writer.append("piped", sampleEvents(1, { start: 6 }), 5).catch((e: unknown) => e);
    expect((error as JournalError).code).toBe("journal_conflict");
  }
  const again = sampleEvents(4);
  const resent = [journal.append("piped", again.slice(0, 1), -1), journal.append("piped", again.slice(1), 0)];
  expect(await Promise.all(resent)).toEqual([{ lastSeq: 0 }, { lastSeq: 3 }]);
  expect(await readAll(other, "piped")).toEqual(sealEvents("piped", -1, again));
  expect(await statusRow("piped")).toBe("running");

  // The status this journal wrote last is the deleted thread's: once another journal has written the
  // id up to the same seq with another status, an append here writes its own status, not none.
  await journal.append("status", sampleEvents(2), -1);
  expect(await statusRow("status")).toBe("running");
  expect(await journal.deleteThread("status")).toBe(true);
  await other.append("status", [...sampleEvents(1), completed()], -1);
  expect(await statusRow("status")).toBe("completed");
  await journal.append("status", sampleEvents(1, { start: 2 }), 1);
  expect(await statusRow("status")).toBe("running");
  const [info] = await collect(other.threads({ prefix: "status" }));
  expect(info?.status).toBe("running");

  // The same when another journal deletes the thread: this one never learns of it, and the head it
  // expects is no longer the batch it wrote.
  await journal.append("elsewhere", sampleEvents(2), -1);
  expect(await other.deleteThread("elsewhere")).toBe(true);
  await other.append("elsewhere", [...sampleEvents(1), completed()], -1);
  expect(await statusRow("elsewhere")).toBe("completed");
  expect(await journal.append("elsewhere", sampleEvents(1, { start: 2 }), 1)).toEqual({ lastSeq: 2 });
  expect(await statusRow("elsewhere")).toBe("running");
  await journal.close();
  await other.close();
});

it("refuses bad input with typed errors before any query, and everything after close() with journal_closed", async () => {
  const journal = journalIn(schema);
  for (const id of ["", "a/b", 7 as unknown as string]) {
    const error = await journal.deleteThread(id).catch((e: unknown) => e);
    expect((error as JournalError).code, String(id)).toBe("invalid_thread_id");
  }
  for (const expectedSeq of [-2, 1.5, Number.NaN]) {
    const error = await journal.deleteThread("t", { expectedSeq }).catch((e: unknown) => e);
    expect((error as JournalError).code, String(expectedSeq)).toBe("invalid_range");
  }
  // Not a connection taken, so not a query sent (nor a migration).
  expect(journal.pool.totalCount).toBe(0);
  await journal.append("t", sampleEvents(1), -1);
  await journal.close();
  for (const work of [journal.deleteThread("t"), journal.deleteThread("t", { expectedSeq: 0 })]) {
    const error = await work.catch((e: unknown) => e);
    expect(JournalError.isInstance(error)).toBe(true);
    expect((error as JournalError).code).toBe("journal_closed");
  }
  const reopened = journalIn(schema);
  expect(await reopened.head("t")).toBe(0);
  expect(await reopened.deleteThread("t")).toBe(true);
  await reopened.close();
});

it("leaves jobs queued for a deleted thread in the queue: a queued run starts the id anew, a queued resume fails with thread_not_found", async () => {
  const journal = journalIn(schema, { poolConfig: { max: 8 } });
  const queue = new ThreadQueue({ journal, bossSchema });
  const agent = createAgent({
    journal,
    provider: new ScriptedProvider({ mode: "conversation", turns: [{ text: "done" }] }),
  });
  expect((await agent.run("hello", { threadId: "queued-run" })).status).toBe("completed");
  expect((await agent.run("hello", { threadId: "queued-resume" })).status).toBe("completed");
  await queue.enqueue("queued-run", "start over");
  await queue.resume("queued-resume");
  expect(await journal.deleteThread("queued-run")).toBe(true);
  expect(await journal.deleteThread("queued-resume")).toBe(true);

  const outcomes: ThreadJobOutcome[] = [];
  await queue.work(agent, { concurrency: 2, onOutcome: (o) => outcomes.push(o) });
  const started = Date.now();
  while (outcomes.length < 2 && Date.now() - started < 20_000) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await queue.stop();
  const byThread = Object.fromEntries(outcomes.map((o) => [o.threadId, o]));
  expect(byThread["queued-run"]).toMatchObject({ status: "completed" });
  expect(byThread["queued-resume"]).toMatchObject({ status: "failed", code: "thread_not_found" });
  const events = await readAll(journal, "queued-run");
  expect(events[0]).toMatchObject({ seq: 0, type: "run.started", data: { input: "start over" } });
  expect(events.filter((e) => e.type === "run.started")).toHaveLength(1);
  expect(await journal.head("queued-resume")).toBe(-1);
  await journal.close();
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
