import { createAgent, RunCancelledError, readAll } from "@loom/core";
import { blockingTool, ScriptedProvider } from "@loom/testing";
import { afterAll, expect, it } from "vitest";
import { adminPool, dropSchema, journalIn, uniqueSchema } from "./database.ts";

const schema = uniqueSchema("cancelreq");
const admin = adminPool();
afterAll(async () => {
  await dropSchema(admin, schema);
  await admin.end();
});

it("requestCancel from another journal (another pool: another process to Postgres) cancels the run that holds the thread", async () => {
  const owner = journalIn(schema, { poolConfig: { max: 2, application_name: "loom-cancel-owner" } });
  const other = journalIn(schema);
  const { tool: crunch, signals, started } = blockingTool();
  const provider = new ScriptedProvider([{ toolCalls: [{ id: "c1", name: "crunch", args: {} }] }]);
  const run = createAgent({ journal: owner, provider, tools: [crunch] }).run("go", { threadId: "t" });
  await started;
  const { rows: holders } = await admin.query<{ pid: number }>(
    `SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'loom-cancel-owner'`,
  );
  const leasePid = holders[0]!.pid;

  expect(await other.requestCancel("t", "stopped by an operator 'quoted'")).toBe(true);
  const error = await run.catch((e: unknown) => e);
  expect(RunCancelledError.isInstance(error)).toBe(true);
  expect((error as Error).message).toContain("stopped by an operator 'quoted'");
  expect(signals[0]?.aborted).toBe(true);
  expect((await readAll(other, "t")).at(-1)).toMatchObject({ type: "run.cancelled" });
  // The run let go of the thread, and its lease's connection went back to the pool not listening
  // (the pool's other connection is the one appends keep).
  expect(await other.requestCancel("t", "again")).toBe(false);
  const { rows } = await owner.pool.query<{ n: number; pid: number }>(
    "SELECT (SELECT count(*)::int FROM pg_listening_channels() c WHERE c LIKE 'loom_cancel_%') AS n, pg_backend_pid() AS pid",
  );
  expect(rows[0]!.n).toBe(0);
  expect(rows[0]!.pid).toBe(leasePid);
  await owner.close();
  await other.close();
});

it("a busy acquire leaves its connection listening on nothing", async () => {
  const first = journalIn(schema, { poolConfig: { max: 1 } });
  const second = journalIn(schema, { poolConfig: { max: 1 } });
  const lease = await first.acquire("busy");
  await expect(second.acquire("busy")).rejects.toMatchObject({ code: "thread_busy" });
  // Its one connection is the one the refused acquire used.
  const { rows } = await second.pool.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM pg_listening_channels() c WHERE c LIKE 'loom_cancel_%'",
  );
  expect(rows[0]!.n).toBe(0);
  await lease.release();
  await first.close();
  await second.close();
});
