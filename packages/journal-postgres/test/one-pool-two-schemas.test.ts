import { readAll } from "@loom/core";
import { sampleEvents } from "@loom/testing";
import pg from "pg";
import { afterAll, expect, it } from "vitest";
import { PostgresJournal } from "../src/index.ts";
import { adminPool, DATABASE_URL, dropSchema, uniqueSchema } from "./database.ts";

const first = uniqueSchema("pool_a");
const second = uniqueSchema("pool_b");
const admin = adminPool();
afterAll(async () => {
  await dropSchema(admin, first);
  await dropSchema(admin, second);
  await admin.end();
});

it("journals of two schemas on one pool (one connection) each append through their own prepared statements", async () => {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
  const a = new PostgresJournal({ pool, schema: first });
  const b = new PostgresJournal({ pool, schema: second });
  for (let seq = 0; seq < 3; seq++) {
    await a.append("t", sampleEvents(1, { start: seq }), seq - 1);
    await b.append("t", sampleEvents(2, { start: 2 * seq }), 2 * seq - 1);
  }
  expect((await readAll(a, "t")).map((e) => e.seq)).toEqual([0, 1, 2]);
  expect((await readAll(b, "t")).map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5]);
  await Promise.all([a.close(), b.close()]);
  await pool.end();
});
