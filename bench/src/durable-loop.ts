// The durable loop per iteration (issue 15): the same scripted workload (one tool call per
// iteration, an instant model) on each shipped journal, each beside its same-run baseline:
//   journal-postgres           vs  one commit: a one-row INSERT in its own transaction, same server
//   journal-fs fsync "always"  vs  one raw appendFile + fsync of one line, same disk
//   journal-fs fsync "never"   vs  the same loop on MemoryJournal
// Rounds interleave every measurement (a shared, noisy machine); figures are medians of rounds.
// Also counted: journal appends per iteration, which is what ADR 0010 brings down.
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { createAgent, type Journal, MemoryJournal, tool } from "@loom/core";
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
  for (let round = 0; round < ROUNDS; round++) {
    const commit = await commitLatencyUs(pool, `${schema}_commit`);
    note("commit", commit.median);
    note("commit-mean", commit.mean);
    const pgRun = await loop(postgres);
    note("postgres", pgRun.us);
    appendsPer.postgres = pgRun.appendsPerIteration;
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
} finally {
  await postgres.close().catch(() => undefined);
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
  await pool.query(`DROP TABLE IF EXISTS ${schema}_commit`).catch(() => undefined);
  await pool.end();
  rmSync(dir, { recursive: true, force: true });
}
