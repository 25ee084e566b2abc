import { readAll } from "@loom/core";
import { sampleEvents } from "@loom/testing";
import pg from "pg";
import { afterAll, expect, it } from "vitest";
import { PostgresJournal } from "../src/index.ts";
import { adminPool, DATABASE_URL, dropSchema, uniqueSchema } from "./database.ts";

const schema = uniqueSchema("pages");
const admin = adminPool();
afterAll(async () => {
  await dropSchema(admin, schema);
  await admin.end();
});

/** A real pool that remembers the largest result it returned. */
function measuredPool(): { pool: pg.Pool; largest: { rows: number } } {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
  const largest = { rows: 0 };
  const query = pool.query.bind(pool) as (text: string, values?: unknown[]) => Promise<pg.QueryResult>;
  (pool as { query: unknown }).query = async (text: string, values?: unknown[]) => {
    const result = await query(text, values);
    largest.rows = Math.max(largest.rows, result.rowCount ?? 0);
    return result;
  };
  return { pool, largest };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

it("reads a long thread and lists many threads in pages, never a whole result at once", async () => {
  const { pool, largest } = measuredPool();
  const journal = new PostgresJournal({ pool, schema, readPageSize: 100, threadsPageSize: 7 });
  const total = 2_345;
  for (let head = -1; head < total - 1; head += 500) {
    const size = Math.min(500, total - 1 - head);
    await journal.append("long", sampleEvents(size, { start: head + 1 }), head);
  }
  for (let i = 0; i < 30; i++)
    await journal.append(`many-${String(i).padStart(2, "0")}`, sampleEvents(1), -1);
  largest.rows = 0;

  const events = await readAll(journal, "long");
  expect(events.map((e) => e.seq)).toEqual(Array.from({ length: total }, (_, i) => i));
  expect(events).toEqual(sampleEvents(total).map((e, seq) => ({ ...e, threadId: "long", seq })));
  expect((await readAll(journal, "long", { from: 1_234, to: 1_456 })).map((e) => e.seq)).toEqual(
    Array.from({ length: 223 }, (_, i) => 1_234 + i),
  );
  const listed = await collect(journal.threads({ prefix: "many-" }));
  expect(listed.map((t) => t.threadId)).toEqual(
    Array.from({ length: 30 }, (_, i) => `many-${String(i).padStart(2, "0")}`),
  );
  expect((await collect(journal.threads({ limit: 12 }))).length).toBe(12);
  expect(largest.rows).toBeLessThanOrEqual(100);
  expect(largest.rows).toBeGreaterThan(0);

  await journal.close();
  // The pool was ours: the journal leaves it open.
  expect((await pool.query("SELECT 1 AS one")).rows[0].one).toBe(1);
  await pool.end();
});
