import { createAgent, type Hook, JournalConflictError, readAll } from "@loom/core";
import { ScriptedProvider, sampleEvents } from "@loom/testing";
import { afterAll, expect, it } from "vitest";
import { type ThreadJobOutcome, ThreadQueue } from "../src/index.ts";
import { adminPool, DATABASE_URL, dropSchema, journalIn, uniqueSchema } from "./database.ts";

const schema = uniqueSchema("fence");
const bossSchema = uniqueSchema("fence_boss");
const admin = adminPool();
afterAll(async () => {
  await dropSchema(admin, schema);
  await dropSchema(admin, bossSchema);
  await admin.end();
});

/** Holds every runner at its first step until all of them got there: they all read the same head. */
class Barrier implements Hook {
  readonly name = "barrier";
  private arrived = 0;
  private release!: () => void;
  private readonly all = new Promise<void>((resolve) => {
    this.release = resolve;
  });
  constructor(private readonly runners: number) {}
  async beforeIterationStart(): Promise<undefined> {
    if (++this.arrived === this.runners) this.release();
    await this.all;
    return undefined;
  }
}

it("two runners that resume one thread at once: the journal's expectedSeq lets one through and fences the other", async () => {
  const journal = journalIn(schema);
  await journal.append("fenced", sampleEvents(1), -1);
  const barrier = new Barrier(2);
  const agents = [0, 1].map(() =>
    createAgent({
      journal,
      hooks: [barrier],
      provider: new ScriptedProvider({ mode: "conversation", turns: [{ text: "hello" }] }),
    }),
  );
  const results = await Promise.allSettled(agents.map((agent) => agent.resume("fenced")));
  const rejected = results.filter((r) => r.status === "rejected");
  expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  expect(rejected).toHaveLength(1);
  expect(JournalConflictError.isInstance((rejected[0] as PromiseRejectedResult).reason)).toBe(true);
  const events = await readAll(journal, "fenced");
  expect(events.filter((e) => e.type === "iteration.started")).toHaveLength(1);
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
  expect(events.at(-1)?.type).toBe("run.completed");
  await journal.close();
});

it("a worker does not run a thread another worker holds; the job waits and runs once the thread is free", async () => {
  const journal = journalIn(schema, { poolConfig: { max: 8 } });
  const queue = new ThreadQueue({ journal, bossSchema, retryDelaySeconds: 1 });
  const agent = createAgent({
    journal,
    provider: new ScriptedProvider({ mode: "conversation", turns: [{ text: "done" }] }),
  });
  // Another worker's hold on the thread, taken the way workers take it.
  const holder = await admin.connect();
  await holder.query("SELECT pg_advisory_lock(hashtextextended($1, 0))", [`loom-thread:${schema}:held`]);
  const outcomes: ThreadJobOutcome[] = [];
  await queue.work(agent, { onOutcome: (o) => outcomes.push(o) });
  await queue.enqueue("held", "go");

  await new Promise((resolve) => setTimeout(resolve, 2_500));
  expect(outcomes).toEqual([]);
  expect(await journal.head("held")).toBe(-1);

  await holder.query("SELECT pg_advisory_unlock_all()");
  holder.release();
  for (let i = 0; i < 200 && outcomes.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  expect(outcomes).toMatchObject([{ status: "completed", threadId: "held", text: "done" }]);
  await queue.stop();
  await journal.close();
});

it("works with pg-boss on a pool of its own (connectionString), beside the journal's", async () => {
  const journal = journalIn(schema);
  const queue = new ThreadQueue({ journal, bossSchema, connectionString: DATABASE_URL, queue: "own-pool" });
  const agent = createAgent({
    journal,
    provider: new ScriptedProvider({ mode: "conversation", turns: [{ text: "on its own pool" }] }),
  });
  const outcomes: ThreadJobOutcome[] = [];
  await queue.work(agent, { onOutcome: (o) => outcomes.push(o) });
  await queue.enqueue("own-pool-thread", "go");
  for (let i = 0; i < 200 && outcomes.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  expect(outcomes).toMatchObject([
    { status: "completed", threadId: "own-pool-thread", text: "on its own pool" },
  ]);
  await queue.stop();
  await journal.close();
});
