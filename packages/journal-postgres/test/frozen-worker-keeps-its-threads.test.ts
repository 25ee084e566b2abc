import { readAll } from "@loom/core";
import { expect, it } from "vitest";
import { ThreadQueue } from "../src/queue.ts";
import { journalIn } from "./database.ts";
import {
  createEffectTables,
  startFailoverWorker,
  toolsRunning,
  untilEveryThreadMidTool,
  waitFor,
  workerTestSetup,
} from "./failover-workers.ts";

const FAILOVER_CHECK_MS = 200;
const FROZEN_MS = 2_500;

const { journalSchema, bossSchema, effectsSchema, admin, children } = workerTestSetup("frozen");

it("a worker frozen mid-tool (SIGSTOP) for a dozen failover checks keeps its threads: its connections stay open, so its leases stay held", async () => {
  const threadCount = 4;
  const journal = journalIn(journalSchema);
  await journal.migrate();
  await createEffectTables(admin, effectsSchema);
  const queue = new ThreadQueue({ journal, bossSchema, heartbeatSeconds: 30, retryDelaySeconds: 0 });
  await queue.start();
  const settings = {
    journalSchema,
    bossSchema,
    effectsSchema,
    heartbeatSeconds: 30,
    failoverCheckMs: FAILOVER_CHECK_MS,
    toolDelayMs: 500,
  };
  const workers = await Promise.all([
    startFailoverWorker(children, settings),
    startFailoverWorker(children, settings),
  ]);
  const threadIds = Array.from({ length: threadCount }, (_, i) => `frozen-${i}`);
  for (const threadId of threadIds) await queue.enqueue(threadId, `record three steps for ${threadId}`);

  const running = () => toolsRunning(admin, effectsSchema);
  await untilEveryThreadMidTool(admin, effectsSchema, threadCount);
  const busiest = (await running())[0]!;
  const frozen = workers.find((w) => w.child.pid === busiest.pid)!;
  const other = workers.find((w) => w !== frozen)!;
  frozen.child.kill("SIGSTOP");
  await new Promise((resolve) => setTimeout(resolve, FROZEN_MS));
  frozen.child.kill("SIGCONT");

  const completed = async () => {
    let n = 0;
    for await (const info of journal.threads({ prefix: "frozen-" })) if (info.status === "completed") n++;
    return n;
  };
  await waitFor("every thread to complete", async () => (await completed()) === threadCount, 30_000);

  expect(other.takeovers).toEqual([]);
  expect(frozen.takeovers).toEqual([]);
  for (const threadId of threadIds) {
    const events = await readAll(journal, threadId);
    expect(events.at(-1)?.type, threadId).toBe("run.completed");
    expect(
      events.filter((e) => e.type === "run.resumed"),
      threadId,
    ).toHaveLength(0);
  }
  // Each call ran once, by the worker that started its thread.
  const { rows: attempts } = await admin.query<{ thread_id: string; pids: number[]; calls: number }>(
    `SELECT thread_id, array_agg(DISTINCT pid) AS pids, count(*)::int AS calls FROM "${effectsSchema}".attempts GROUP BY thread_id`,
  );
  expect(attempts).toHaveLength(threadCount);
  for (const row of attempts) {
    expect(row.pids, row.thread_id).toHaveLength(1);
    expect(row.calls, row.thread_id).toBe(3);
  }
  expect(attempts.filter((row) => row.pids[0] === frozen.child.pid).length).toBeGreaterThan(0);

  for (const worker of workers) worker.child.kill("SIGTERM");
  await Promise.all(workers.map((w) => new Promise((resolve) => w.child.once("exit", resolve))));
  await queue.stop();
  await journal.close();
}, 60_000);
