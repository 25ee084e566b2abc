import {
  cancelRun,
  createAgent,
  type Journal,
  MemoryJournal,
  ResumeError,
  RunCancelledError,
  readAll,
  ThreadBusyError,
} from "@loom/core";
import { blockingTool, ScriptedProvider } from "@loom/testing";
import { expect, it } from "vitest";
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
  expect(await cancelRun(journal, "t", "from an operator")).toBe("requested");
  await expect(run).rejects.toThrow("from an operator");
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
  const withoutRequests: Journal = {
    specificationVersion: "v1",
    append: (...a) => plain.append(...a),
    read: (...a) => plain.read(...a),
    head: (...a) => plain.head(...a),
    threads: (...a) => plain.threads(...a),
    fork: (...a) => plain.fork(...a),
    acquire: (...a) => plain.acquire(...a),
    close: () => plain.close(),
  };
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
