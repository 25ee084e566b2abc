import { JournalError, readAll } from "@loom/core";
import { sampleEvents } from "@loom/testing";
import { afterAll, expect, it } from "vitest";
import { adminPool, dropSchema, insertBatchRow, journalIn, uniqueSchema } from "./database.ts";

const schema = uniqueSchema("killed");
const admin = adminPool();
afterAll(async () => {
  await dropSchema(admin, schema);
  await admin.end();
});

it("a connection killed mid-append gives a clear error, stores nothing of the batch, and the next append works", async () => {
  const journal = journalIn(schema, { poolConfig: { max: 2, application_name: `loom-killed-${schema}` } });
  await journal.append("victim", sampleEvents(2), -1);

  // An uncommitted batch at seq 2 makes the append wait on the batches' key after its statement has
  // checked the head: the connection dies in the middle of the transaction.
  const blocker = await admin.connect();
  await blocker.query("BEGIN");
  await insertBatchRow(blocker, schema, "victim", 2, sampleEvents(1, { start: 2 }));
  const append = journal.append("victim", sampleEvents(5, { start: 2 }), 1).catch((e: unknown) => e);

  let pid: number | undefined;
  for (let i = 0; i < 200 && pid === undefined; i++) {
    const { rows } = await admin.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity
       WHERE application_name = $1 AND wait_event = 'transactionid' AND query LIKE '%INSERT%batches%'`,
      [`loom-killed-${schema}`],
    );
    pid = rows[0]?.pid;
    if (pid === undefined) await new Promise((r) => setTimeout(r, 25));
  }
  expect(pid, "the append should be waiting on the lock").toBeTypeOf("number");
  await admin.query("SELECT pg_terminate_backend($1)", [pid]);
  const error = await append;
  await blocker.query("ROLLBACK");
  blocker.release();

  expect(JournalError.isInstance(error)).toBe(true);
  expect((error as JournalError).code).toBe("io");
  expect((error as JournalError).message).toMatch(
    /append to thread "victim".*connection to PostgreSQL was lost/s,
  );
  expect(await journal.head("victim")).toBe(1);
  expect((await readAll(journal, "victim")).map((e) => e.seq)).toEqual([0, 1]);
  const { rows } = await admin.query(
    `SELECT sum(last_seq - first_seq + 1)::int AS n FROM "${schema}".batches`,
  );
  expect(rows[0].n).toBe(2);

  expect(await journal.append("victim", sampleEvents(5, { start: 2 }), 1)).toEqual({ lastSeq: 6 });
  expect((await readAll(journal, "victim")).map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  await journal.close();
});
