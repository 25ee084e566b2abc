// Worker processes for the failover tests (fixtures/failover-worker.mjs), and the tables their tool
// writes to.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type pg from "pg";
import { afterAll } from "vitest";
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

/** Starts a worker process; resolves once it takes jobs. Its child is pushed to `children` for cleanup. */
export function startFailoverWorker(
  children: ChildProcess[],
  settings: FailoverWorkerSettings,
): Promise<FailoverWorker> {
  const child = spawn(
    process.execPath,
    [fileURLToPath(new URL("./fixtures/failover-worker.mjs", import.meta.url))],
    {
      env: {
        ...process.env,
        LOOM_TEST_DATABASE_URL: DATABASE_URL,
        LOOM_JOURNAL_SCHEMA: settings.journalSchema,
        LOOM_BOSS_SCHEMA: settings.bossSchema,
        LOOM_EFFECTS_SCHEMA: settings.effectsSchema,
        LOOM_CONCURRENCY: String(settings.concurrency ?? 4),
        LOOM_TOOL_DELAY_MS: String(settings.toolDelayMs),
        LOOM_HEARTBEAT_SECONDS: String(settings.heartbeatSeconds),
        LOOM_FAILOVER_CHECK_MS: String(settings.failoverCheckMs),
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
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

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
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
