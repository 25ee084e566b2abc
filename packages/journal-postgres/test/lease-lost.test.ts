import { createAgent, readAll, ThreadLeaseLostError } from "@loom/core";
import { blockingTool, ScriptedProvider } from "@loom/testing";
import { afterAll, expect, it } from "vitest";
import { type ThreadJobOutcome, ThreadQueue } from "../src/queue.ts";
import { adminPool, dropSchema, journalIn, uniqueSchema } from "./database.ts";

const schema = uniqueSchema("leaselost");
const bossSchema = uniqueSchema("leaselost_boss");
const admin = adminPool();
afterAll(async () => {
  await dropSchema(admin, schema);
  await dropSchema(admin, bossSchema);
  await admin.end();
});

/** Terminates the backend holding the advisory lock of the session named `application`. */
async function terminateLease(application: string): Promise<void> {
  const { rows } = await admin.query<{ pid: number }>(
    `SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = $1`,
    [application],
  );
  expect(rows).toHaveLength(1);
  await admin.query("SELECT pg_terminate_backend($1)", [rows[0]!.pid]);
}

/** A charge tool whose runs are recorded; a charge of 100 cents waits for its signal. */
function chargeTool() {
  const blocking = blockingTool({ name: "charge", blocks: (args) => args.cents === 100 });
  return {
    charge: blocking.tool,
    signals: blocking.signals,
    running: blocking.started,
    get runs() {
      return blocking.runs.map((args) => args.cents);
    },
  };
}

const script = () =>
  new ScriptedProvider({
    mode: "conversation",
    turns: [
      { toolCalls: [{ id: "c1", name: "charge", args: { cents: 100 } }] },
      { toolCalls: [{ id: "c2", name: "charge", args: { cents: 200 } }] },
      { text: "done" },
    ],
  });

it("stops a run whose lease's connection was terminated; the next owner does not charge again", async () => {
  const first = journalIn(schema, { poolConfig: { application_name: "loom-lease-lost" } });
  const tools = chargeTool();
  const provider = script();
  const run = createAgent({ journal: first, provider, tools: [tools.charge] }).run("charge", {
    threadId: "t",
  });
  await tools.running;
  const stopping = performance.now();
  await terminateLease("loom-lease-lost");

  const error = await run.catch((e: unknown) => e);
  expect(performance.now() - stopping).toBeLessThan(5_000);
  expect(ThreadLeaseLostError.isInstance(error)).toBe(true);
  expect((error as Error).message).toContain("its PostgreSQL connection broke");
  expect(tools.signals[0]?.aborted).toBe(true);
  expect(provider.requests).toHaveLength(1);
  const events = await readAll(first, "t");
  expect(events.at(-1)).toMatchObject({ type: "tool.started", data: { callId: "c1" } });

  // Another process's journal takes the thread over: c1's outcome is unknown, its tool says "fail",
  // so the model is told and the card is not charged again; c2 runs once.
  const second = journalIn(schema);
  const next = chargeTool();
  const result = await createAgent({ journal: second, provider: script(), tools: [next.charge] }).resume("t");
  expect(result).toMatchObject({ status: "completed", text: "done" });
  expect(next.runs).toEqual([200]);
  expect(tools.runs).toEqual([100]);
  const types = (await readAll(second, "t")).map((e) => e.type);
  expect(types.filter((t) => t === "tool.started")).toHaveLength(2);
  expect(types).not.toContain("run.cancelled");
  await first.close();
  await second.close();
});

it("retries a queued job whose worker lost the lease mid-run: the retry finishes it, charging nothing twice", async () => {
  const journal = journalIn(schema, { poolConfig: { max: 8, application_name: "loom-lease-lost-worker" } });
  const errors: Error[] = [];
  const queue = new ThreadQueue({
    journal,
    bossSchema,
    retryDelaySeconds: 1,
    onError: (e) => errors.push(e),
  });
  const tools = chargeTool();
  const provider = script();
  const agent = createAgent({ journal, provider, tools: [tools.charge] });
  const outcomes: ThreadJobOutcome[] = [];
  await queue.work(agent, { onOutcome: (o) => outcomes.push(o) });
  await queue.enqueue("queued", "charge");
  await tools.running;
  await terminateLease("loom-lease-lost-worker");

  for (let i = 0; i < 400 && outcomes.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  expect(outcomes).toMatchObject([{ status: "completed", threadId: "queued", text: "done" }]);
  expect(errors).toEqual([]);
  expect(tools.runs).toEqual([100, 200]);
  // The first attempt was stopped, not left running beside its retry.
  expect(tools.signals[0]?.aborted).toBe(true);
  const events = await readAll(journal, "queued");
  expect(events.filter((e) => e.type === "run.resumed")).toMatchObject([{ data: { reason: "unfinished" } }]);
  expect(events.filter((e) => e.type === "tool.started")).toHaveLength(2);
  await queue.stop();
  await journal.close();
});
