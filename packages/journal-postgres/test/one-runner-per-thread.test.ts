import { createAgent, type Hook, JournalConflictError, readAll, ThreadBusyError } from "@loom/core";
import { ScriptedProvider, sampleEvents } from "@loom/testing";
import { afterAll, expect, it } from "vitest";
import { type ThreadJobOutcome, ThreadQueue } from "../src/queue.ts";
import { adminPool, DATABASE_URL, dropSchema, journalIn, uniqueSchema } from "./database.ts";

const schema = uniqueSchema("fence");
const bossSchema = uniqueSchema("fence_boss");
const admin = adminPool();
afterAll(async () => {
  await dropSchema(admin, schema);
  await dropSchema(admin, bossSchema);
  await admin.end();
});

/** Holds a run at its first step until `open()`: the run owns its thread meanwhile. */
class Gate implements Hook {
  readonly name = "gate";
  private release!: () => void;
  readonly reached: Promise<void>;
  private markReached!: () => void;
  private readonly opened = new Promise<void>((resolve) => {
    this.release = resolve;
  });
  constructor() {
    this.reached = new Promise((resolve) => {
      this.markReached = resolve;
    });
  }
  open(): void {
    this.release();
  }
  async beforeIterationStart(): Promise<undefined> {
    this.markReached();
    await this.opened;
    return undefined;
  }
}

it("two runners that resume one thread at once, on two journals (two pools): the lease lets one in and turns the other away before it does anything", async () => {
  const [first, second] = [journalIn(schema), journalIn(schema)];
  await first.append("fenced", sampleEvents(1), -1);
  const gate = new Gate();
  const provider = () => new ScriptedProvider({ mode: "conversation", turns: [{ text: "hello" }] });
  const owner = createAgent({ journal: first, hooks: [gate], provider: provider() });
  const intruderProvider = provider();
  const intruder = createAgent({ journal: second, provider: intruderProvider });

  const running = owner.resume("fenced");
  await gate.reached;
  const error = await intruder.resume("fenced").catch((e: unknown) => e);
  expect(ThreadBusyError.isInstance(error)).toBe(true);
  expect((error as ThreadBusyError).owner).toMatch(/^PostgreSQL session \d+/);
  expect(intruderProvider.requests).toHaveLength(0);
  gate.open();
  expect(await running).toMatchObject({ status: "completed", text: "hello" });

  const events = await readAll(first, "fenced");
  expect(events.filter((e) => e.type === "iteration.started")).toHaveLength(1);
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
  expect(events.at(-1)?.type).toBe("run.completed");
  // Once the owner stopped, the thread is free: the other runner gets the stored result.
  expect(await intruder.resume("fenced")).toMatchObject({ status: "completed", text: "hello" });
  await first.close();
  await second.close();
});

it("two writers that append one thread at once without leases: expectedSeq lets one through and fences the other", async () => {
  const [first, second] = [journalIn(schema), journalIn(schema)];
  await first.append("raw", sampleEvents(1), -1);
  const results = await Promise.allSettled([
    first.append("raw", sampleEvents(1, { start: 1 }), 0),
    second.append("raw", sampleEvents(1, { start: 1 }), 0),
  ]);
  expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
  expect(JournalConflictError.isInstance(rejected.reason)).toBe(true);
  await first.close();
  await second.close();
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

it("a run job on a thread whose last run is unfinished fails at once (resume it instead), rather than retrying as if busy", async () => {
  const journal = journalIn(schema, { poolConfig: { max: 8 } });
  const queue = new ThreadQueue({ journal, bossSchema, queue: "unfinished" });
  const agent = createAgent({
    journal,
    provider: new ScriptedProvider({ mode: "conversation", turns: [{ text: "never" }] }),
  });
  await journal.append("unfinished", sampleEvents(2), -1); // run.started, iteration.started: running
  const outcomes: ThreadJobOutcome[] = [];
  await queue.work(agent, { onOutcome: (o) => outcomes.push(o) });
  await queue.enqueue("unfinished", "a new run");
  for (let i = 0; i < 200 && outcomes.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  expect(outcomes).toMatchObject([{ status: "failed", threadId: "unfinished", code: "thread_busy" }]);
  expect((outcomes[0] as { message: string }).message).toMatch(/unfinished run/);
  expect(await journal.head("unfinished")).toBe(1);
  await queue.stop();
  await journal.close();
});
