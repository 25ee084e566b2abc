import {
  cancelRun,
  createAgent,
  type Journal,
  listPendingApprovals,
  MemoryJournal,
  ResumeError,
  RunCancelledError,
  readAll,
  ThreadBusyError,
  type ThreadLease,
  tool,
} from "@loom/core";
import { HITLHook } from "@loom/hooks";
import { blockingTool, plainJournal, ScriptedProvider } from "@loom/testing";
import { expect, it } from "vitest";
import { z } from "zod";
import { unsealed } from "./helpers.js";

// A cancel asked for by someone who does not run the thread (another request handler, another
// process): the journal carries it to the owner's lease, and the owner cancels as its caller would.

function slowTool() {
  const blocking = blockingTool();
  return { crunch: blocking.tool, signals: blocking.signals, running: blocking.started };
}

it("requestCancel reaches the run that holds the thread: it stops, and journals run.cancelled with the reason", async () => {
  const journal = new MemoryJournal();
  const { crunch, signals, running } = slowTool();
  const provider = new ScriptedProvider([
    { toolCalls: [{ id: "c1", name: "crunch", args: {} }] },
    { text: "never" },
  ]);
  const run = createAgent({ journal, provider, tools: [crunch] }).run("go", { threadId: "t" });
  await running;

  expect(await journal.requestCancel("t", "stopped from the dashboard")).toBe(true);
  const error = await run.catch((e: unknown) => e);
  expect(RunCancelledError.isInstance(error)).toBe(true);
  expect((error as Error).message).toBe('Run on thread "t" was cancelled: stopped from the dashboard');
  expect(signals[0]?.aborted).toBe(true);
  expect((await readAll(journal, "t")).at(-1)).toMatchObject({
    type: "run.cancelled",
    data: { reason: 'Run on thread "t" was cancelled: stopped from the dashboard' },
  });
  expect(provider.requests).toHaveLength(1);
  // Nobody holds the thread now: nothing to ask (cancelThread would journal a cancel itself).
  expect(await journal.requestCancel("t", "again")).toBe(false);
  expect(await journal.requestCancel("never-run", "x")).toBe(false);
});

it("a request that came after the run ended does not reach the next run", async () => {
  const journal = new MemoryJournal();
  const agent = createAgent({
    journal,
    provider: new ScriptedProvider({ mode: "conversation", turns: [{ text: "a" }, { text: "b" }] }),
  });
  await agent.run("one", { threadId: "t" });
  expect(await journal.requestCancel("t", "late")).toBe(false);
  expect(await agent.run("two", { threadId: "t" })).toMatchObject({ status: "completed", text: "b" });
});

it("cancelRun journals the cancel of a thread nobody runs, asks the owner of one that runs, and says which", async () => {
  const journal = new MemoryJournal();
  const { crunch, running } = slowTool();
  const provider = new ScriptedProvider([{ toolCalls: [{ id: "c1", name: "crunch", args: {} }] }]);
  const run = createAgent({ journal, provider, tools: [crunch] }).run("go", { threadId: "t" });
  await running;
  const stopped = run.catch((e: unknown) => e);
  // It waits for the owner's run to stop, and says it was cancelled.
  expect(await cancelRun(journal, "t", "from an operator")).toBe("cancelled");
  expect(String(await stopped)).toContain("from an operator");
  // Finished by the cancel: nothing left to cancel.
  await expect(cancelRun(journal, "t", "again")).rejects.toSatisfy(
    (e: unknown) => ResumeError.isInstance(e) && e.code === "thread_finished",
  );

  // A thread left running by a crash (nobody holds it): cancelled here, under its lease.
  const crashed = new MemoryJournal();
  await crashed.append("c", (await readAll(journal, "t")).slice(0, -1).map(unsealed), -1);
  expect(await cancelRun(crashed, "c", "left by a crash")).toBe("cancelled");
  expect((await readAll(crashed, "c")).at(-1)).toMatchObject({
    type: "run.cancelled",
    data: { reason: "left by a crash" },
  });

  // A journal without requestCancel: the owner elsewhere cannot be asked.
  const plain = new MemoryJournal();
  const withoutRequests = plainJournal(plain, "acquire");
  const busy = slowTool();
  const held = createAgent({
    journal: withoutRequests,
    provider: new ScriptedProvider([{ toolCalls: [{ id: "c1", name: "crunch", args: {} }] }]),
    tools: [busy.crunch],
  }).run("go", { threadId: "b" });
  await busy.running;
  await expect(cancelRun(withoutRequests, "b", "x")).rejects.toSatisfy((e: unknown) =>
    ThreadBusyError.isInstance(e),
  );
  await plain.requestCancel("b", "done");
  await expect(held).rejects.toThrow(RunCancelledError);
});

/** A journal whose requests are sent but never heard, as one sent while the owner lets go. */
function deafTo(journal: MemoryJournal): Journal & { asked: number } {
  const deaf = {
    specificationVersion: "v1" as const,
    asked: 0,
    append: (...a: Parameters<Journal["append"]>) => journal.append(...a),
    read: (...a: Parameters<Journal["read"]>) => journal.read(...a),
    head: (...a: Parameters<Journal["head"]>) => journal.head(...a),
    threads: (...a: Parameters<Journal["threads"]>) => journal.threads(...a),
    fork: (...a: Parameters<Journal["fork"]>) => journal.fork(...a),
    acquire: (threadId: string) => journal.acquire(threadId),
    close: () => journal.close(),
    requestCancel: async () => {
      deaf.asked++;
      return true;
    },
  };
  return deaf;
}

async function pausedForApproval(journal: Journal, threadId: string, ran: string[]) {
  const charge = tool({
    name: "charge",
    description: "charges a card",
    input: z.object({ cents: z.number() }),
    run: ({ cents }) => {
      ran.push(String(cents));
      return "charged";
    },
  });
  const agent = createAgent({
    journal,
    provider: new ScriptedProvider({
      mode: "conversation",
      turns: [{ toolCalls: [{ id: "c1", name: "charge", args: { cents: 500 } }] }, { text: "charged" }],
    }),
    tools: [charge],
    hooks: [HITLHook({ tools: ["charge"] })],
  });
  expect((await agent.run("pay", { threadId })).status).toBe("interrupted");
}

it("cancelRun journals the cancel itself when the owner lets go without hearing it (paused as it was asked): the approved call never runs", async () => {
  const memory = new MemoryJournal();
  const ran: string[] = [];
  await pausedForApproval(memory, "t", ran);
  const journal = deafTo(memory);
  // The owner still holds the thread as the request goes out, and lets go 60 ms later.
  const owner: ThreadLease = await memory.acquire("t");
  setTimeout(() => void owner.release(), 60);
  expect(await cancelRun(journal, "t", "the order was withdrawn")).toBe("cancelled");
  expect(journal.asked).toBeGreaterThan(1); // asked again at each look while it held the thread
  expect((await readAll(memory, "t")).at(-1)).toMatchObject({
    type: "run.cancelled",
    data: { reason: "the order was withdrawn" },
  });
  expect(ran).toEqual([]);
  // Nothing is listed as waiting for a decision any more.
  expect(await listPendingApprovals(memory)).toEqual([]);
});

it('cancelRun says "requested" when the owner still runs after waitMs, and at once with waitMs 0', async () => {
  const journal = new MemoryJournal();
  const slow = blockingTool({ ignoreSignal: true });
  const run = createAgent({
    journal,
    provider: new ScriptedProvider([{ toolCalls: [{ id: "c1", name: "crunch", args: {} }] }]),
    tools: [slow.tool],
  }).run("go", { threadId: "t" });
  await slow.started;
  const started = Date.now();
  expect(await cancelRun(journal, "t", "stop", { waitMs: 0 })).toBe("requested");
  expect(await cancelRun(journal, "t", "stop", { waitMs: 120 })).toBe("requested");
  expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  slow.finish();
  await expect(run).rejects.toThrow(RunCancelledError);
  expect((await readAll(journal, "t")).filter((e) => e.type === "run.cancelled")).toHaveLength(1);
});

it("cancelRun raises thread_finished when the run completed before it stopped for the request", async () => {
  const memory = new MemoryJournal();
  const journal = deafTo(memory);
  await createAgent({ journal: memory, provider: new ScriptedProvider([{ text: "done" }]) }).run("go", {
    threadId: "t",
  });
  // Held while asked (the run's last moments), then let go: the thread is completed, not cancelled.
  const owner = await memory.acquire("t");
  setTimeout(() => void owner.release(), 30);
  await expect(cancelRun(journal, "t", "too late")).rejects.toSatisfy(
    (e: unknown) => ResumeError.isInstance(e) && e.code === "thread_finished",
  );
  expect((await readAll(memory, "t")).at(-1)?.type).toBe("run.completed");
});
