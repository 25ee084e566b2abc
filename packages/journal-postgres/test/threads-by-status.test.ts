import pg from "pg";
import { afterAll, expect, it } from "vitest";
import { PostgresJournal } from "../src/index.ts";
import { adminPool, DATABASE_URL, dropSchema, uniqueSchema } from "./database.ts";

const schema = uniqueSchema("by_status");
const admin = adminPool();
afterAll(async () => {
  await dropSchema(admin, schema);
  await admin.end();
});

it("a listing by a rare status reads the matching threads through the status index, not every thread", async () => {
  // A pool that remembers the listing's statement, to ask the server how it runs it.
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
  const listings: { text: string; values: unknown[] }[] = [];
  const query = pool.query.bind(pool) as (config: unknown, values?: unknown[]) => Promise<pg.QueryResult>;
  (pool as { query: unknown }).query = (config: unknown, values?: unknown[]) => {
    const sent = config as { text?: string; values?: unknown[] };
    if (sent.text?.includes("CROSS JOIN LATERAL"))
      listings.push({ text: sent.text, values: sent.values ?? [] });
    return query(config, values);
  };
  const journal = new PostgresJournal({ pool, schema });
  try {
    await journal.migrate();
    // 50,000 threads, one batch each: 20 failed, one without a status (written by an older version).
    const event = JSON.stringify({
      shared: { v: 1, runId: "r", ts: 1, frameId: "f", depth: 0, iteration: 0 },
      events: [{ type: "run.started", data: { input: "x" } }],
    });
    await admin.query(
      `INSERT INTO "${schema}".threads (thread_id, status, created_at)
       SELECT 't-' || lpad(i::text, 6, '0'),
              CASE WHEN i % 2500 = 7 THEN 'failed' WHEN i = 3 THEN NULL ELSE 'completed' END, now()
       FROM generate_series(1, 50000) i`,
    );
    await admin.query(
      `INSERT INTO "${schema}".batches (thread_id, first_seq, last_seq, appended_at, events)
       SELECT thread_id, 0, 0, now(), $1 FROM "${schema}".threads`,
      [event],
    );
    await admin.query(`ANALYZE "${schema}".threads`);

    const failed: (string | undefined)[] = [];
    for await (const t of journal.threads({ statuses: ["failed"], limit: 50 })) failed.push(t.status);
    // The 20 failed threads and the one whose status is unknown (listed under any filter).
    expect(failed.filter((s) => s === "failed")).toHaveLength(20);
    expect(failed.filter((s) => s === undefined)).toHaveLength(1);

    const listing = listings.at(-1)!;
    const { rows } = await admin.query<{ "QUERY PLAN": string }>(
      `EXPLAIN (ANALYZE, FORMAT TEXT) ${listing.text}`,
      listing.values,
    );
    const plan = rows.map((r) => r["QUERY PLAN"]).join("\n");
    expect(plan).toContain("threads_status");
    // Not a scan of every row of threads: the rows the plan read from it are the matching ones.
    const scanned = [...plan.matchAll(/on threads_status .*?rows=(\d+)/g)].map((m) => Number(m[1]));
    expect(scanned.reduce((a, b) => a + b, 0)).toBeLessThan(100);
  } finally {
    await journal.close();
    await pool.end();
  }
});
