// Deleting threads at rest (written by a journal closed since): `deleteThread` of a finished thread,
// and `pruneThreads` over a journal of them,
// against what the storage does at the least for one delete, measured in the same run:
// journal-fs, `unlink` of a file of the same size (and an `fsync` of the folder where the journal
// syncs); Postgres, a DELETE of the thread's rows in its own transaction (a commit). Rounds interleave the
// journals and their baselines; medians of deletes, then of rounds.
import { randomUUID } from "node:crypto";
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { EVENT_VERSION, type Journal, type NewEvent, pruneThreads } from "@loom/core";
import { FsJournal } from "@loom/journal-fs";
import { PostgresJournal } from "@loom/journal-postgres";
import { sampleEvents } from "@loom/testing";
import pg from "pg";

const ROUNDS = Number(process.env.LOOM_BENCH_ROUNDS ?? 5);
const THREADS = 200;
const DATABASE = process.env.LOOM_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/loom_test";

const completed: NewEvent = {
  v: EVENT_VERSION,
  runId: "run-1",
  ts: 1_700_000_000_000,
  frameId: "root",
  depth: 0,
  iteration: 3,
  type: "run.completed",
  data: { text: "done" },
};

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * THREADS finished threads of three 7-event appends each (a short run's worth), written by another
 * journal on the same storage, closed since: threads at rest, as a prune finds them.
 */
async function fill(writer: Journal, prefix: string): Promise<string[]> {
  const ids = Array.from({ length: THREADS }, (_, i) => `${prefix}-${String(i).padStart(4, "0")}`);
  try {
    for (const id of ids) {
      await writer.append(id, sampleEvents(7), -1);
      await writer.append(id, sampleEvents(7, { start: 7 }), 6);
      await writer.append(id, [...sampleEvents(6, { start: 14 }), completed], 13);
    }
  } finally {
    await writer.close();
  }
  return ids;
}

/** µs per deleteThread (median). */
async function deletes(journal: Journal, writer: Journal, prefix: string): Promise<number> {
  const ids = await fill(writer, prefix);
  const times: number[] = [];
  for (const id of ids) {
    const started = performance.now();
    if (!(await journal.deleteThread!(id))) throw new Error(`delete bench: ${id} had no events`);
    times.push((performance.now() - started) * 1000);
  }
  return median(times);
}

/** µs per acquire + release of a free thread's lease (median): the lock a delete takes. */
async function leases(journal: Journal, prefix: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < THREADS; i++) {
    const started = performance.now();
    await (await journal.acquire!(`${prefix}-${i}`)).release();
    times.push((performance.now() - started) * 1000);
  }
  return median(times);
}

/** Threads per second that pruneThreads deletes from a journal of THREADS finished ones. */
async function prune(journal: Journal, writer: Journal, prefix: string): Promise<number> {
  await fill(writer, prefix);
  const started = performance.now();
  const result = await pruneThreads(journal, { olderThanMs: 0, prefix });
  const seconds = (performance.now() - started) / 1000;
  if (result.deleted.length !== THREADS) throw new Error("delete bench: prune left threads");
  return THREADS / seconds;
}

/** µs per unlink (+ fsync of the folder) of a file of `bytes` (median). */
function unlinks(dir: string, bytes: number, sync: boolean): number {
  mkdirSync(dir, { recursive: true });
  const content = Buffer.alloc(bytes, 0x61);
  const files = Array.from({ length: THREADS }, (_, i) => join(dir, `f-${i}.jsonl`));
  for (const file of files) writeFileSync(file, content);
  const folder = openSync(dir, "r");
  const times: number[] = [];
  try {
    for (const file of files) {
      const started = performance.now();
      unlinkSync(file);
      if (sync) fsyncSync(folder);
      times.push((performance.now() - started) * 1000);
    }
  } finally {
    closeSync(folder);
  }
  return median(times);
}

/** µs per DELETE of a thread's three rows in its own transaction (median), on a table keyed as `batches`. */
async function rawDeletes(pool: pg.Pool, table: string, bytes: number): Promise<number> {
  const text = "a".repeat(bytes);
  const ids = Array.from({ length: THREADS }, () => randomUUID());
  // Three rows a thread, as its three appends are.
  for (const id of ids) {
    await pool.query(
      `INSERT INTO ${table} (thread_id, first_seq, events) VALUES ($1, 0, $2), ($1, 7, $2), ($1, 14, $2)`,
      [id, text],
    );
  }
  const client = await pool.connect();
  const times: number[] = [];
  try {
    for (const id of ids) {
      const started = performance.now();
      await client.query({
        name: "raw-delete",
        text: `DELETE FROM ${table} WHERE thread_id = $1`,
        values: [id],
      });
      times.push((performance.now() - started) * 1000);
    }
  } finally {
    client.release();
  }
  return median(times);
}

const dir = mkdtempSync(join(tmpdir(), "loom-delete-bench-"));
const schema = `bench_delete_${randomUUID().replaceAll("-", "").slice(0, 8)}`;
const pool = new pg.Pool({ connectionString: DATABASE, max: 4 });
const postgres = new PostgresJournal({ pool, schema });
const fsAlways = new FsJournal({ dir: join(dir, "always"), fsync: "always" });
const fsNever = new FsJournal({ dir: join(dir, "never"), fsync: "never" });
const table = `"${schema}".raw_batches`;
const fsWriter = (fsync: "always" | "never") => new FsJournal({ dir: join(dir, fsync), fsync });
type Row = { deletes: number[]; baseline: number[]; lease: number[]; prune: number[] };
const rows = new Map<string, Row>();
const row = (name: string) => {
  const r = rows.get(name) ?? { deletes: [], baseline: [], lease: [], prune: [] };
  rows.set(name, r);
  return r;
};
try {
  await postgres.migrate();
  await pool.query(
    `CREATE TABLE ${table} (thread_id text COLLATE "C" NOT NULL, first_seq integer NOT NULL, events text NOT NULL, PRIMARY KEY (thread_id, first_seq))`,
  );
  // One thread's file, as the journal writes it.
  await fsNever.append("size", sampleEvents(21), -1);
  const bytes = statSync(join(dir, "never", "size.jsonl")).size;
  for (let round = -1; round < ROUNDS; round++) {
    // Round -1 warms up (JIT, files, connections) and is not counted.
    const results: [string, number, number, number, number][] = [
      [
        'journal-fs fsync "always"',
        await deletes(fsAlways, fsWriter("always"), `a${round}`),
        unlinks(join(dir, `ua${round}`), bytes, true),
        await leases(fsAlways, `la${round}`),
        await prune(fsAlways, fsWriter("always"), `pa${round}`),
      ],
      [
        'journal-fs fsync "never"',
        await deletes(fsNever, fsWriter("never"), `n${round}`),
        unlinks(join(dir, `un${round}`), bytes, false),
        await leases(fsNever, `ln${round}`),
        await prune(fsNever, fsWriter("never"), `pn${round}`),
      ],
      [
        "journal-postgres",
        await deletes(postgres, new PostgresJournal({ pool, schema }), `p${round}`),
        await rawDeletes(pool, table, Math.round(bytes / 3)),
        await leases(postgres, `lp${round}`),
        await prune(postgres, new PostgresJournal({ pool, schema }), `pp${round}`),
      ],
    ];
    if (round < 0) continue;
    for (const [name, d, b, l, p] of results) {
      const r = row(name);
      r.deletes.push(d);
      r.baseline.push(b);
      r.lease.push(l);
      r.prune.push(p);
    }
  }
  console.log(
    `\ndeleting threads (${THREADS} finished threads of 21 events, ${ROUNDS} interleaved rounds, medians) — node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, load ${loadavg()[0]!.toFixed(1)}`,
  );
  console.log(
    `${"journal".padEnd(27)} ${"deleteThread".padStart(13)}   ${"baseline (same run)".padEnd(36)} ${"ratio".padStart(6)} ${"lease".padStart(9)} ${"pruneThreads".padStart(15)}`,
  );
  const baselines: Record<string, string> = {
    'journal-fs fsync "always"': "unlink + fsync of the folder",
    'journal-fs fsync "never"': "unlink",
    "journal-postgres": "DELETE of its rows (a commit)",
  };
  for (const [name, r] of rows) {
    const d = median(r.deletes);
    const b = median(r.baseline);
    console.log(
      `${name.padEnd(27)} ${`${d.toFixed(0)} µs`.padStart(13)}   ${`${baselines[name]} ${b.toFixed(0)} µs`.padEnd(36)} ${`${(d / b).toFixed(2)}x`.padStart(6)} ${`${median(r.lease).toFixed(0)} µs`.padStart(9)} ${`${median(r.prune).toFixed(0)} threads/s`.padStart(15)}`,
    );
  }
  console.log(
    "lease: acquire + release of a free thread on the same journal (a delete takes the thread as a lease does); pruneThreads: its listing and deletes, per second",
  );
} finally {
  for (const journal of [postgres, fsAlways, fsNever]) await journal.close().catch(() => undefined);
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
  await pool.end();
  rmSync(dir, { recursive: true, force: true });
}
