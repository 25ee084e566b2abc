import { JournalConflictError, JournalError, type NewEvent, readAll, sealEvents } from "@loom/core";
import { sampleEvents } from "@loom/testing";
import { afterAll, expect, it } from "vitest";
import { MIGRATIONS } from "../src/index.ts";
import { adminPool, dropSchema, insertBatchRow, journalIn, snapshotEvent, uniqueSchema } from "./database.ts";

const admin = adminPool();
const schemas: string[] = [];
afterAll(async () => {
  for (const schema of schemas) await dropSchema(admin, schema);
  await admin.end();
});

function freshSchema(): string {
  const schema = uniqueSchema("migrate");
  schemas.push(schema);
  return schema;
}

/** A fresh schema with migrations 1 to `version` applied and recorded, as a released version did. */
async function schemaAtVersion(version: number): Promise<string> {
  const schema = freshSchema();
  const client = await admin.connect();
  try {
    await client.query("BEGIN");
    await client.query(`CREATE SCHEMA "${schema}"`);
    await client.query(
      `CREATE TABLE "${schema}".migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT clock_timestamp())`,
    );
    for (const migration of MIGRATIONS.filter((m) => m.version <= version)) {
      for (const statement of migration.up(`"${schema}"`)) await client.query(statement);
      await client.query(`INSERT INTO "${schema}".migrations (version, name) VALUES ($1, $2)`, [
        migration.version,
        migration.name,
      ]);
    }
    await client.query("COMMIT");
  } finally {
    client.release();
  }
  return schema;
}

it("migrates explicitly, once, even when many processes migrate at the same time", async () => {
  const schema = freshSchema();
  const journals = Array.from({ length: 4 }, () => journalIn(schema, { migrate: false }));
  const results = await Promise.all(journals.map((j) => j.migrate()));
  const all = MIGRATIONS.map((m) => m.version);
  expect(results.map((r) => r.applied).sort((a, b) => b.length - a.length)).toEqual([all, [], [], []]);
  expect(await journals[0]!.migrate()).toEqual({ applied: [] });
  const { rows } = await admin.query(`SELECT version FROM "${schema}".migrations ORDER BY version`);
  expect(rows.map((r) => r.version)).toEqual(all);
  await Promise.all(journals.map((j) => j.close()));
});

it("migrates on first use by default", async () => {
  const schema = freshSchema();
  const journal = journalIn(schema);
  expect(await journal.append("t", sampleEvents(2), -1)).toEqual({ lastSeq: 1 });
  await journal.close();
});

it("with migrate: false on an empty schema, says to call migrate()", async () => {
  const journal = journalIn(freshSchema(), { migrate: false });
  const error = await journal.append("t", sampleEvents(1), -1).catch((e: unknown) => e);
  expect(JournalError.isInstance(error)).toBe(true);
  expect((error as JournalError).message).toMatch(/call migrate\(\)/);
  await journal.migrate();
  expect(await journal.append("t", sampleEvents(1), -1)).toEqual({ lastSeq: 0 });
  await journal.close();
});

it("refuses a bad schema name or bad options with a ConfigError that does not echo the connection string", () => {
  expect(() => journalIn('x"; DROP TABLE y; --')).toThrow(/not a valid schema name/);
  expect(() => journalIn("ok", { readPageSize: 0 })).toThrow(/readPageSize/);
  let message = "";
  try {
    journalIn("ok", { connectionString: "" });
  } catch (error) {
    message = (error as Error).message;
  }
  expect(message).toMatch(/connectionString/);
});

it("upgrades a database written before one row per append in place: every event, snapshot, status and thread reads back the same, and appends go on", async () => {
  // Migrations 1 to 4 as a released version applied them, and its rows: one per event.
  const schema = await schemaAtVersion(4);
  const client = await admin.connect();
  const snapshot = snapshotEvent();
  const child: NewEvent = { ...sampleEvents(2)[1]!, frameId: "child", parentFrameId: "root", depth: 1 };
  const threads = {
    a: sealEvents("a", -1, [...sampleEvents(6), snapshot, child, ...sampleEvents(3, { start: 6 })]),
    b: sealEvents("b", -1, [
      ...sampleEvents(3),
      { ...sampleEvents(1)[0]!, type: "run.completed", data: { text: "done" } } as NewEvent,
    ]),
  };
  for (const [threadId, events] of Object.entries(threads)) {
    await client.query(`INSERT INTO "${schema}".threads (thread_id, head_seq, status) VALUES ($1, $2, $3)`, [
      threadId,
      events.length - 1,
      threadId === "b" ? "completed" : "running",
    ]);
    for (const e of events) {
      await client.query(
        `INSERT INTO "${schema}".events (thread_id, seq, v, type, run_id, ts, frame_id, parent_frame_id, depth, iteration, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          threadId,
          e.seq,
          e.v,
          e.type,
          e.runId,
          e.ts,
          e.frameId,
          e.parentFrameId ?? null,
          e.depth,
          e.iteration,
          JSON.stringify(e.data),
        ],
      );
    }
  }
  client.release();

  const journal = journalIn(schema);
  expect(await journal.migrate()).toEqual({
    applied: MIGRATIONS.filter((m) => m.version > 4).map((m) => m.version),
  });
  expect(await readAll(journal, "a")).toEqual(threads.a);
  expect(await readAll(journal, "b")).toEqual(threads.b);
  expect(await readAll(journal, "a", { from: 5, to: 7 })).toEqual(threads.a.slice(5, 8));
  expect(await journal.latestSnapshot("a")).toEqual(threads.a[6]);
  expect(await journal.latestSnapshot("a", 5)).toBeUndefined();
  const listed = [];
  for await (const info of journal.threads()) listed.push(info);
  expect(
    listed.map(({ threadId, lastSeq, eventCount, status }) => ({ threadId, lastSeq, eventCount, status })),
  ).toEqual([
    { threadId: "a", lastSeq: 10, eventCount: 11, status: "running" },
    { threadId: "b", lastSeq: 3, eventCount: 4, status: "completed" },
  ]);
  expect(listed[0]!.updatedAt).toBe(threads.a.at(-1)!.ts);
  await expect(journal.append("a", sampleEvents(1, { start: 11 }), 9)).rejects.toThrow(JournalConflictError);
  expect(await journal.append("a", sampleEvents(2, { start: 11 }), 10)).toEqual({ lastSeq: 12 });
  expect((await readAll(journal, "a")).map((e) => e.seq)).toEqual([...Array(13).keys()]);
  const { rows } = await admin.query(
    `SELECT to_regclass('"${schema}".events') AS events, (SELECT count(*)::int FROM "${schema}".batches) AS batches`,
  );
  expect(rows[0]).toEqual({ events: null, batches: 16 });
  await journal.close();
});

it("upgrades a database written before append tokens: until migrate() an append says to call it, then appends, pipelined ones too, go on after the old rows", async () => {
  // Migrations 1 to 5 as a released version applied them, and a thread it wrote.
  const schema = await schemaAtVersion(5);
  const older = journalIn(schema, { migrate: false });
  const written = sampleEvents(3);
  await insertBatchRow(admin, schema, "t", 0, written);

  const error = await older.append("t", sampleEvents(1, { start: 3 }), 2).catch((e: unknown) => e);
  expect(JournalError.isInstance(error)).toBe(true);
  expect((error as JournalError).message).toMatch(/older than this version.*call migrate\(\)/);
  expect(await older.migrate()).toEqual({ applied: [6, 7, 8] });
  // Made before the one it follows has settled: the second is sent behind the first (ADR 0016).
  const made = [
    older.append("t", sampleEvents(2, { start: 3 }), 2),
    older.append("t", sampleEvents(2, { start: 5 }), 4),
  ];
  expect((await Promise.all(made)).map((r) => r.lastSeq)).toEqual([4, 6]);
  expect(await readAll(older, "t")).toEqual(sealEvents("t", -1, sampleEvents(7)));
  const { rows } = await admin.query(
    `SELECT first_seq, append_token IS NOT NULL AS token FROM "${schema}".batches WHERE thread_id = 't' ORDER BY first_seq`,
  );
  expect(rows).toEqual([
    { first_seq: 0, token: false },
    { first_seq: 3, token: true },
    { first_seq: 5, token: true },
  ]);
  await older.close();
});
