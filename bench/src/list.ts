// Listing threads by status and age (`listThreads`), as a scheduled prune or a "failed threads" page
// asks: 10,000 threads, 100 of which match. Each journal's own filter (`filtersThreads`) against the
// same journal seen as a v1 journal without it (`listThreads` then reads every thread's summary and
// filters in the process), and for Postgres the filter's bare SELECT on the threads table, in the same
// run. Rounds interleave the three; medians of rounds. Then Postgres at scale: a million threads
// (written by SQL, one batch each), a rare status listed with the status index (migration 8) against
// the same listing in a copy of the schema without it, interleaved.
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import {
  EVENT_VERSION,
  type Journal,
  listRecentThreads,
  listThreads,
  type NewEvent,
  type ThreadQuery,
} from "@loom/core";
import { FsJournal } from "@loom/journal-fs";
import { PostgresJournal } from "@loom/journal-postgres";
import { plainJournal, sampleEvents } from "@loom/testing";
import pg from "pg";

const ROUNDS = Number(process.env.LOOM_BENCH_ROUNDS ?? 5);
const THREADS = 10_000;
const MATCHING = 100;
const SCALE_THREADS = Number(process.env.LOOM_BENCH_SCALE_THREADS ?? 1_000_000);
/** Failed threads among SCALE_THREADS, and approvals pending (interrupted). */
const SCALE_FAILED = 20;
const SCALE_INTERRUPTED = 1_000;
const DATABASE = process.env.LOOM_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/loom_test";

const ended = (type: "run.completed" | "run.failed"): NewEvent =>
  ({
    v: EVENT_VERSION,
    runId: "run-1",
    ts: 1_700_000_000_000,
    frameId: "root",
    depth: 0,
    iteration: 1,
    type,
    data: type === "run.completed" ? { text: "done" } : { error: { code: "x", message: "boom" } },
  }) as NewEvent;

const id = (i: number) => `t-${String(i).padStart(5, "0")}`;
/** Every hundredth thread: failed, and written before the others. */
const matching = (i: number) => i % (THREADS / MATCHING) === 0;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The matching threads first, then (after the time it returns) the others. */
async function fill(journal: Journal): Promise<number> {
  const order = Array.from({ length: THREADS }, (_, i) => i);
  for (const i of order.filter(matching)) {
    await journal.append(id(i), [...sampleEvents(2), ended("run.failed")], -1);
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  const cutoff = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 50));
  for (const i of order.filter((i) => !matching(i))) {
    await journal.append(id(i), [...sampleEvents(2), ended("run.completed")], -1);
  }
  return cutoff;
}

async function timed(journal: Journal, query: ThreadQuery): Promise<number> {
  const started = performance.now();
  let listed = 0;
  for await (const _ of listThreads(journal, query)) listed++;
  const ms = performance.now() - started;
  if (listed !== MATCHING)
    throw new Error(
      `list bench: listed ${listed} threads, expected ${MATCHING}: ${JSON.stringify(query)}, ${journal.constructor.name}`,
    );
  return ms;
}

/** A page of 50 threads, most recently written first (Studio's default list), or in id order. */
async function timedPage(journal: Journal, order: "recent" | "id"): Promise<number> {
  const started = performance.now();
  const listed: string[] = [];
  const page =
    order === "recent" ? listRecentThreads(journal, { limit: 50 }) : journal.threads({ limit: 50 });
  for await (const t of page) listed.push(t.threadId);
  const ms = performance.now() - started;
  // The last written are the non-matching threads with the greatest ids.
  if (order === "recent" && listed[0] !== id(THREADS - 1))
    throw new Error(
      `list bench: the most recent thread listed first is ${listed[0]}, expected ${id(THREADS - 1)}`,
    );
  if (listed.length !== 50) throw new Error(`list bench: a page of ${listed.length} threads, expected 50`);
  return ms;
}

async function main(): Promise<void> {
  const pool = new pg.Pool({ connectionString: DATABASE, max: 4 });
  const schema = `bench_list_${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), "loom-bench-list-"));
  const postgres = new PostgresJournal({ pool, schema });
  const fs = new FsJournal({ dir, fsync: "never" });
  try {
    process.stderr.write(`list bench: writing ${THREADS} threads to Postgres and to journal-fs...\n`);
    // Which threads are "old" is set by when they were written: the matching ones before a cutoff.
    const cutoffs = { postgres: await fill(postgres), fs: await fill(fs) };
    await fs.close();
    const fsReopened = new FsJournal({ dir, fsync: "never" });

    const queries: [string, (cutoff: number) => ThreadQuery][] = [
      ["statuses: failed", () => ({ statuses: ["failed"] })],
      ["updatedBefore", (cutoff) => ({ updatedBefore: cutoff })],
      [
        "a prune's page (finished, updatedBefore)",
        (cutoff) => ({ statuses: ["completed", "failed", "cancelled"], updatedBefore: cutoff, limit: 500 }),
      ],
    ];
    const journals: [string, Journal, number][] = [
      ["Postgres", postgres, cutoffs.postgres],
      ["journal-fs", fsReopened, cutoffs.fs],
    ];
    const rows = new Map<string, { filtered: number[]; plain: number[]; raw: number[] }>();
    const pages = new Map<string, { own: number[]; sorted: number[]; byId: number[] }>();
    // Untimed: first queries, file summaries cached, code optimized.
    for (const [, journal, cutoff] of journals) {
      for (const [, query] of queries) await timed(journal, query(cutoff));
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, journal] of journals) {
        const r = pages.get(name) ?? { own: [], sorted: [], byId: [] };
        pages.set(name, r);
        if (journal.recentThreads) r.own.push(await timedPage(journal, "recent"));
        r.sorted.push(await timedPage(plainJournal(journal), "recent"));
        r.byId.push(await timedPage(journal, "id"));
      }
      for (const [name, journal, cutoff] of journals) {
        for (const [label, query] of queries) {
          const key = `${name}, ${label}`;
          const r = rows.get(key) ?? { filtered: [], plain: [], raw: [] };
          rows.set(key, r);
          r.filtered.push(await timed(journal, query(cutoff)));
          r.plain.push(await timed(plainJournal(journal), query(cutoff)));
          if (name === "Postgres" && label === "statuses: failed") {
            const started = performance.now();
            const { rowCount } = await pool.query(
              `SELECT thread_id FROM "${schema}".threads WHERE status = ANY($1)`,
              [["failed"]],
            );
            r.raw.push(performance.now() - started);
            if (rowCount !== MATCHING) throw new Error("list bench: the bare SELECT found another count");
          }
        }
      }
    }
    const cpu = cpus()[0]?.model ?? "unknown CPU";
    console.log(
      `\nlistThreads over ${THREADS.toLocaleString("en")} threads, ${MATCHING} matching (${cpus().length} x ${cpu}, Node ${process.version}, load ${loadavg()[0]!.toFixed(2)}; ${ROUNDS} interleaved rounds, medians)`,
    );
    console.log(
      `${"journal, query".padEnd(50)} ${"filtersThreads".padStart(15)} ${"filtered here".padStart(15)} ${"ratio".padStart(7)}`,
    );
    for (const [key, r] of rows) {
      const f = median(r.filtered);
      const p = median(r.plain);
      console.log(
        `${key.padEnd(50)} ${`${f.toFixed(1)} ms`.padStart(15)} ${`${p.toFixed(1)} ms`.padStart(15)} ${`${(f / p).toFixed(2)}x`.padStart(7)}`,
      );
    }
    const raw = rows.get("Postgres, statuses: failed")!.raw;
    console.log(
      `baseline (same run): SELECT thread_id FROM threads WHERE status = ANY($1), ${median(raw).toFixed(1)} ms; filtered here: the same journal without filtersThreads, listThreads reading every summary`,
    );
    console.log(
      `\nA page of 50 threads by last activity (listRecentThreads) over ${THREADS.toLocaleString("en")} threads (${ROUNDS} interleaved rounds, medians)`,
    );
    console.log(
      `${"journal".padEnd(14)} ${"recentThreads".padStart(14)} ${"sorted here".padStart(12)} ${"baseline: id order".padStart(19)}`,
    );
    for (const [name, r] of pages) {
      const own = r.own.length > 0 ? `${median(r.own).toFixed(1)} ms` : "-";
      console.log(
        `${name.padEnd(14)} ${own.padStart(14)} ${`${median(r.sorted).toFixed(1)} ms`.padStart(12)} ${`${median(r.byId).toFixed(1)} ms`.padStart(19)}`,
      );
    }
    console.log(
      "recentThreads: the journal's own order (Postgres: sorted by the server); sorted here: every summary read and the page kept in the process; baseline (same run): the first page in id order (threads({ limit: 50 }))",
    );
    await fsReopened.close();
  } finally {
    await postgres.close().catch(() => undefined);
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A rare status among a million threads, with and without the status index (same run, interleaved). */
async function atScale(pool: pg.Pool): Promise<void> {
  const schemas = {
    indexed: `bench_list_scale_${process.pid}`,
    scanned: `bench_list_noindex_${process.pid}`,
  };
  const journals = {
    indexed: new PostgresJournal({ pool, schema: schemas.indexed }),
    scanned: new PostgresJournal({ pool, schema: schemas.scanned }),
  };
  try {
    process.stderr.write(
      `list bench: writing ${SCALE_THREADS.toLocaleString("en")} threads to Postgres twice...\n`,
    );
    const batch = JSON.stringify({
      shared: {
        v: EVENT_VERSION,
        runId: "r",
        ts: 1_700_000_000_000,
        frameId: "root",
        depth: 0,
        iteration: 0,
      },
      events: [{ type: "run.started", data: { input: "x" } }],
    });
    for (const [name, journal] of Object.entries(journals)) {
      const s = `"${schemas[name as keyof typeof schemas]}"`;
      await journal.migrate();
      if (name === "scanned") await pool.query(`DROP INDEX ${s}.threads_status`);
      await pool.query(
        `INSERT INTO ${s}.threads (thread_id, status, created_at)
         SELECT 't-' || lpad(i::text, 8, '0'),
                CASE WHEN i % ($1::int / $2::int) = 7 THEN 'failed'
                     WHEN i % ($1::int / $3::int) = 11 THEN 'interrupted' ELSE 'completed' END, now()
         FROM generate_series(1, $1::int) i`,
        [SCALE_THREADS, SCALE_FAILED, SCALE_INTERRUPTED],
      );
      await pool.query(
        `INSERT INTO ${s}.batches (thread_id, first_seq, last_seq, appended_at, events)
         SELECT thread_id, 0, 0, now(), $1 FROM ${s}.threads`,
        [batch],
      );
      await pool.query(`VACUUM ANALYZE ${s}.threads`);
      await pool.query(`VACUUM ANALYZE ${s}.batches`);
    }
    const list = async (journal: Journal, query: ThreadQuery, expected: number): Promise<number> => {
      const started = performance.now();
      let listed = 0;
      for await (const _ of journal.threads(query)) listed++;
      if (listed !== expected)
        throw new Error(`list bench: listed ${listed} threads at scale, expected ${expected}`);
      return performance.now() - started;
    };
    const cases: [string, ThreadQuery, number][] = [
      [`failed (${SCALE_FAILED})`, { statuses: ["failed"] }, SCALE_FAILED],
      [`interrupted (${SCALE_INTERRUPTED})`, { statuses: ["interrupted"] }, SCALE_INTERRUPTED],
      ["a page of 50 interrupted", { statuses: ["interrupted"], limit: 50 }, 50],
      ["a page of 50, any status", { limit: 50 }, 50],
    ];
    const times = new Map<string, { indexed: number[]; scanned: number[] }>();
    for (let round = -1; round < ROUNDS; round++) {
      for (const [label, query, expected] of cases) {
        const t = times.get(label) ?? { indexed: [], scanned: [] };
        times.set(label, t);
        const order = round % 2 === 0 ? (["indexed", "scanned"] as const) : (["scanned", "indexed"] as const);
        for (const which of order) {
          const ms = await list(journals[which], query, expected);
          if (round >= 0) t[which].push(ms);
        }
      }
    }
    console.log(
      `\nPostgres, ${SCALE_THREADS.toLocaleString("en")} threads: threads({ statuses }) with the status index (migration 8) and in a copy without it (${ROUNDS} interleaved rounds, medians)`,
    );
    console.log(
      `${"listing".padEnd(50)} ${"index".padStart(15)} ${"no index".padStart(15)} ${"ratio".padStart(7)}`,
    );
    for (const [label, t] of times) {
      const a = median(t.indexed);
      const b = median(t.scanned);
      console.log(
        `${label.padEnd(50)} ${`${a.toFixed(1)} ms`.padStart(15)} ${`${b.toFixed(1)} ms`.padStart(15)} ${`${(a / b).toFixed(2)}x`.padStart(7)}`,
      );
    }
  } finally {
    for (const journal of Object.values(journals)) await journal.close().catch(() => undefined);
    for (const schema of Object.values(schemas)) {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    }
  }
}

await main();
{
  const pool = new pg.Pool({ connectionString: DATABASE, max: 4 });
  try {
    await atScale(pool);
  } finally {
    await pool.end();
  }
}
