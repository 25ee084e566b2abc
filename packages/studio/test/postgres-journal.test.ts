import { randomUUID } from "node:crypto";
import { readAll } from "@loom/core";
import { PostgresJournal } from "@loom/journal-postgres";
import { type ThreadJobOutcome, ThreadQueue } from "@loom/journal-postgres/queue";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Studio, startStudio } from "../src/index.js";
import { deletingAgent, pausedThread, readLive } from "./helpers.ts";

const DATABASE_URL = process.env.LOOM_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/loom_test";
const schema = `t_studio_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
const bossSchema = `t_studio_boss_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
// Two journals on two pools: a worker's, and the studio's own, as two processes would have.
const worker = new PostgresJournal({ connectionString: DATABASE_URL, schema });
const seen = new PostgresJournal({ connectionString: DATABASE_URL, schema });
const workerAgent = deletingAgent(worker);
const studioAgent = deletingAgent(seen);
let studio: Studio;
let auth: Record<string, string>;

beforeAll(async () => {
  await worker.migrate();
  await pausedThread(workerAgent.agent, "pg-paused");
  studio = await startStudio({ journal: seen, agent: studioAgent.agent });
  auth = { authorization: `Bearer ${studio.token}` };
});
afterAll(async () => {
  await studio?.close();
  await worker.close();
  await seen.close();
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.query(`DROP SCHEMA IF EXISTS "${bossSchema}" CASCADE`);
  await pool.end();
});

describe("over a Postgres journal", () => {
  it("lists a thread another process paused, with its status", async () => {
    const response = await fetch(`${studio.origin}/api/threads?status=paused`, { headers: auth });
    const { threads } = (await response.json()) as { threads: { threadId: string }[] };
    expect(threads.map((t) => t.threadId)).toEqual(["pg-paused"]);
  });

  it("streams what the worker journals to a thread that did not exist yet, through LISTEN/NOTIFY", async () => {
    const live = readLive(`${studio.origin}/api/threads/pg-worker/live?from=0`, auth, (e) => e.seq === 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await pausedThread(workerAgent.agent, "pg-worker");
    const events = await live;
    expect(events.map((e) => e.seq)).toEqual([0, 1]);
  });

  it("journals a rejection from the page and resumes the thread with the studio's agent: the call never runs", async () => {
    const response = await fetch(`${studio.origin}/api/threads/pg-paused/decisions`, {
      method: "POST",
      headers: { ...auth, origin: studio.origin, "content-type": "application/json" },
      body: JSON.stringify({ decisions: { call_1: { approve: false, reason: "not on Postgres" } } }),
    });
    expect(await response.json()).toMatchObject({ resuming: true });
    for (let i = 0; i < 200 && (await worker.head("pg-paused")) >= 0; i++) {
      const last = (await readAll(worker, "pg-paused")).at(-1);
      if (last?.type === "run.completed") break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const events = await readAll(worker, "pg-paused");
    expect(events.at(-1)?.type).toBe("run.completed");
    expect(events.find((e) => e.type === "approval.resolved")?.data).toMatchObject({
      decision: "reject",
      reason: "not on Postgres",
    });
    expect(events.some((e) => e.type === "tool.started")).toBe(false);
    expect([...workerAgent.deleted, ...studioAgent.deleted]).toEqual([]);
  });

  it("hands a decided thread to a ThreadQueue's workers with `resume`: a worker finishes it, the call runs once", async () => {
    // The worker side: a ThreadQueue worker running the agent on its own journal.
    const workers = new ThreadQueue({ journal: worker, bossSchema });
    const outcomes: ThreadJobOutcome[] = [];
    await workers.work(workerAgent.agent, { onOutcome: (o) => outcomes.push(o) });
    // The studio side: decisions are journaled, then the thread is handed to the queue.
    const handOff = new ThreadQueue({ journal: seen, bossSchema });
    const queued = await startStudio({ journal: seen, resume: (threadId) => handOff.resume(threadId) });
    try {
      await pausedThread(workerAgent.agent, "pg-queued");
      const response = await fetch(`${queued.origin}/api/threads/pg-queued/decisions`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${queued.token}`,
          origin: queued.origin,
          "content-type": "application/json",
        },
        body: JSON.stringify({ decisions: { call_1: { approve: true } } }),
      });
      expect(await response.json()).toMatchObject({ resuming: true });
      for (let i = 0; i < 400 && !outcomes.some((o) => o.threadId === "pg-queued"); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(outcomes.find((o) => o.threadId === "pg-queued")).toMatchObject({ status: "completed" });
      expect(workerAgent.deleted).toEqual(["notes.txt"]);
      expect(studioAgent.deleted).toEqual([]);
    } finally {
      await queued.close();
      await handOff.stop({ timeoutMs: 5_000 });
      await workers.stop({ timeoutMs: 5_000 });
    }
  });
});
