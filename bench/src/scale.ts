// Many threads (issue 15): LOOM_BENCH_SCALE threads (default 1,000) of 20 iterations each (one tool
// call per iteration, an instant model), run
//   - on Postgres by 4 worker processes through ThreadQueue (pg-boss), and
//   - by one process with journal-fs (fsync "batch"), 32 threads at a time;
// printing threads per second and the p50/p99 latency of an iteration (from one append of a thread
// to its next: one append per iteration, ADR 0010). Then, on Postgres, how long a killed worker's
// threads wait before another worker moves them on: workers hold slow threads (a tool that sleeps),
// the one holding the most is SIGKILLed, and each of its threads is timed until another worker
// appends to it. That is measured LOOM_BENCH_FAILOVER_ROUNDS times (default 3) for each of
// failoverCheckMs 0 (off: pg-boss's heartbeat expiry alone), 1000 (the default) and 250,
// interleaved, each round on fresh workers and schemas. The queue settings used are printed with it.
// LOOM_BENCH_SCALE_FAILOVER_ONLY=1 skips the throughput runs.
import { type ChildProcess, fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createAgent, type Journal, tool } from "@loom/core";
import { FsJournal } from "@loom/journal-fs";
import { PostgresJournal } from "@loom/journal-postgres";
import { ThreadQueue } from "@loom/journal-postgres/queue";
import { ScriptedProvider, type ScriptedTurn } from "@loom/testing";
import pg from "pg";
import { z } from "zod";

const THREADS = Number(process.env.LOOM_BENCH_SCALE ?? 1000);
const ITERATIONS = 20;
const WORKERS = 4;
const CONCURRENCY = Number(process.env.LOOM_BENCH_SCALE_CONCURRENCY ?? 8);
const FS_CONCURRENCY = 32;
const SLOW_THREADS = 8;
const DATABASE = process.env.LOOM_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/loom_test";
/** The failover settings: pg-boss's floor for the heartbeat, the queue monitor every second. */
const QUEUE_SETTINGS = {
  heartbeatSeconds: Number(process.env.LOOM_BENCH_HEARTBEAT_SECONDS ?? 10),
  superviseIntervalSeconds: Number(process.env.LOOM_BENCH_SUPERVISE_SECONDS ?? 1),
  pollingIntervalSeconds: 0.5,
  retryDelaySeconds: 0,
  queueCacheIntervalSeconds: 1,
} as const;
const FAILOVER_VARIANTS = [0, 1000, 250] as const;
const FAILOVER_ROUNDS = Number(process.env.LOOM_BENCH_FAILOVER_ROUNDS ?? 3);
const FAILOVER_ONLY = process.env.LOOM_BENCH_SCALE_FAILOVER_ONLY === "1";
/**
 * Workers take the next job at once while more than this many are ready (0: off, each slot waits
 * the polling interval between jobs, pg-boss's default behaviour).
 */
const BURST = Number(process.env.LOOM_BENCH_SCALE_BURST ?? 1);

const add = tool({
  name: "add",
  description: "Adds two numbers",
  input: z.object({ a: z.number(), b: z.number() }),
  idempotent: true,
  run: ({ a, b }) => String(a + b),
});
const nap = tool({
  name: "nap",
  description: "Sleeps",
  input: z.object({ ms: z.number() }),
  idempotent: true,
  run: async ({ ms }) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return "rested";
  },
});

const FAST: ScriptedTurn[] = [
  ...Array.from({ length: ITERATIONS - 1 }, (_, i) => ({
    text: "",
    toolCalls: [{ name: "add", args: { a: i, b: 1 } }],
  })),
  { text: "done" },
];
const SLOW: ScriptedTurn[] = [
  { text: "", toolCalls: [{ name: "nap", args: { ms: 600_000 } }] },
  { text: "done" },
];

/** Fast threads play FAST, threads whose input starts with "slow" play SLOW; both by the turn's index. */
function provider(): ScriptedProvider {
  return new ScriptedProvider({
    recordRequests: false,
    turns: [...FAST, ...SLOW],
    select: (request) => {
      const first = request.messages.find((m) => m.role === "user");
      const slow = typeof first?.content === "string" && first.content.startsWith("slow");
      const answered = request.messages.filter((m) => m.role === "assistant").length;
      return (slow ? FAST.length : 0) + answered;
    },
  });
}

/** Wraps `journal.append` to time iterations: from one append of a thread to its next. */
function timed(journal: Journal, onFirst?: (threadId: string) => void): { latencies: number[] } {
  const latencies: number[] = [];
  const last = new Map<string, number>();
  const append = journal.append.bind(journal);
  journal.append = (threadId, events, expectedSeq) => {
    const now = performance.now();
    const before = last.get(threadId);
    if (before === undefined) onFirst?.(threadId);
    else latencies.push(now - before);
    if (events.some((e) => e.type === "run.completed" && e.depth === 0)) last.delete(threadId);
    else last.set(threadId, now);
    return append(threadId, events, expectedSeq);
  };
  return { latencies };
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Number.NaN;
}

type WorkerMessage = { ready: true } | { started: string } | { latencies: number[] };

async function worker(journalSchema: string, bossSchema: string, failoverCheckMs: number): Promise<void> {
  const journal = new PostgresJournal({
    connectionString: DATABASE,
    schema: journalSchema,
    poolConfig: { max: CONCURRENCY * 2 + 4 },
  });
  const { latencies } = timed(journal, (threadId) => process.send!({ started: threadId }));
  const queue = new ThreadQueue({ journal, bossSchema, ...QUEUE_SETTINGS, failoverCheckMs });
  const agent = createAgent({
    provider: provider(),
    tools: [add, nap],
    journal,
    maxIterations: ITERATIONS + 2,
  });
  await queue.work(agent, {
    concurrency: CONCURRENCY,
    ...(BURST > 0 ? { burstWhenReadyExceeds: BURST } : {}),
  });
  process.send!({ ready: true });
  process.on("message", (message: string) => {
    if (message === "report") process.send!({ latencies });
  });
}

function startWorker(
  journalSchema: string,
  bossSchema: string,
  failoverCheckMs = 1000,
): Promise<{ child: ChildProcess; started: Set<string> }> {
  const child = fork(
    fileURLToPath(import.meta.url),
    ["worker", journalSchema, bossSchema, String(failoverCheckMs)],
    {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    },
  );
  const started = new Set<string>();
  return new Promise((resolve, reject) => {
    child.on("message", (message: WorkerMessage) => {
      if ("ready" in message) resolve({ child, started });
      if ("started" in message) started.add(message.started);
    });
    child.once("exit", (code) => reject(new Error(`a worker exited (code ${code}) before it was ready`)));
  });
}

function report(child: ChildProcess): Promise<number[]> {
  return new Promise((resolve) => {
    const listen = (message: WorkerMessage) => {
      if ("latencies" in message) {
        child.off("message", listen);
        resolve(message.latencies);
      }
    };
    child.on("message", listen);
    child.send("report");
  });
}

async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`scale bench: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

async function postgres(): Promise<string[]> {
  const id = randomUUID().replaceAll("-", "").slice(0, 8);
  const journalSchema = `bench_scale_${id}`;
  const bossSchema = `bench_boss_${id}`;
  const admin = new pg.Pool({ connectionString: DATABASE, max: 2 });
  const journal = new PostgresJournal({
    connectionString: DATABASE,
    schema: journalSchema,
    poolConfig: { max: 8 },
  });
  const queue = new ThreadQueue({ journal, bossSchema, ...QUEUE_SETTINGS });
  const workers: { child: ChildProcess; started: Set<string> }[] = [];
  const lines: string[] = [];
  try {
    await journal.migrate();
    await queue.start();
    workers.push(
      ...(await Promise.all(Array.from({ length: WORKERS }, () => startWorker(journalSchema, bossSchema)))),
    );
    const completed = async (prefix: string) => {
      const { rows } = await admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${journalSchema}".threads WHERE status = 'completed' AND starts_with(thread_id, $1)`,
        [prefix],
      );
      return rows[0]!.n;
    };
    const started = performance.now();
    for (let i = 0; i < THREADS; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, THREADS - i) }, (_, j) => queue.enqueue(`scale-${i + j}`, "go")),
      );
    }
    await until(
      `${THREADS} threads to complete`,
      async () => (await completed("scale-")) === THREADS,
      600_000,
      50,
    );
    const seconds = (performance.now() - started) / 1000;
    const latencies = (await Promise.all(workers.map((w) => report(w.child)))).flat();
    lines.push(
      `| Postgres, ${WORKERS} worker processes × ${CONCURRENCY} threads at a time (ThreadQueue, ${BURST > 0 ? `burstWhenReadyExceeds ${BURST}` : "no burst"}) | ${(THREADS / seconds).toFixed(1)} | ${quantile(latencies, 0.5).toFixed(1)} ms | ${quantile(latencies, 0.99).toFixed(1)} ms | ${seconds.toFixed(1)} s |`,
    );
  } finally {
    for (const w of workers)
      if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
    await queue.stop({ timeoutMs: 1_000 }).catch(() => undefined);
    await journal.close().catch(() => undefined);
    await admin.query(`DROP SCHEMA IF EXISTS "${journalSchema}" CASCADE`).catch(() => undefined);
    await admin.query(`DROP SCHEMA IF EXISTS "${bossSchema}" CASCADE`).catch(() => undefined);
    await admin.end();
  }
  return lines;
}

/**
 * Seconds each of a killed worker's threads waited before another worker appended to it, on fresh
 * workers and schemas: slow threads mid-tool on every worker, the one holding the most SIGKILLed.
 */
async function killedWorker(failoverCheckMs: number): Promise<number[]> {
  const id = randomUUID().replaceAll("-", "").slice(0, 8);
  const journalSchema = `bench_failover_${id}`;
  const bossSchema = `bench_failover_boss_${id}`;
  const admin = new pg.Pool({ connectionString: DATABASE, max: 2 });
  const journal = new PostgresJournal({
    connectionString: DATABASE,
    schema: journalSchema,
    poolConfig: { max: 4 },
  });
  const queue = new ThreadQueue({ journal, bossSchema, ...QUEUE_SETTINGS });
  const workers: { child: ChildProcess; started: Set<string> }[] = [];
  try {
    await journal.migrate();
    await queue.start();
    workers.push(
      ...(await Promise.all(
        Array.from({ length: WORKERS }, () => startWorker(journalSchema, bossSchema, failoverCheckMs)),
      )),
    );
    for (let i = 0; i < SLOW_THREADS; i++) await queue.enqueue(`slow-${i}`, "slow");
    const slowStarted = () => workers.flatMap((w) => [...w.started]);
    await until("the slow threads to start", async () => slowStarted().length === SLOW_THREADS, 60_000);
    // Their tool.started is durable once the nap runs: give the last append a moment to commit.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const victim = workers.reduce((a, b) => (b.started.size > a.started.size ? b : a));
    const orphans = [...victim.started];
    const heads = new Map<string, number>();
    for (const threadId of orphans) heads.set(threadId, await journal.head(threadId));
    const killedAt = performance.now();
    victim.child.kill("SIGKILL");
    const moved = new Map<string, number>();
    await until(
      "the killed worker's threads to move",
      async () => {
        for (const threadId of orphans) {
          if (!moved.has(threadId) && (await journal.head(threadId)) > heads.get(threadId)!) {
            moved.set(threadId, (performance.now() - killedAt) / 1000);
          }
        }
        return moved.size === orphans.length;
      },
      120_000,
      20,
    );
    return [...moved.values()];
  } finally {
    for (const w of workers)
      if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
    await queue.stop({ timeoutMs: 1_000 }).catch(() => undefined);
    await journal.close().catch(() => undefined);
    await admin.query(`DROP SCHEMA IF EXISTS "${journalSchema}" CASCADE`).catch(() => undefined);
    await admin.query(`DROP SCHEMA IF EXISTS "${bossSchema}" CASCADE`).catch(() => undefined);
    await admin.end();
  }
}

async function failover(): Promise<string[]> {
  const waits = new Map<number, number[]>(FAILOVER_VARIANTS.map((v) => [v, []]));
  const medians = new Map<number, number[]>(FAILOVER_VARIANTS.map((v) => [v, []]));
  for (let round = 0; round < FAILOVER_ROUNDS; round++) {
    for (const variant of FAILOVER_VARIANTS) {
      const w = await killedWorker(variant);
      waits.get(variant)!.push(...w);
      medians.get(variant)!.push(quantile(w, 0.5));
    }
  }
  return [
    "",
    `a killed worker's threads (SIGKILLed mid-tool), seconds until another worker appended to each, ${FAILOVER_ROUNDS} interleaved rounds of ${SLOW_THREADS} slow threads on ${WORKERS} fresh workers, heartbeatSeconds ${QUEUE_SETTINGS.heartbeatSeconds}, superviseIntervalSeconds ${QUEUE_SETTINGS.superviseIntervalSeconds}, pollingIntervalSeconds ${QUEUE_SETTINGS.pollingIntervalSeconds}, retryDelaySeconds ${QUEUE_SETTINGS.retryDelaySeconds}:`,
    "| failoverCheckMs | threads | min | median | max | round medians |",
    "| ---: | ---: | ---: | ---: | ---: | --- |",
    ...FAILOVER_VARIANTS.map((variant) => {
      const all = waits.get(variant)!;
      return `| ${variant === 0 ? "0 (off: heartbeat expiry)" : variant} | ${all.length} | ${quantile(all, 0).toFixed(2)} | ${quantile(all, 0.5).toFixed(2)} | ${quantile(all, 1).toFixed(2)} | ${medians
        .get(variant)!
        .map((m) => m.toFixed(2))
        .join(", ")} |`;
    }),
  ];
}

async function fs(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "loom-scale-"));
  const journal = new FsJournal({ dir, fsync: "batch" });
  const { latencies } = timed(journal);
  const agent = createAgent({
    provider: provider(),
    tools: [add, nap],
    journal,
    maxIterations: ITERATIONS + 2,
  });
  try {
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: FS_CONCURRENCY }, async () => {
        while (next < THREADS) {
          const result = await agent.run("go", { threadId: `scale-${next++}` });
          if (result.status !== "completed") throw new Error("scale bench: a thread did not complete");
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    return `| journal-fs (fsync "batch"), one process × ${FS_CONCURRENCY} threads at a time | ${(THREADS / seconds).toFixed(1)} | ${quantile(latencies, 0.5).toFixed(1)} ms | ${quantile(latencies, 0.99).toFixed(1)} ms | ${seconds.toFixed(1)} s |`;
  } finally {
    await journal.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const [, , role, journalSchema, bossSchema, failoverCheckMs] = process.argv;
if (role === "worker") {
  await worker(journalSchema!, bossSchema!, Number(failoverCheckMs));
} else {
  const fsLine = FAILOVER_ONLY ? undefined : await fs();
  const pgLines = [...(FAILOVER_ONLY ? [] : await postgres()), ...(await failover())];
  console.log(
    `\n${FAILOVER_ONLY ? "killed worker" : `many threads: ${THREADS} threads × ${ITERATIONS} iterations (one tool call each, an instant model)`} — node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, PostgreSQL on 127.0.0.1, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")} at the end`,
  );
  if (fsLine) {
    console.log("| run by | threads/s | iteration p50 | iteration p99 | wall |");
    console.log("| --- | ---: | ---: | ---: | ---: |");
    console.log(fsLine);
  }
  for (const line of pgLines) console.log(line);
}
