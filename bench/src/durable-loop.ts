// The durable loop per iteration (issue 15): the same scripted workload (one tool call per
// iteration, an instant model) on each shipped journal, each beside its same-run baseline:
//   journal-postgres           vs  one commit: a one-row INSERT in its own transaction, same server
//   journal-fs fsync "always"  vs  one raw appendFile + fsync of one line, same disk
//   journal-fs fsync "never"   vs  the same loop on MemoryJournal
// Rounds interleave every measurement (a shared, noisy machine); figures are medians of rounds.
// Also counted: journal appends per iteration, which is what ADR 0010 brings down. For Postgres, where
// an iteration goes (ADR 0011, addendum): the append's statement alone (the batches an iteration
// writes, JSON built beforehand, one connection) and `journal.append` alone (the same batches, no
// agent), each against the same run's commit.
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { createAgent, type Journal, MemoryJournal, type NewEvent, tool } from "@loom/core";
import { FsJournal } from "@loom/journal-fs";
import { PostgresJournal } from "@loom/journal-postgres";
import { ScriptedProvider, type ScriptedTurn } from "@loom/testing";
import pg from "pg";
import { z } from "zod";

const ITERATIONS = Number(process.env.LOOM_BENCH_ITERATIONS ?? 200);
const ROUNDS = Number(process.env.LOOM_BENCH_ROUNDS ?? 5);
const DATABASE = process.env.LOOM_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/loom_test";

const add = tool({
  name: "add",
  description: "Adds two numbers",
  input: z.object({ a: z.number(), b: z.number() }),
  idempotent: true,
  run: ({ a, b }) => String(a + b),
});

function script(iterations: number): ScriptedTurn[] {
  const turns: ScriptedTurn[] = [];
  for (let i = 0; i < iterations - 1; i++) {
    turns.push({ text: "", toolCalls: [{ id: `c${i}`, name: "add", args: { a: i, b: 1 } }] });
  }
  turns.push({ text: "done" });
  return turns;
}

/** Counts the appends a journal is asked for. */
function counted(journal: Journal): { journal: Journal; appends: () => number } {
  let appends = 0;
  const append = journal.append.bind(journal);
  journal.append = (threadId, events, expectedSeq) => {
    appends++;
    return append(threadId, events, expectedSeq);
  };
  return { journal, appends: () => appends };
}

/** The batches an iteration appends (from a run on MemoryJournal): each from a tool.completed to the next tool.started. */
async function iterationBatches(): Promise<{ first: NewEvent[]; batches: NewEvent[][] }> {
  const journal = new MemoryJournal();
  const appended: NewEvent[][] = [];
  const append = journal.append.bind(journal);
  journal.append = (threadId, events, expectedSeq) => {
    appended.push([...events]);
    return append(threadId, events, expectedSeq);
  };
  await loop(journal);
  const [first, ...rest] = appended;
  return { first: first!, batches: rest.filter((batch) => batch.at(-1)?.type === "tool.started") };
}

/** µs (median) of `journal.append` of `batches` in turn on a new thread, no agent around it. */
async function appendAloneUs(journal: Journal, first: NewEvent[], batches: NewEvent[][]): Promise<number> {
  const threadId = `bench-append-${randomUUID()}`;
  let head = (await journal.append(threadId, first, -1)).lastSeq;
  const times: number[] = [];
  for (const batch of batches) {
    const started = performance.now();
    head = (await journal.append(threadId, batch, head)).lastSeq;
    times.push((performance.now() - started) * 1000);
  }
  return median(times);
}

/**
 * µs (median) of the append's own statement for `batches`, sent as the journal sends it (prepared,
 * the batch as one JSON parameter) but built beforehand, on one connection: what the server and the
 * round trip cost, without the journal's client work or the agent's.
 */
async function statementAloneUs(pool: pg.Pool, schema: string, first: NewEvent[], batches: NewEvent[][]) {
  const s = `"${schema}"`;
  const threadId = `bench-statement-${randomUUID()}`;
  const rows = (events: NewEvent[], start: number) =>
    JSON.stringify(
      events.map((e, i) => ({
        seq: start + i,
        v: e.v,
        type: e.type,
        run_id: e.runId,
        ts: e.ts,
        frame_id: e.frameId,
        parent_frame_id: e.parentFrameId ?? null,
        depth: e.depth,
        iteration: e.iteration,
        data: e.data,
      })),
    );
  const text = `WITH head AS (
      UPDATE ${s}.threads SET head_seq = $3, status = COALESCE($4, status), updated_at = clock_timestamp()
      WHERE thread_id = $1 AND head_seq = $5
      RETURNING thread_id, NOT pg_try_advisory_xact_lock(hashtextextended('loom-listen:${schema}', 0)) AS listened
    ), inserted AS (
      INSERT INTO ${s}.events (thread_id, seq, v, type, run_id, ts, frame_id, parent_frame_id, depth, iteration, data)
      SELECT head.thread_id, e.* FROM head, json_to_recordset($2::json) AS e(seq integer, v smallint, type text,
        run_id text, ts double precision, frame_id text, parent_frame_id text, depth integer, iteration integer, data jsonb)
    )
    SELECT listened FROM head`;
  const client = await pool.connect();
  try {
    await client.query(`INSERT INTO ${s}.threads (thread_id, head_seq) VALUES ($1, $2)`, [
      threadId,
      first.length - 1,
    ]);
    let head = first.length - 1;
    const prepared = batches.map((batch) => {
      const values = [threadId, rows(batch, head + 1), head + batch.length, null, head];
      head += batch.length;
      return values;
    });
    const times: number[] = [];
    for (const values of prepared) {
      const started = performance.now();
      const result = await client.query({ name: `bench_statement_${schema}`, text, values });
      times.push((performance.now() - started) * 1000);
      if (result.rows.length !== 1) throw new Error("bench statement claimed nothing");
    }
    return median(times);
  } finally {
    client.release();
  }
}

/** µs per iteration of one run of the workload on `journal`, and the appends it made per iteration. */
async function loop(journal: Journal): Promise<{ us: number; appendsPerIteration: number }> {
  const { appends } = counted(journal);
  const agent = createAgent({
    journal,
    tools: [add],
    maxIterations: ITERATIONS + 1,
    provider: new ScriptedProvider({ turns: script(ITERATIONS), recordRequests: false }),
  });
  const started = performance.now();
  const result = await agent.run("go", { threadId: `bench-${randomUUID()}` });
  const us = ((performance.now() - started) * 1000) / ITERATIONS;
  if (result.status !== "completed") throw new Error("bench run did not complete");
  return { us, appendsPerIteration: appends() / ITERATIONS };
}

async function commitLatencyUs(pool: pg.Pool, table: string): Promise<Latency> {
  const client = await pool.connect();
  try {
    const times: number[] = [];
    for (let i = 0; i < 100; i++) {
      const started = performance.now();
      await client.query(`INSERT INTO ${table} (v) VALUES ($1)`, [i]);
      times.push((performance.now() - started) * 1000);
    }
    return { median: median(times), mean: times.reduce((a, b) => a + b, 0) / times.length };
  } finally {
    client.release();
  }
}

/** µs of one appendFile + fsync of one line (about 330 bytes), or of `bytes` bytes when given. */
async function fsyncUs(file: string, bytes?: number): Promise<Latency> {
  const handle = await open(file, "a");
  try {
    const times: number[] = [];
    for (let i = 0; i < 100; i++) {
      const line = bytes === undefined ? JSON.stringify({ i, text: "x".repeat(300) }) : "x".repeat(bytes - 1);
      const started = performance.now();
      await handle.appendFile(`${line}\n`);
      await handle.sync();
      times.push((performance.now() - started) * 1000);
    }
    return { median: median(times), mean: times.reduce((a, b) => a + b, 0) / times.length };
  } finally {
    await handle.close();
  }
}

/**
 * A baseline's median and mean. The loop's figure is a mean (a run's time over its iterations), so
 * the mean of the baseline, which counts its slow fsyncs and commits as the loop does, is printed too.
 */
interface Latency {
  median: number;
  mean: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const dir = mkdtempSync(join(tmpdir(), "loom-durable-loop-"));
const schema = `bench_loop_${randomUUID().replaceAll("-", "").slice(0, 8)}`;
const pool = new pg.Pool({ connectionString: DATABASE, max: 4 });
const postgres = new PostgresJournal({ pool, schema });
const rows: Record<string, number[]> = {};
const appendsPer: Record<string, number> = {};
let bytesPerIteration = 0;
const note = (name: string, value: number) => {
  rows[name] ??= [];
  rows[name].push(value);
};
try {
  await pool.query(`CREATE TABLE IF NOT EXISTS ${schema}_commit (v integer)`);
  // Warm-up: JIT, connections, the journal's schema.
  await loop(new MemoryJournal());
  await loop(postgres);
  const { first, batches } = await iterationBatches();
  for (let round = 0; round < ROUNDS; round++) {
    const commit = await commitLatencyUs(pool, `${schema}_commit`);
    note("commit", commit.median);
    note("commit-mean", commit.mean);
    const pgRun = await loop(postgres);
    note("postgres", pgRun.us);
    appendsPer.postgres = pgRun.appendsPerIteration;
    note("pg-append-alone", await appendAloneUs(postgres, first, batches));
    note("pg-statement-alone", await statementAloneUs(pool, schema, first, batches));
    const fsync = await fsyncUs(join(dir, "raw.log"));
    note("fsync", fsync.median);
    note("fsync-mean", fsync.mean);
    const always = new FsJournal({ dir: join(dir, `always-${round}`), fsync: "always" });
    const alwaysRun = await loop(always);
    await always.close();
    // The bytes an iteration writes (the thread file over the iterations), then a raw appendFile +
    // fsync of that many bytes: the same disk work without the journal.
    const written = readdirSync(join(dir, `always-${round}`))
      .filter((name) => name.endsWith(".jsonl"))
      .reduce((sum, name) => sum + statSync(join(dir, `always-${round}`, name)).size, 0);
    bytesPerIteration = Math.round(written / ITERATIONS);
    note("fsync-same-bytes", (await fsyncUs(join(dir, "raw-same-bytes.log"), bytesPerIteration)).mean);
    note("fs-always", alwaysRun.us);
    appendsPer["fs-always"] = alwaysRun.appendsPerIteration;
    const memoryRun = await loop(new MemoryJournal());
    note("memory", memoryRun.us);
    const never = new FsJournal({ dir: join(dir, `never-${round}`), fsync: "never" });
    const neverRun = await loop(never);
    await never.close();
    note("fs-never", neverRun.us);
  }
  const m = (name: string) => median(rows[name]!);
  const fmt = (us: number) => `${us.toFixed(0).padStart(6)} µs`;
  console.log(
    `durable loop, ${ITERATIONS} iterations of one tool call on an instant model, ${ROUNDS} interleaved rounds (medians) — node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}`,
  );
  console.log(
    "journal                    per iteration   baseline (same run)                ratio   target   appends/it",
  );
  const line = (
    name: string,
    us: number,
    baseline: string,
    baseUs: number,
    target: number,
    appends?: number,
  ) =>
    console.log(
      `${name.padEnd(26)} ${fmt(us)}       ${baseline.padEnd(26)} ${fmt(baseUs)}   ${(us / baseUs).toFixed(2)}x   <= ${target}x   ${appends === undefined ? "" : appends.toFixed(2)}`,
    );
  line("journal-postgres", m("postgres"), "commit (1-row INSERT)", m("commit"), 1.5, appendsPer.postgres);
  line(
    'journal-fs fsync "always"',
    m("fs-always"),
    "appendFile + fsync",
    m("fsync"),
    1.5,
    appendsPer["fs-always"],
  );
  line('journal-fs fsync "never"', m("fs-never"), "MemoryJournal loop", m("memory"), 2);
  console.log("the same, against the mean of each baseline (as the loop's figure is a mean):");
  line("journal-postgres", m("postgres"), "commit, mean", m("commit-mean"), 1.5);
  line('journal-fs fsync "always"', m("fs-always"), "appendFile + fsync, mean", m("fsync-mean"), 1.5);
  line(
    'journal-fs fsync "always"',
    m("fs-always"),
    `same, ${bytesPerIteration} B (1 it.), mean`,
    m("fsync-same-bytes"),
    1.5,
  );
  const size = (batches.reduce((sum, batch) => sum + batch.length, 0) / batches.length).toFixed(0);
  console.log(`where a journal-postgres iteration goes (medians, against the same run's commit median):`);
  const part = (name: string, us: number) =>
    console.log(`  ${name.padEnd(70)} ${fmt(us)}   ${(us / m("commit")).toFixed(2)} commits`);
  part(`the append's statement alone (${size} events, prepared, one connection)`, m("pg-statement-alone"));
  part("journal.append alone (the same batches, no agent)", m("pg-append-alone"));
  part("an iteration of the agent (the loop above)", m("postgres"));
} finally {
  await postgres.close().catch(() => undefined);
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
  await pool.query(`DROP TABLE IF EXISTS ${schema}_commit`).catch(() => undefined);
  await pool.end();
  rmSync(dir, { recursive: true, force: true });
}
