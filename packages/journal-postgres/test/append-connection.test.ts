import { readAll } from "@loom/core";
import { sampleEvents } from "@loom/testing";
import pg from "pg";
import { afterAll, expect, it } from "vitest";
import { PostgresJournal } from "../src/index.ts";
import { adminPool, DATABASE_URL, dropSchema, uniqueSchema } from "./database.ts";

// The journal keeps the connection its appends go through from one append to the next. These
// check that it gives it back whenever anyone else needs it, and that a kept connection that
// breaks costs nothing.

const schema = uniqueSchema("append_conn");
const admin = adminPool();
afterAll(async () => {
  await dropSchema(admin, schema);
  await admin.end();
});

function poolOfOne(name: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1, application_name: name });
  pool.on("error", () => undefined);
  return pool;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

it("keeps the connection between appends, and gives it back once the event loop turns without one", async () => {
  const pool = poolOfOne(`loom-keep-${schema}`);
  const journal = new PostgresJournal({ pool, schema });
  let connects = 0;
  pool.on("connect", () => connects++);
  pool.on("acquire", () => connects++);
  try {
    await journal.append("kept", sampleEvents(2), -1);
    const before = connects;
    let head = 1;
    for (let i = 0; i < 10; i++) {
      head = (await journal.append("kept", sampleEvents(1, { start: head + 1 }), head)).lastSeq;
    }
    expect(connects, "appends in one turn of the loop take no connection from the pool").toBe(before);
    expect(pool.totalCount).toBe(1);
    expect(pool.idleCount, "kept by the journal right after an append").toBe(0);
    await nextTurn();
    expect(pool.idleCount, "back in the pool once the loop turned without an append").toBe(1);
  } finally {
    await journal.close();
    await pool.end();
  }
});

it("a pool of one still serves others while a run appends back to back", async () => {
  const pool = poolOfOne(`loom-share-${schema}`);
  const journal = new PostgresJournal({ pool, schema });
  try {
    let head = (await journal.append("busy", sampleEvents(1), -1)).lastSeq;
    let appends = 0;
    let answeredAfter: number | undefined;
    let asked: number | undefined;
    for (let i = 0; i < 200; i++) {
      if (i === 20) {
        asked = appends;
        void pool.query("SELECT 1").then(() => {
          answeredAfter = appends;
        });
      }
      head = (await journal.append("busy", sampleEvents(1, { start: head + 1 }), head)).lastSeq;
      appends++;
    }
    await sleep(50);
    expect(answeredAfter, "the other query got the connection").toBeTypeOf("number");
    // Served once the append in flight when it asked ended, not after the run.
    expect(answeredAfter! - asked!).toBeLessThanOrEqual(2);
    expect((await readAll(journal, "busy")).length).toBe(201);
  } finally {
    await journal.close();
    await pool.end();
  }
});

it("a kept connection that breaks between appends is dropped, and the next append takes a new one", async () => {
  const pool = poolOfOne(`loom-broken-${schema}`);
  const journal = new PostgresJournal({ pool, schema });
  let taken: pg.PoolClient | undefined;
  pool.on("acquire", (client) => {
    taken = client;
  });
  try {
    await journal.append("broken", sampleEvents(2), -1);
    expect(pool.idleCount, "still kept: the event loop has not turned").toBe(0);
    // What node-postgres does when the server ends a connection nobody is querying on: an error
    // event on the client, which throws if nobody listens.
    taken!.emit("error", new Error("Connection terminated unexpectedly"));
    expect(pool.totalCount, "the broken connection left the pool").toBe(0);
    await journal.append("broken", sampleEvents(1, { start: 2 }), 1);
    expect((await readAll(journal, "broken")).map((e) => e.seq)).toEqual([0, 1, 2]);
  } finally {
    await journal.close();
    await pool.end();
  }
});

it("close() gives the kept connection back to a pool it does not own", async () => {
  const pool = poolOfOne(`loom-close-${schema}`);
  const journal = new PostgresJournal({ pool, schema });
  await journal.append("closing", sampleEvents(2), -1);
  expect(pool.idleCount).toBe(0);
  await journal.close();
  expect(pool.idleCount).toBe(1);
  await pool.end();
});
