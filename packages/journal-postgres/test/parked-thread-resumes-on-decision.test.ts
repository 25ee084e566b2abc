import { cancelRun, createAgent, ResumeError, readAll, tool } from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { afterAll, expect, it } from "vitest";
import { z } from "zod";
import { type ThreadJobOutcome, ThreadQueue } from "../src/queue.ts";
import { adminPool, dropSchema, journalIn, uniqueSchema } from "./database.ts";

const schema = uniqueSchema("parked");
const bossSchema = uniqueSchema("boss");
const admin = adminPool();
afterAll(async () => {
  await dropSchema(admin, schema);
  await dropSchema(admin, bossSchema);
  await admin.end();
});

function nextOutcome(outcomes: ThreadJobOutcome[], count: number): Promise<ThreadJobOutcome> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (outcomes.length >= count) {
        clearInterval(timer);
        resolve(outcomes[count - 1]!);
      } else if (Date.now() - started > 20_000) {
        clearInterval(timer);
        reject(new Error(`no job outcome #${count} after 20 s`));
      }
    }, 20);
  });
}

it("a thread paused for approval is parked, and submitting the decision re-enqueues and finishes it", async () => {
  const journal = journalIn(schema, { poolConfig: { max: 8 } });
  const queue = new ThreadQueue({ journal, bossSchema });
  const transfers: string[] = [];
  const transfer = tool({
    name: "transfer",
    description: "Moves money.",
    input: z.object({ amount: z.number() }),
    run: ({ amount }, { idempotencyKey }) => {
      transfers.push(`${idempotencyKey}:${amount}`);
      return "sent";
    },
  });
  const provider = new ScriptedProvider({
    mode: "conversation",
    turns: [{ toolCalls: [{ id: "pay", name: "transfer", args: { amount: 5 } }] }, { text: "paid" }],
  });
  const agent = createAgent({
    provider,
    tools: [transfer],
    journal,
    hooks: [
      {
        name: "approve-transfers",
        beforeToolExecution: ({ approved }) => (approved ? undefined : { interrupt: "needs a human" }),
      },
    ],
  });
  const outcomes: ThreadJobOutcome[] = [];
  await queue.work(agent, { onOutcome: (o) => outcomes.push(o) });

  await queue.enqueue("payment-1", "pay 5");
  const parked = await nextOutcome(outcomes, 1);
  expect(parked.status).toBe("interrupted");
  expect(parked.status === "interrupted" && parked.pending.map((p) => p.callId)).toEqual(["pay"]);
  expect(transfers).toEqual([]);
  const [info] = await collect(journal.threads({ prefix: "payment-1" }));
  expect(info?.status).toBe("interrupted");

  const wrong = await queue
    .submitDecisions("payment-1", { nope: { approve: true } })
    .catch((e: unknown) => e);
  expect(ResumeError.isInstance(wrong)).toBe(true);

  await queue.submitDecisions("payment-1", { pay: { approve: true } });
  const done = await nextOutcome(outcomes, 2);
  expect(done).toMatchObject({ status: "completed", threadId: "payment-1", text: "paid" });
  // The key is the call's ref in its thread (threadId/callId@seq), the same on every attempt.
  expect(transfers).toEqual([expect.stringMatching(/^payment-1\/pay@\d+:5$/)]);
  const types = (await readAll(journal, "payment-1")).map((e) => e.type);
  expect(types.filter((t) => t === "approval.resolved")).toHaveLength(1);
  expect(types.at(-1)).toBe("run.completed");

  await queue.stop();
  await journal.close();
});

it("a cancel journaled after the decision was sent wins: the queued resume is not carried out", async () => {
  const journal = journalIn(schema, { poolConfig: { max: 8 } });
  const queue = new ThreadQueue({ journal, bossSchema, queue: "cancel-wins" });
  const transfers: number[] = [];
  const transfer = tool({
    name: "transfer",
    description: "Moves money.",
    input: z.object({ amount: z.number() }),
    run: ({ amount }) => {
      transfers.push(amount);
      return "sent";
    },
  });
  const agent = createAgent({
    provider: new ScriptedProvider({
      mode: "conversation",
      turns: [{ toolCalls: [{ id: "pay", name: "transfer", args: { amount: 7 } }] }, { text: "paid" }],
    }),
    tools: [transfer],
    journal,
    hooks: [
      {
        name: "approve-transfers",
        beforeToolExecution: ({ approved }) => (approved ? undefined : { interrupt: "needs a human" }),
      },
    ],
  });
  expect((await agent.run("pay 7", { threadId: "payment-2" })).status).toBe("interrupted");
  // The human approves (the job waits for a worker), then an operator cancels the thread.
  await queue.submitDecisions("payment-2", { pay: { approve: true } });
  expect(await cancelRun(journal, "payment-2", "the order was withdrawn")).toBe("cancelled");

  const outcomes: ThreadJobOutcome[] = [];
  await queue.work(agent, { onOutcome: (o) => outcomes.push(o) });
  const refused = await nextOutcome(outcomes, 1);
  expect(refused).toMatchObject({ status: "failed", threadId: "payment-2", code: "thread_finished" });
  expect((refused as { message: string }).message).toMatch(
    /was cancelled at seq \d+ .*after this resume was enqueued/,
  );
  expect(transfers).toEqual([]);
  expect((await readAll(journal, "payment-2")).at(-1)?.type).toBe("run.cancelled");

  // Enqueued again after the cancel, the thread is taken up; its call still waits for a human.
  await queue.resume("payment-2");
  expect(await nextOutcome(outcomes, 2)).toMatchObject({ status: "interrupted", threadId: "payment-2" });
  expect(transfers).toEqual([]);
  await queue.stop();
  await journal.close();
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
