// The durable loop per iteration (issue 15): the same scripted workload (one tool call per
// iteration, an instant model; the tool, `add`, is read-only, and is run a second time as a tool
// with effects) on each shipped journal, each beside its same-run baseline:
//   journal-postgres           vs  one commit: a one-row INSERT in its own transaction, same server
//   journal-fs fsync "always"  vs  one raw appendFile + fsync of one line, same disk
//   journal-fs fsync "never"   vs  the same loop on MemoryJournal
//   journal-fs fsync "batch"   vs  one raw appendFile + fsync (the default mode, the same promise as
//                                  "always"; no target of its own in issue 15)
// journal-postgres runs on the pool it makes itself (node-postgres's pipeline mode, so an append made
// behind one in flight goes out at once: ADR 0016), and once more on a pool passed in without it.
// Rounds interleave every measurement (a shared, noisy machine); figures are medians of rounds, after
// untimed rounds that let V8 optimize the code every row runs (WARM_UP_ROUNDS). The loops without
// waits (MemoryJournal, fs "never") are 5 runs in a row per measurement: one is a few ms; their ratio
// is also printed round by round, since it moves with the state of the heap (journal-fs README).
// Also counted: journal appends per iteration, which is what ADR 0010 brings down. For Postgres, where
// an iteration goes (ADR 0011, addendum): the append's statement alone (the batches an iteration
// writes, JSON built beforehand, one connection) and `journal.append` alone (the same batches, no
// agent), each against the same run's commit; the statement and the commit again, each sent as long
// after the one before returned as the agent's own work takes (ADR 0017). And the agent's own work
// between appends, on MemoryJournal with and without the thread sleeping before each append
// resolves, and on Postgres: on this machine the same code runs slower right after the thread waited.
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
/**
 * Rounds run first and not recorded. V8 compiles a function to optimized code only after many
 * calls: timed in place, a journal-postgres append's own work (the events' validation and JSON, and
 * node-postgres's send) took 210 µs in the first 600 appends of a process and 74 µs after 3,500,
 * so without them the Postgres rows measured mostly unoptimized code, which a worker that runs for
 * more than a few seconds no longer runs.
 */
const WARM_UP_ROUNDS = Number(process.env.LOOM_BENCH_WARM_UP_ROUNDS ?? 3);
/** How long `sleepingMemoryJournal` sleeps: about one commit here. */
const SLEEP_MS = 0.3;
/** Runs in a row per measurement of a loop without waits (see `backToBack`). */
const BACK_TO_BACK = 5;
const DATABASE = process.env.LOOM_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/loom_test";

/** The workload's tool. It changes nothing outside the run, and says so: it runs while its start is written (ADR 0015). */
const add = tool({
  name: "add",
  description: "Adds two numbers",
  input: z.object({ a: z.number(), b: z.number() }),
  readOnly: true,
  run: ({ a, b }) => String(a + b),
});
/** The same tool as if it had effects (a write, a payment): each turn waits for its start to be durable (ADR 0010). */
const addWithEffects = tool({
  name: "add",
  description: "Adds two numbers",
  input: z.object({ a: z.number(), b: z.number() }),
  idempotent: true,
  run: ({ a, b }) => String(a + b),
});

// Each turn reports its usage, as a provider's response does: without it the scripted model estimates
// the tokens of the whole request itself every turn, work of the test double that grows with the
// thread and that no real provider does in the client.
const usage = { inputTokens: 100, outputTokens: 10 };

function script(iterations: number): ScriptedTurn[] {
  const turns: ScriptedTurn[] = [];
  for (let i = 0; i < iterations - 1; i++) {
    turns.push({ text: "", toolCalls: [{ id: `c${i}`, name: "add", args: { a: i, b: 1 } }], usage });
  }
  turns.push({ text: "done", usage });
  return turns;
}

/**
 * Counts the appends a journal is asked for, and notes when each one was called and resolved (ms),
 * until `restore()`.
 */
function counted(journal: Journal): {
  appends: () => number;
  called: number[];
  resolved: number[];
  restore: () => void;
} {
  let appends = 0;
  const called: number[] = [];
  const resolved: number[] = [];
  const original = journal.append;
  const append = original.bind(journal);
  journal.append = (threadId, events, expectedSeq) => {
    appends++;
    called.push(performance.now());
    return append(threadId, events, expectedSeq).then((result) => {
      resolved.push(performance.now());
      return result;
    });
  };
  const restore = () => {
    journal.append = original;
  };
  return { appends: () => appends, called, resolved, restore };
}

/**
 * A MemoryJournal whose appends resolve only after the thread has slept `ms` (blocked, as while
 * waiting for a commit, but with no I/O): what waiting alone does to the work that follows it.
 */
function sleepingMemoryJournal(ms: number): MemoryJournal {
  const journal = new MemoryJournal();
  const append = journal.append.bind(journal);
  const cell = new Int32Array(new SharedArrayBuffer(4));
  journal.append = (threadId, events, expectedSeq) =>
    append(threadId, events, expectedSeq).then((result) => {
      Atomics.wait(cell, 0, 0, ms);
      return result;
    });
  return journal;
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
 * Keeps the thread busy for `us` µs, as an agent's own work between two appends does: the connection
 * and the server sit idle meanwhile, which on this machine makes the next statement's round trip
 * longer than one sent back to back (see the rows "after the agent's own work").
 */
function busyFor(us: number): void {
  const until = performance.now() + us / 1000;
  while (performance.now() < until) {
    // spin
  }
}

/**
 * µs (median) of the append's own statement for `batches`, as the journal sends it (its prepared
 * statement, read back from the server, and the rows it stored for the same batches, replayed on a new
 * thread) on one connection: what the server and the round trip cost, without the journal's client
 * work or the agent's.
 */
async function statementAloneUs(
  schema: string,
  first: NewEvent[],
  batches: NewEvent[][],
  pauseUs = 0,
): Promise<number> {
  // A journal on a pool of one connection, so the statements it prepares are on the client used below.
  const one = new pg.Pool({ connectionString: DATABASE, max: 1 });
  const journal = new PostgresJournal({ pool: one, schema });
  const [prepare, ...replayed] = batches;
  try {
    const source = `bench-statement-source-${randomUUID()}`;
    let head = (await journal.append(source, first, -1)).lastSeq;
    for (const batch of batches) head = (await journal.append(source, batch, head)).lastSeq;
    const threadId = `bench-statement-${randomUUID()}`;
    head = (await journal.append(threadId, first, -1)).lastSeq;
    head = (await journal.append(threadId, prepare!, head)).lastSeq;
    const client = await one.connect();
    try {
      const { rows: statements } = await client.query<{ name: string; statement: string }>(
        "SELECT name, statement FROM pg_prepared_statements WHERE name LIKE '%batch_after_same'",
      );
      const { rows: stored } = await client.query<{
        events: string;
        snapshot_seq: number | null;
        append_token: string;
      }>(
        `SELECT events, snapshot_seq, append_token FROM "${schema}".batches WHERE thread_id = $1 AND first_seq > $2 ORDER BY first_seq`,
        [source, head],
      );
      const [advance] = statements;
      if (advance === undefined || stored.length !== replayed.length) throw new Error("nothing to replay");
      // Each append names the batch it follows by that batch's token (the journal's own last one).
      const { rows: last } = await client.query<{ append_token: string }>(
        `SELECT append_token FROM "${schema}".batches WHERE thread_id = $1 ORDER BY first_seq DESC LIMIT 1`,
        [threadId],
      );
      let previous = last[0]!.append_token;
      const times: number[] = [];
      for (const [i, row] of stored.entries()) {
        // The journal's parameters (an iteration keeps the thread's status): thread, events, last seq,
        // first snapshot seq, expected seq, the append's token, the token of the batch it follows.
        const values = [
          threadId,
          row.events,
          head + replayed[i]!.length,
          row.snapshot_seq,
          head,
          row.append_token,
          previous,
        ];
        previous = row.append_token;
        if (pauseUs > 0) busyFor(pauseUs);
        const started = performance.now();
        const result = await client.query({ name: advance.name, text: advance.statement, values });
        times.push((performance.now() - started) * 1000);
        if (result.rows.length !== 1) throw new Error("the replayed statement stored nothing");
        head += replayed[i]!.length;
      }
      return median(times);
    } finally {
      client.release();
    }
  } finally {
    await journal.close();
    await one.end();
  }
}

/**
 * µs per iteration of one run of the workload on `journal` (its mean: the run's time over its
 * iterations), the median iteration (from one append's commit to the next: the loop has one append
 * per iteration), and the appends it made per iteration.
 */
async function loop(
  journal: Journal,
  theTool: typeof add = add,
): Promise<{ us: number; p50: number; appendsPerIteration: number; clientP50: number }> {
  const { appends, called, resolved, restore } = counted(journal);
  const agent = createAgent({
    journal,
    tools: [theTool],
    maxIterations: ITERATIONS + 1,
    provider: new ScriptedProvider({ turns: script(ITERATIONS), recordRequests: false }),
  });
  const started = performance.now();
  const result = await agent.run("go", { threadId: `bench-${randomUUID()}` }).finally(restore);
  const us = ((performance.now() - started) * 1000) / ITERATIONS;
  if (result.status !== "completed") throw new Error("bench run did not complete");
  const iterations = resolved.slice(1).map((at, i) => (at - resolved[i]!) * 1000);
  // The agent's own work between one append's resolution and the next append's call.
  const client = called.slice(1).map((at, i) => (at - resolved[i]!) * 1000);
  return {
    us,
    p50: median(iterations),
    appendsPerIteration: appends() / ITERATIONS,
    clientP50: median(client),
  };
}

/**
 * The loop without waits (MemoryJournal, fs "never") as `BACK_TO_BACK` runs in a row, each on a new
 * thread: µs per iteration over all of them, and the median of their `clientP50`s. One such run takes
 * a few ms, about as long as one young-generation GC here (1–5 ms), which a run takes or misses by
 * chance: one run each, fs "never" measured 0.4–8x the memory loop from round to round (9 rounds).
 */
async function backToBack(
  journal: Journal,
  theTool: typeof add = add,
): Promise<{ us: number; clientP50: number }> {
  let us = 0;
  const client: number[] = [];
  for (let i = 0; i < BACK_TO_BACK; i++) {
    const run = await loop(journal, theTool);
    us += run.us;
    client.push(run.clientP50);
  }
  return { us: us / BACK_TO_BACK, clientP50: median(client) };
}

/**
 * One untimed run of the read-only loop on `journal`, counting the statements its pool's connections
 * were sent while another was in flight on the same connection (pipelined, ADR 0016), out of all.
 */
async function pipelinedStatements(journal: PostgresJournal): Promise<{ behind: number; all: number }> {
  const counts = { behind: 0, all: 0 };
  const restore: (() => void)[] = [];
  const wrapped = new WeakSet<pg.PoolClient>();
  const count = (client: pg.PoolClient) => {
    if (wrapped.has(client)) return;
    wrapped.add(client);
    const query = client.query;
    let inFlight = 0;
    const counted = (...args: unknown[]) => {
      const result = (query as (...a: unknown[]) => unknown).apply(client, args);
      // The pool's own queries pass a callback and get no promise: only the journal's count.
      if (result instanceof Promise) {
        counts.all++;
        if (inFlight++ > 0) counts.behind++;
        const settled = () => {
          inFlight--;
        };
        result.then(settled, settled);
      }
      return result;
    };
    (client as { query: unknown }).query = counted;
    restore.push(() => {
      (client as { query: unknown }).query = query;
    });
  };
  journal.pool.on("acquire", count);
  try {
    await loop(journal);
  } finally {
    journal.pool.off("acquire", count);
    for (const undo of restore) undo();
  }
  return counts;
}

/** The commit baseline: a one-row INSERT in its own transaction, back to back, or each after `pauseUs` of work. */
async function commitLatencyUs(pool: pg.Pool, table: string, pauseUs = 0): Promise<Latency> {
  const client = await pool.connect();
  try {
    const times: number[] = [];
    for (let i = 0; i < 100; i++) {
      if (pauseUs > 0) busyFor(pauseUs);
      const started = performance.now();
      // Prepared, as the journal's append is: the baseline pays no parsing or planning either.
      await client.query({
        name: `commit_${table}`,
        text: `INSERT INTO ${table} (v) VALUES ($1)`,
        values: [i],
      });
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
// The commit baseline's pool, also passed to a second journal below.
const pool = new pg.Pool({ connectionString: DATABASE, max: 4 });
// The journal as `new PostgresJournal({ connectionString })` makes it: its own pool, in node-postgres's
// pipeline mode, so an append behind one still in flight goes out at once (ADR 0016).
const postgres = new PostgresJournal({ connectionString: DATABASE, schema, poolConfig: { max: 4 } });
// The same tables through a pool passed in without `pipeline: true`: such an append waits for the
// one before it to settle.
const postgresUnpipelined = new PostgresJournal({ pool, schema });
const rows: Record<string, number[]> = {};
const appendsPer: Record<string, number> = {};
let bytesPerIteration = 0;
// Untimed rounds first are not recorded (see WARM_UP_ROUNDS).
let warming = false;
const note = (name: string, value: number) => {
  if (warming) return;
  rows[name] ??= [];
  rows[name].push(value);
};
try {
  await pool.query(`CREATE TABLE IF NOT EXISTS ${schema}_commit (v integer)`);
  // Warm-up: JIT, connections, the journal's schema.
  await loop(new MemoryJournal());
  await loop(postgres);
  await loop(postgresUnpipelined);
  const { first, batches } = await iterationBatches();
  const pipelined = await pipelinedStatements(postgres);
  for (let round = -WARM_UP_ROUNDS; round < ROUNDS; round++) {
    warming = round < 0;
    const commit = await commitLatencyUs(pool, `${schema}_commit`);
    note("commit", commit.median);
    note("commit-mean", commit.mean);
    const pgRun = await loop(postgres);
    note("postgres", pgRun.us);
    note("postgres-p50", pgRun.p50);
    appendsPer.postgres = pgRun.appendsPerIteration;
    const unpipelined = await loop(postgresUnpipelined);
    note("postgres-unpipelined", unpipelined.us);
    note("postgres-unpipelined-p50", unpipelined.p50);
    const pgEffects = await loop(postgres, addWithEffects);
    note("postgres-effects", pgEffects.us);
    note("postgres-effects-p50", pgEffects.p50);
    note("postgres-client", pgEffects.clientP50);
    appendsPer["postgres-effects"] = pgEffects.appendsPerIteration;
    note("pg-append-alone", await appendAloneUs(postgres, first, batches));
    note("pg-statement-alone", await statementAloneUs(schema, first, batches));
    // The same statement and the commit baseline, each sent as long after the one before returned as
    // the agent's own work took in this round's loop with effects.
    note("pg-statement-after-work", await statementAloneUs(schema, first, batches, pgEffects.clientP50));
    note("commit-after-work", (await commitLatencyUs(pool, `${schema}_commit`, pgEffects.clientP50)).median);
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
    note("fs-always-p50", alwaysRun.p50);
    appendsPer["fs-always"] = alwaysRun.appendsPerIteration;
    const alwaysEffects = new FsJournal({ dir: join(dir, `always-effects-${round}`), fsync: "always" });
    const alwaysEffectsRun = await loop(alwaysEffects, addWithEffects);
    await alwaysEffects.close();
    note("fs-always-effects", alwaysEffectsRun.us);
    appendsPer["fs-always-effects"] = alwaysEffectsRun.appendsPerIteration;
    // The default mode: the same promise as "always", its fsyncs in libuv's pool (shared between
    // appends that wait at once) and its writes extending the file (journal-fs README).
    for (const [name, theTool] of [
      ["fs-batch", add],
      ["fs-batch-effects", addWithEffects],
    ] as const) {
      const batch = new FsJournal({ dir: join(dir, `${name}-${round}`), fsync: "batch" });
      const batchRun = await loop(batch, theTool);
      await batch.close();
      note(name, batchRun.us);
      appendsPer[name] = batchRun.appendsPerIteration;
    }
    note("memory", (await backToBack(new MemoryJournal())).us);
    const memoryEffects = await backToBack(new MemoryJournal(), addWithEffects);
    note("memory-effects", memoryEffects.us);
    note("memory-client", memoryEffects.clientP50);
    note("sleeping-client", (await loop(sleepingMemoryJournal(SLEEP_MS), addWithEffects)).clientP50);
    const never = new FsJournal({ dir: join(dir, `never-${round}`), fsync: "never" });
    note("fs-never", (await backToBack(never)).us);
    await never.close();
    const neverEffects = new FsJournal({ dir: join(dir, `never-effects-${round}`), fsync: "never" });
    note("fs-never-effects", (await backToBack(neverEffects, addWithEffects)).us);
    await neverEffects.close();
  }
  const m = (name: string) => median(rows[name]!);
  const fmt = (us: number) => `${us.toFixed(0).padStart(6)} µs`;
  console.log(
    `durable loop, ${ITERATIONS} iterations of one tool call on an instant model, ${ROUNDS} interleaved rounds (medians) after ${WARM_UP_ROUNDS} untimed — node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}`,
  );
  console.log(
    "journal                    per iteration   baseline (same run)                ratio   target   appends/it",
  );
  const line = (
    name: string,
    us: number,
    baseline: string,
    baseUs: number,
    /** Issue 15's target for the row; `"batch"` has none of its own (journal-fs README). */
    target: number | undefined,
    appends?: number,
  ) =>
    console.log(
      `${name.padEnd(26)} ${fmt(us)}       ${baseline.padEnd(26)} ${fmt(baseUs)}   ${(us / baseUs).toFixed(2)}x   ${target === undefined ? "none   " : `<= ${target}x`}   ${appends === undefined ? "" : appends.toFixed(2)}`,
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
  line(
    'journal-fs fsync "batch"',
    m("fs-batch"),
    "appendFile + fsync",
    m("fsync"),
    undefined,
    appendsPer["fs-batch"],
  );
  console.log(
    "the same tool as one with effects (not readOnly): its turn waits for its tool.started to be durable (ADR 0010):",
  );
  line(
    "journal-postgres",
    m("postgres-effects"),
    "commit (1-row INSERT)",
    m("commit"),
    1.5,
    appendsPer["postgres-effects"],
  );
  line(
    'journal-fs fsync "always"',
    m("fs-always-effects"),
    "appendFile + fsync",
    m("fsync"),
    1.5,
    appendsPer["fs-always-effects"],
  );
  line('journal-fs fsync "never"', m("fs-never-effects"), "MemoryJournal loop, same", m("memory-effects"), 2);
  line(
    'journal-fs fsync "batch"',
    m("fs-batch-effects"),
    "appendFile + fsync",
    m("fsync"),
    undefined,
    appendsPer["fs-batch-effects"],
  );
  // The loops without waits measured in the same round, as ratios: how far apart rounds land.
  const perRound = (name: string, base: string) =>
    rows[name]!.map((us, i) => us / rows[base]![i]!).sort((a, b) => a - b);
  const spread = (ratios: number[]) =>
    `${ratios[0]!.toFixed(2)}–${ratios.at(-1)!.toFixed(2)}x (median ${median(ratios).toFixed(2)}x)`;
  console.log(
    `journal-fs fsync "never" / MemoryJournal loop, round by round: read-only tool ${spread(perRound("fs-never", "memory"))}, with effects ${spread(perRound("fs-never-effects", "memory-effects"))}`,
  );
  console.log("the median iteration (one append's commit to the next), against each baseline's median:");
  line("journal-postgres, p50", m("postgres-p50"), "commit (1-row INSERT)", m("commit"), 1.5);
  line(
    "journal-postgres, effects, p50",
    m("postgres-effects-p50"),
    "commit (1-row INSERT)",
    m("commit"),
    1.5,
  );
  line('journal-fs fsync "always", p50', m("fs-always-p50"), "appendFile + fsync", m("fsync"), 1.5);
  console.log("the mean iteration, against the mean of each baseline (as the loop's figure is a mean):");
  line("journal-postgres", m("postgres"), "commit, mean", m("commit-mean"), 1.5);
  line("journal-postgres, effects", m("postgres-effects"), "commit, mean", m("commit-mean"), 1.5);
  line('journal-fs fsync "always"', m("fs-always"), "appendFile + fsync, mean", m("fsync-mean"), 1.5);
  line(
    'journal-fs fsync "always"',
    m("fs-always"),
    `same, ${bytesPerIteration} B (1 it.), mean`,
    m("fsync-same-bytes"),
    1.5,
  );
  console.log(
    "journal-postgres on a pool passed in without `pipeline: true` (an append behind another waits for it to settle; ADR 0016), read-only tool:",
  );
  line("mean", m("postgres-unpipelined"), "commit (1-row INSERT)", m("commit"), 1.5);
  line("p50", m("postgres-unpipelined-p50"), "commit (1-row INSERT)", m("commit"), 1.5);
  line("mean", m("postgres-unpipelined"), "commit, mean", m("commit-mean"), 1.5);
  const size = (batches.reduce((sum, batch) => sum + batch.length, 0) / batches.length).toFixed(0);
  console.log(`where a journal-postgres iteration goes (medians, against the same run's commit median):`);
  const part = (name: string, us: number) =>
    console.log(`  ${name.padEnd(70)} ${fmt(us)}   ${(us / m("commit")).toFixed(2)} commits`);
  part(`the append's statement alone (${size} events, prepared, one connection)`, m("pg-statement-alone"));
  part("journal.append alone (the same batches, no agent)", m("pg-append-alone"));
  part(
    `the statement alone, each sent ${m("postgres-client").toFixed(0)} µs after the one before returned (the agent's work)`,
    m("pg-statement-after-work"),
  );
  part("one commit (1-row INSERT), each sent after as long a pause", m("commit-after-work"));
  console.log(
    `  statements sent behind another in flight on their connection, read-only loop (untimed run)      ${pipelined.behind} of ${pipelined.all}`,
  );
  part("an iteration of the agent, read-only tool (the loop above)", m("postgres"));
  part("an iteration of the agent, the tool with effects", m("postgres-effects"));
  console.log(
    "the agent's own work between one append's resolution and the next append, the tool with effects (medians): the same code, slower after a wait",
  );
  const work = (name: string, us: number) =>
    console.log(`  ${name.padEnd(70)} ${fmt(us)}   ${(us / m("memory-client")).toFixed(2)}x`);
  work("on MemoryJournal (no wait)", m("memory-client"));
  work(
    `on MemoryJournal, the thread asleep ${SLEEP_MS} ms before each append resolves`,
    m("sleeping-client"),
  );
  work("on journal-postgres (after each commit)", m("postgres-client"));
} finally {
  await postgres.close().catch(() => undefined);
  await postgresUnpipelined.close().catch(() => undefined);
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
  await pool.query(`DROP TABLE IF EXISTS ${schema}_commit`).catch(() => undefined);
  await pool.end();
  rmSync(dir, { recursive: true, force: true });
}
