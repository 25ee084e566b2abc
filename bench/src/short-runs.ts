// Short runs on a long thread (issue 15), as a chat makes them: each message is a run of two model
// turns (one tool call, then the answer) on the same thread, by one agent. A thread is first grown to
// PREFIX runs (about 900 events: no snapshot yet, so a run that loads the thread reads and folds all
// of them), then RUNS more runs are timed. Each journal twice, interleaved: the agent keeping the
// thread's state between runs (`keptThreads`, the default) and loading it for every run
// (`keptThreads: 0`, what every run did before). Beside them, the same runs on MemoryJournal, and
// one run on a new thread (no history to read). Medians of runs, then of rounds.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createAgent, type Journal, MemoryJournal, tool } from "@loom/core";
import { FsJournal } from "@loom/journal-fs";
import { PostgresJournal } from "@loom/journal-postgres";
import { ScriptedProvider } from "@loom/testing";
import pg from "pg";
import { z } from "zod";

const ROUNDS = Number(process.env.LOOM_BENCH_ROUNDS ?? 5);
const PREFIX = 100;
const RUNS = 40;
const DATABASE = process.env.LOOM_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/loom_test";

const note = tool({
  name: "note",
  description: "Notes a line",
  input: z.object({ line: z.string() }),
  idempotent: true,
  run: ({ line }) => `noted: ${line}`,
});

const usage = { inputTokens: 100, outputTokens: 10 };

/** An agent whose model calls `note` once per run, then answers. */
function chatAgent(journal: Journal, keptThreads: number) {
  return createAgent({
    journal,
    tools: [note],
    keptThreads,
    maxRepeatedToolCalls: 1_000_000,
    maxNearRepeatedToolCalls: 0,
    provider: new ScriptedProvider({
      recordRequests: false,
      select: (request) => (request.messages.at(-1)?.role === "tool" ? 1 : 0),
      turns: [
        { text: "", toolCalls: [{ name: "note", args: { line: "a message" } }], usage },
        { text: "done", usage },
      ],
    }),
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** µs per run (median) of RUNS runs on a thread grown to PREFIX runs, by one agent. */
async function chat(journal: Journal, keptThreads: number): Promise<number> {
  const agent = chatAgent(journal, keptThreads);
  const threadId = `chat-${randomUUID()}`;
  for (let i = 0; i < PREFIX; i++) await agent.run(`message ${i}`, { threadId });
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const result = await agent.run(`message ${PREFIX + i}`, { threadId });
    times.push((performance.now() - started) * 1000);
    if (result.status !== "completed") throw new Error("short-runs bench: a run did not complete");
  }
  return median(times);
}

/** µs per run (median) of RUNS runs, each on a new thread. */
async function fresh(journal: Journal): Promise<number> {
  const agent = chatAgent(journal, 32);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await agent.run("a message", { threadId: `fresh-${randomUUID()}` });
    times.push((performance.now() - started) * 1000);
  }
  return median(times);
}

const dir = mkdtempSync(join(tmpdir(), "loom-short-runs-"));
const schema = `bench_short_${randomUUID().replaceAll("-", "").slice(0, 8)}`;
const pool = new pg.Pool({ connectionString: DATABASE, max: 4 });
const journals: [string, Journal][] = [
  ["MemoryJournal", new MemoryJournal()],
  ['journal-fs fsync "never"', new FsJournal({ dir: join(dir, "never"), fsync: "never" })],
  ['journal-fs fsync "always"', new FsJournal({ dir: join(dir, "always"), fsync: "always" })],
  ["journal-postgres", new PostgresJournal({ pool, schema })],
];
const rows = new Map<string, { kept: number[]; loaded: number[]; fresh: number[] }>();
try {
  // Warm-up: JIT, files, connections, the schema.
  for (const [, journal] of journals) {
    await chat(journal, 32);
    await chat(journal, 0);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, journal] of journals) {
      const row = rows.get(name) ?? { kept: [], loaded: [], fresh: [] };
      rows.set(name, row);
      row.kept.push(await chat(journal, 32));
      row.loaded.push(await chat(journal, 0));
      row.fresh.push(await fresh(journal));
    }
  }
  console.log(
    `\nshort runs on a long thread (a chat: ${RUNS} runs of one tool call and an answer, on a thread of ${PREFIX} such runs), ${ROUNDS} interleaved rounds (medians, µs per run) — node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, load ${loadavg()[0]!.toFixed(1)}`,
  );
  console.log(
    `${"journal".padEnd(27)} ${"state kept".padStart(11)} ${"loaded each run".padStart(16)} ${"kept/loaded".padStart(12)} ${"new thread".padStart(11)}`,
  );
  for (const [name, row] of rows) {
    const kept = median(row.kept);
    const loaded = median(row.loaded);
    console.log(
      `${name.padEnd(27)} ${kept.toFixed(0).padStart(11)} ${loaded.toFixed(0).padStart(16)} ${(kept / loaded).toFixed(2).padStart(12)} ${median(row.fresh).toFixed(0).padStart(11)}`,
    );
  }
} finally {
  for (const [, journal] of journals) await journal.close().catch(() => undefined);
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
  await pool.end();
  rmSync(dir, { recursive: true, force: true });
}
