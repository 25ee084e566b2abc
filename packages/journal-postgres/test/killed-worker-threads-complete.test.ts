import type { ChildProcess } from "node:child_process";
import { readAll } from "@loom/core";
import { expect, it } from "vitest";
import { ThreadQueue } from "../src/queue.ts";
import { journalIn } from "./database.ts";
import {
  completedCallKeys,
  expectOneEffectPerCompletedCall,
  startWorkerProcess,
  waitFor,
  workerTestSetup,
} from "./failover-workers.ts";

const { journalSchema, bossSchema, effectsSchema, admin, children } = workerTestSetup("workers");

async function startWorker(): Promise<ChildProcess> {
  const { child } = await startWorkerProcess(children, "thread-worker.mjs", {
    LOOM_JOURNAL_SCHEMA: journalSchema,
    LOOM_BOSS_SCHEMA: bossSchema,
    LOOM_EFFECTS_SCHEMA: effectsSchema,
    LOOM_CONCURRENCY: "3",
    LOOM_TOOL_DELAY_MS: "100",
  });
  return child;
}

it("3 worker processes, 50 threads, one worker SIGKILLed mid-run: every thread completes, every side effect recorded once", async () => {
  const threadCount = 50;
  const journal = journalIn(journalSchema);
  await journal.migrate();
  await admin.query(`CREATE SCHEMA "${effectsSchema}"`);
  await admin.query(
    `CREATE TABLE "${effectsSchema}".effects (idempotency_key text PRIMARY KEY, step int, pid int)`,
  );
  await admin.query(
    `CREATE TABLE "${effectsSchema}".attempts (idempotency_key text NOT NULL, pid int NOT NULL)`,
  );
  const queue = new ThreadQueue({ journal, bossSchema });
  await queue.start();

  const workers = await Promise.all([startWorker(), startWorker(), startWorker()]);
  const threadIds = Array.from({ length: threadCount }, (_, i) => `job-${String(i).padStart(2, "0")}`);
  for (const threadId of threadIds) await queue.enqueue(threadId, `record three steps for ${threadId}`);

  const victim = workers[0]!;
  await waitFor(
    "the victim to be mid-run",
    async () => {
      const { rows } = await admin.query(
        `SELECT count(*)::int AS n FROM "${effectsSchema}".attempts WHERE pid = $1`,
        [victim.pid],
      );
      return rows[0].n >= 4;
    },
    30_000,
  );
  victim.kill("SIGKILL");
  await new Promise((resolve) => victim.once("exit", resolve));
  const unfinishedAtKill = new Set<string>();
  for await (const info of journal.threads({ prefix: "job-" })) {
    if (info.status !== "completed") unfinishedAtKill.add(info.threadId);
  }

  const statuses = async () => {
    const all = new Map<string, string | undefined>();
    for await (const info of journal.threads({ prefix: "job-" })) all.set(info.threadId, info.status);
    return all;
  };
  await waitFor(
    "all 50 threads to complete",
    async () => {
      const all = await statuses();
      return all.size === threadCount && [...all.values()].every((s) => s === "completed");
    },
    45_000,
    async () => {
      const unfinished = [...(await statuses())].filter(([, status]) => status !== "completed");
      const { rows } = await admin.query(
        `SELECT state, retry_count, singleton_key, output FROM "${bossSchema}".job WHERE state <> 'completed'`,
      );
      return `Unfinished threads: ${JSON.stringify(unfinished)}; unfinished jobs: ${JSON.stringify(rows)}`;
    },
  );

  // Every completed tool call has exactly one recorded side effect, and no effect lacks a completed call.
  // A call ran twice only when the victim was running it when it died (its outcome was unknown).
  const completedKeys: string[] = [];
  for (const threadId of threadIds) {
    completedKeys.push(...completedCallKeys(threadId, await readAll(journal, threadId)));
  }
  await expectOneEffectPerCompletedCall(admin, effectsSchema, completedKeys, threadCount * 3, victim.pid);
  // The kill really interrupted runs, which other workers then finished.
  const { rows: victimThreads } = await admin.query<{ thread_id: string }>(
    `SELECT DISTINCT split_part(idempotency_key, '/', 1) AS thread_id FROM "${effectsSchema}".attempts WHERE pid = $1`,
    [victim.pid],
  );
  expect(victimThreads.some((r) => unfinishedAtKill.has(r.thread_id))).toBe(true);

  const survivors = workers.slice(1);
  for (const worker of survivors) worker.kill("SIGTERM");
  await Promise.all(survivors.map((w) => new Promise((resolve) => w.once("exit", resolve))));
  await queue.stop();
  await journal.close();
}, 60_000);
