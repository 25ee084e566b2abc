// Worker processes for the worker tests (fixtures/failover-worker.mjs), the tables their tool writes
// to, and the checks of what they left: each completed call run once.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { StoredEvent } from "@loom/core";
import type pg from "pg";
import { afterAll, expect } from "vitest";
import type { ThreadTakeover } from "../src/queue.ts";
import { adminPool, DATABASE_URL, dropSchema, uniqueSchema } from "./database.ts";

/**
 * The schemas of a test of worker processes (journal, pg-boss, effects), an admin pool, and the
 * list of children it starts: the children are killed and the schemas dropped after the file.
 */
export function workerTestSetup(name: string) {
  const setup = {
    journalSchema: uniqueSchema(name),
    bossSchema: uniqueSchema(`${name}_boss`),
    effectsSchema: uniqueSchema(`${name}_effects`),
    admin: adminPool(),
    children: [] as ChildProcess[],
  };
  afterAll(async () => {
    for (const child of setup.children)
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    for (const schema of [setup.journalSchema, setup.bossSchema, setup.effectsSchema])
      await dropSchema(setup.admin, schema);
    await setup.admin.end();
  });
  return setup;
}

export interface FailoverWorker {
  readonly child: ChildProcess;
  /** What this worker's `onTakeover` heard, in order. */
  readonly takeovers: ThreadTakeover[];
}

export interface FailoverWorkerSettings {
  readonly journalSchema: string;
  readonly bossSchema: string;
  readonly effectsSchema: string;
  readonly heartbeatSeconds: number;
  readonly failoverCheckMs: number;
  readonly toolDelayMs: number;
  readonly concurrency?: number;
}

/** `effects`: one row per idempotency key that completed; `attempts`: every call, with when it ran. */
export async function createEffectTables(admin: pg.Pool, schema: string): Promise<void> {
  await admin.query(`CREATE SCHEMA "${schema}"`);
  await admin.query(`CREATE TABLE "${schema}".effects (idempotency_key text PRIMARY KEY, step int, pid int)`);
  await admin.query(
    `CREATE TABLE "${schema}".attempts (id serial PRIMARY KEY, idempotency_key text NOT NULL,
       thread_id text NOT NULL, pid int NOT NULL, started_at timestamptz NOT NULL, ended_at timestamptz)`,
  );
}

/** Starts a failover worker process; resolves once it takes jobs. Its child is pushed to `children` for cleanup. */
export function startFailoverWorker(
  children: ChildProcess[],
  settings: FailoverWorkerSettings,
): Promise<FailoverWorker> {
  return startWorkerProcess(children, "failover-worker.mjs", {
    LOOM_JOURNAL_SCHEMA: settings.journalSchema,
    LOOM_BOSS_SCHEMA: settings.bossSchema,
    LOOM_EFFECTS_SCHEMA: settings.effectsSchema,
    LOOM_CONCURRENCY: String(settings.concurrency ?? 4),
    LOOM_TOOL_DELAY_MS: String(settings.toolDelayMs),
    LOOM_HEARTBEAT_SECONDS: String(settings.heartbeatSeconds),
    LOOM_FAILOVER_CHECK_MS: String(settings.failoverCheckMs),
  });
}

/**
 * Starts `fixture` (a worker process in fixtures/) with `env` beside this database's URL; resolves
 * once it prints "ready", and collects the "takeover <json>" lines it prints. Its child is pushed to
 * `children` for cleanup.
 */
export function startWorkerProcess(
  children: ChildProcess[],
  fixture: string,
  env: Readonly<Record<string, string>>,
): Promise<FailoverWorker> {
  const child = spawn(process.execPath, [fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url))], {
    env: { ...process.env, LOOM_TEST_DATABASE_URL: DATABASE_URL, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  const takeovers: ThreadTakeover[] = [];
  let stderr = "";
  let stdout = "";
  child.stderr!.on("data", (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (chunk) => {
      stdout += chunk;
      const lines = stdout.split("\n");
      stdout = lines.pop()!;
      for (const line of lines) {
        if (line === "ready") resolve({ child, takeovers });
        if (line.startsWith("takeover ")) takeovers.push(JSON.parse(line.slice("takeover ".length)));
      }
    });
    child.on("exit", (code, signal) =>
      reject(new Error(`worker exited (${code ?? signal}) before ready: ${stderr}`)),
    );
  });
}

/** Polls `check` until it holds; past `timeoutMs`, fails naming `what` and what `explain` says. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  explain: () => Promise<string> = async () => "",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}. ${await explain()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Tool calls running now, by worker process (from the effects tables), busiest first. */
export async function toolsRunning(
  admin: pg.Pool,
  effectsSchema: string,
): Promise<{ pid: number; n: number }[]> {
  const { rows } = await admin.query<{ pid: number; n: number }>(
    `SELECT pid, count(*)::int AS n FROM "${effectsSchema}".attempts WHERE ended_at IS NULL GROUP BY pid ORDER BY n DESC`,
  );
  return rows;
}

/** Waits until `threadCount` tool calls are running at once (every thread mid-tool), at most 30 s. */
export function untilEveryThreadMidTool(
  admin: pg.Pool,
  effectsSchema: string,
  threadCount: number,
): Promise<void> {
  return waitFor(
    "every thread to be mid-tool",
    async () =>
      (await toolsRunning(admin, effectsSchema)).reduce((sum, row) => sum + row.n, 0) === threadCount,
    30_000,
  );
}

/**
 * A thread a worker test ran: it ended with run.completed, from one run.started (a retried job
 * resumed its run, it never started the input again), with seqs without gaps. Returns the
 * idempotency keys of its completed calls: the keys their tool.started carried.
 */
export function completedCallKeys(threadId: string, events: readonly StoredEvent[]): string[] {
  expect(events.at(-1)?.type, threadId).toBe("run.completed");
  expect(
    events.filter((e) => e.type === "run.started"),
    threadId,
  ).toHaveLength(1);
  expect(
    events.map((e) => e.seq),
    threadId,
  ).toEqual(events.map((_, i) => i));
  const keyOf = new Map<string, string>();
  const completed: string[] = [];
  for (const event of events) {
    if (event.type === "tool.started") keyOf.set(event.data.callId, event.data.idempotencyKey);
    if (event.type === "tool.completed") completed.push(keyOf.get(event.data.callId)!);
  }
  return completed;
}

/**
 * Every completed call (`calls` of them) has exactly one recorded side effect and no effect lacks a
 * completed call; a call ran twice only when the victim was running it when it died (its outcome
 * was unknown).
 */
export async function expectOneEffectPerCompletedCall(
  admin: pg.Pool,
  effectsSchema: string,
  completedKeys: readonly string[],
  calls: number,
  victimPid: number | undefined,
): Promise<void> {
  expect(completedKeys).toHaveLength(calls);
  expect(new Set(completedKeys).size).toBe(completedKeys.length);
  const { rows: effects } = await admin.query<{ idempotency_key: string }>(
    `SELECT idempotency_key FROM "${effectsSchema}".effects ORDER BY idempotency_key`,
  );
  expect(effects.map((r) => r.idempotency_key)).toEqual([...completedKeys].sort());
  const { rows: repeated } = await admin.query<{ idempotency_key: string; pids: number[] }>(
    `SELECT idempotency_key, array_agg(pid) AS pids FROM "${effectsSchema}".attempts
       GROUP BY idempotency_key HAVING count(*) > 1`,
  );
  for (const row of repeated) expect(row.pids, row.idempotency_key).toContain(victimPid);
}
