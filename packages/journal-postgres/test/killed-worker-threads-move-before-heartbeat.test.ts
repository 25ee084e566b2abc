import { readAll } from "@loom/core";
import { expect, it } from "vitest";
import { ThreadQueue } from "../src/queue.ts";
import { journalIn } from "./database.ts";
import {
  completedCallKeys,
  createEffectTables,
  expectOneEffectPerCompletedCall,
  startFailoverWorker,
  toolsRunning,
  untilEveryThreadMidTool,
  waitFor,
  workerTestSetup,
} from "./failover-workers.ts";

// pg-boss cannot fail these jobs for a lost heartbeat before 15 s (a beat every 15 s, stale at 30):
// a thread that moves sooner was taken over through its free lease.
const HEARTBEAT_SECONDS = 30;
const FAILOVER_CHECK_MS = 250;
const TOOL_DELAY_MS = 1000;

const { journalSchema, bossSchema, effectsSchema, admin, children } = workerTestSetup("failover");

it("a worker SIGKILLed mid-tool: its threads move to other workers within a second or two, long before the heartbeat; one owner at a time, no completed call run twice", async () => {
  const threadCount = 9;
  const journal = journalIn(journalSchema);
  await journal.migrate();
  await createEffectTables(admin, effectsSchema);
  // The first to start the queue creates it: with the long heartbeat.
  const queue = new ThreadQueue({
    journal,
    bossSchema,
    heartbeatSeconds: HEARTBEAT_SECONDS,
    retryDelaySeconds: 0,
  });
  await queue.start();

  const start = () =>
    startFailoverWorker(children, {
      journalSchema,
      bossSchema,
      effectsSchema,
      heartbeatSeconds: HEARTBEAT_SECONDS,
      failoverCheckMs: FAILOVER_CHECK_MS,
      toolDelayMs: TOOL_DELAY_MS,
    });
  const workers = await Promise.all([start(), start(), start()]);
  const threadIds = Array.from({ length: threadCount }, (_, i) => `move-${i}`);
  for (const threadId of threadIds) await queue.enqueue(threadId, `record three steps for ${threadId}`);

  // Kill the worker running the most tools, once it has run past several failover checks (its live
  // threads must not have been taken over meanwhile: checked below).
  const running = () => toolsRunning(admin, effectsSchema);
  await untilEveryThreadMidTool(admin, effectsSchema, threadCount);
  await new Promise((resolve) => setTimeout(resolve, TOOL_DELAY_MS / 2));
  const busiest = (await running())[0]!;
  const victim = workers.find((w) => w.child.pid === busiest.pid)!;
  expect(victim, "the busiest pid is one of the workers").toBeDefined();
  victim.child.kill("SIGKILL");
  const killedAt = performance.now();
  await new Promise((resolve) => victim.child.once("exit", resolve));
  const { rows: clock } = await admin.query<{ now: Date }>("SELECT clock_timestamp() AS now");
  const killedAtDb = clock[0]!.now;

  const { rows: orphanRows } = await admin.query<{ thread_id: string }>(
    `SELECT DISTINCT thread_id FROM "${effectsSchema}".attempts WHERE pid = $1 AND ended_at IS NULL`,
    [victim.child.pid],
  );
  const orphans = orphanRows.map((r) => r.thread_id).sort();
  expect(orphans.length).toBeGreaterThan(0);
  const heads = new Map<string, number>();
  for (const threadId of orphans) heads.set(threadId, await journal.head(threadId));
  const moved = new Map<string, number>();
  await waitFor(
    "the victim's threads to move",
    async () => {
      for (const threadId of orphans) {
        if (!moved.has(threadId) && (await journal.head(threadId)) > heads.get(threadId)!) {
          moved.set(threadId, performance.now() - killedAt);
        }
      }
      return moved.size === orphans.length;
    },
    HEARTBEAT_SECONDS * 1000,
  );
  const waits = [...moved.values()];
  // Two checks (0.25 to 0.5 s) and a poll (up to 0.5 s); pg-boss's expiry could not come before 15 s.
  expect(Math.max(...waits), `waits ${waits.map((w) => w.toFixed(0)).join(", ")} ms`).toBeLessThan(5_000);

  const completed = async () => {
    let n = 0;
    for await (const info of journal.threads({ prefix: "move-" })) if (info.status === "completed") n++;
    return n;
  };
  await waitFor("every thread to complete", async () => (await completed()) === threadCount, 60_000);

  // Each takeover was reported once, by the survivor whose fail landed, and only for the victim's threads.
  const survivors = workers.filter((w) => w !== victim);
  const takeovers = survivors.flatMap((w) => w.takeovers);
  const { rows: victimRows } = await admin.query<{ thread_id: string }>(
    `SELECT DISTINCT thread_id FROM "${effectsSchema}".attempts WHERE pid = $1`,
    [victim.child.pid],
  );
  const victimThreads = new Set(victimRows.map((r) => r.thread_id));
  expect(new Set(takeovers.map((t) => t.jobId)).size).toBe(takeovers.length);
  for (const threadId of orphans) expect(takeovers.map((t) => t.threadId)).toContain(threadId);
  for (const takeover of takeovers) {
    expect(victimThreads.has(takeover.threadId), takeover.threadId).toBe(true);
    expect(takeover.status).toBe("taken_over");
  }

  // One owner at a time: on every thread, a tool call starts only after the previous one ended (the
  // victim's unfinished calls ended when it was killed).
  const { rows: attempts } = await admin.query<{
    thread_id: string;
    pid: number;
    started_at: Date;
    ended_at: Date | null;
  }>(
    `SELECT thread_id, pid, started_at, ended_at FROM "${effectsSchema}".attempts ORDER BY thread_id, started_at`,
  );
  for (let i = 1; i < attempts.length; i++) {
    const before = attempts[i - 1]!;
    const after = attempts[i]!;
    if (before.thread_id !== after.thread_id) continue;
    const end = before.ended_at ?? killedAtDb;
    expect(before.ended_at !== null || before.pid === victim.child.pid).toBe(true);
    expect(
      after.started_at.getTime(),
      `${after.thread_id}: pid ${after.pid} after pid ${before.pid}`,
    ).toBeGreaterThanOrEqual(end.getTime());
  }

  // Every thread ran once, from one run.started; only the victim's were resumed; no completed call ran twice.
  const completedKeys: string[] = [];
  for (const threadId of threadIds) {
    const events = await readAll(journal, threadId);
    completedKeys.push(...completedCallKeys(threadId, events));
    if (!victimThreads.has(threadId)) {
      expect(
        events.filter((e) => e.type === "run.resumed"),
        threadId,
      ).toHaveLength(0);
    }
  }
  await expectOneEffectPerCompletedCall(
    admin,
    effectsSchema,
    completedKeys,
    threadCount * 3,
    victim.child.pid,
  );

  // The dead worker's attempts are gone from pg-boss (failed and retried): nothing is left for its
  // heartbeat expiry to run again, and every job completed once.
  const { rows: jobs } = await admin.query<{ state: string; n: number }>(
    `SELECT state::text, count(*)::int AS n FROM "${bossSchema}".job GROUP BY state`,
  );
  expect(jobs).toEqual([{ state: "completed", n: threadCount }]);

  for (const worker of survivors) worker.child.kill("SIGTERM");
  await Promise.all(survivors.map((w) => new Promise((resolve) => w.child.once("exit", resolve))));
  await queue.stop();
  await journal.close();
}, 90_000);
