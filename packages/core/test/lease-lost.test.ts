import {
  type Agent,
  createAgent,
  JournalConflictError,
  MemoryJournal,
  type NewEvent,
  RunCancelledError,
  readAll,
  type StoredEvent,
  type ThreadLease,
  ThreadLeaseLostError,
  type Tool,
  tool,
} from "@loom/core";
import { HITLHook } from "@loom/hooks";
import { blockingTool, ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { unsealed } from "./helpers.js";

// A lease the journal says it lost (a Postgres lease's connection broke) stops the run at once:
// nothing more is started and nothing is journaled for the stop, as if the process had died there.

/** A MemoryJournal whose leases the test can declare lost, as a journal does when it learns so. */
class LosingJournal extends MemoryJournal {
  readonly leases: AbortController[] = [];

  override async acquire(threadId: string): Promise<ThreadLease> {
    const lease = await super.acquire(threadId);
    const lost = new AbortController();
    this.leases.push(lost);
    return { threadId, release: () => lease.release(), lost: lost.signal };
  }

  lose(reason = "the lease's connection broke"): void {
    this.leases.at(-1)?.abort(new Error(reason));
  }
}

/** A tool with effects whose run the test holds open, and which records each run and its signal. */
function heldTool(options: { ignoreSignal?: boolean } = {}) {
  const blocking = blockingTool({ name: "charge", ...options });
  return {
    charge: blocking.tool,
    signals: blocking.signals,
    running: blocking.started,
    finish: blocking.finish,
    get runs() {
      return blocking.runs.map((args) => `charge ${String(args.cents)}`);
    },
  };
}

const twoCharges = () =>
  new ScriptedProvider({
    mode: "conversation",
    turns: [
      { toolCalls: [{ id: "c1", name: "charge", args: { cents: 100 } }] },
      { toolCalls: [{ id: "c2", name: "charge", args: { cents: 200 } }] },
      { text: "done" },
    ],
  });

/** A run whose lease is lost while its first charge runs, a charge that ignores its signal. */
async function lostWhileCharging() {
  const journal = new LosingJournal();
  const held = heldTool({ ignoreSignal: true });
  const provider = twoCharges();
  const run = createAgent({ journal, provider, tools: [held.charge] }).run("charge twice", { threadId: "t" });
  await held.running;
  journal.lose();
  return { journal, held, provider, run };
}

describe("a lost lease", () => {
  it("stops a run while a tool with effects runs: the tool is told, nothing more starts or is journaled", async () => {
    const journal = new LosingJournal();
    const held = heldTool();
    const provider = twoCharges();
    const agent = createAgent({ journal, provider, tools: [held.charge] });
    const run = agent.run("charge twice", { threadId: "t" });
    await held.running;
    const before = await readAll(journal, "t");
    journal.lose();

    const error = await run.catch((e: unknown) => e);
    expect(ThreadLeaseLostError.isInstance(error)).toBe(true);
    expect((error as ThreadLeaseLostError).code).toBe("thread_lease_lost");
    expect((error as ThreadLeaseLostError).threadId).toBe("t");
    expect((error as Error).message).toContain("the lease's connection broke");
    expect((error as Error).message).toContain('resume("t")');
    expect(RunCancelledError.isInstance((error as Error).cause)).toBe(true);
    expect(held.signals[0]?.aborted).toBe(true);
    // Nothing after the loss: no run.cancelled, no tool.completed, no second model call.
    expect(await readAll(journal, "t")).toEqual(before);
    expect(before.at(-1)?.type).toBe("tool.started");
    expect(provider.requests).toHaveLength(1);
    expect(held.runs).toEqual(["charge 100"]);

    // The next owner reads the thread as a crash there: the call's outcome is unknown, and this
    // tool's onUnknownOutcome ("fail") tells the model so rather than charging again.
    const next = heldTool();
    next.finish();
    const result = await createAgent({ journal, provider, tools: [next.charge] }).resume("t");
    expect(result).toMatchObject({ status: "completed", text: "done" });
    expect(next.runs).toEqual(["charge 200"]);
    expect(provider.requests[1]?.messages.at(-1)).toMatchObject({ role: "tool", callId: "c1" });
    expect(JSON.stringify(provider.requests[1]?.messages.at(-1))).toMatch(/unknown/i);
  });

  it("stops a model call in flight: no llm.failed, no retry, no run.failed", async () => {
    const journal = new LosingJournal();
    const provider = new ScriptedProvider([{ text: "slow", delayMs: 60_000 }]);
    const agent = createAgent({ journal, provider });
    const run = agent.run("hello", { threadId: "t" });
    await waitFor(() => provider.requests.length === 1);
    journal.lose();
    const error = await run.catch((e: unknown) => e);
    expect(ThreadLeaseLostError.isInstance(error)).toBe(true);
    expect(provider.requests).toHaveLength(1);
    const types = (await readAll(journal, "t")).map((e) => e.type);
    expect(types).not.toContain("llm.failed");
    expect(types).not.toContain("run.failed");
    expect(types).not.toContain("run.cancelled");
  });

  it("writes the completion of a tool that finished anyway, then starts nothing", async () => {
    const { journal, held, provider, run } = await lostWhileCharging();
    held.finish();
    const error = await run.catch((e: unknown) => e);
    expect(ThreadLeaseLostError.isInstance(error)).toBe(true);
    const events = await readAll(journal, "t");
    // Written because the thread was still where this run left it (`expectedSeq` held): a resume
    // will not run the charge again.
    expect(events.at(-1)).toMatchObject({ type: "tool.completed", data: { callId: "c1" } });
    expect(provider.requests).toHaveLength(1);
    expect(held.runs).toEqual(["charge 100"]);
  });

  it("loses to the new owner's write: the old run's write is refused, the new owner's events stay", async () => {
    const { journal, held, provider, run } = await lostWhileCharging();
    // Another owner took the thread and wrote (here by hand: one event after the head).
    const head = await journal.head("t");
    const last = (await readAll(journal, "t")).at(-1)!;
    await journal.append(
      "t",
      [unsealed({ ...last, type: "run.resumed", data: { reason: "unfinished" } } as StoredEvent)],
      head,
    );
    held.finish();
    const error = await run.catch((e: unknown) => e);
    expect(ThreadLeaseLostError.isInstance(error)).toBe(true);
    expect(provider.requests).toHaveLength(1);
    const events = await readAll(journal, "t");
    expect(events).toHaveLength(head + 2);
    expect(events.at(-1)?.type).toBe("run.resumed");
  });

  it("leaves cancelling to the caller's own signal: run.cancelled is journaled as before", async () => {
    const journal = new LosingJournal();
    const held = heldTool();
    const controller = new AbortController();
    const run = createAgent({ journal, provider: twoCharges(), tools: [held.charge] }).run("charge twice", {
      threadId: "t",
      signal: controller.signal,
    });
    await held.running;
    controller.abort("user pressed stop");
    const error = await run.catch((e: unknown) => e);
    expect(RunCancelledError.isInstance(error)).toBe(true);
    expect((await readAll(journal, "t")).at(-1)).toMatchObject({ type: "run.cancelled" });
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}

/**
 * A run stopped while its idempotent lookup ran (tool.started, no tool.completed) and taken over:
 * `begin` drives the old owner's agent until its lookup starts; the journal is cut there, and the
 * new owner's agent resumes the cut while the old owner's later events (its tool.completed first)
 * land just before the new owner's first write. Returns what the new owner's lookups ran, its
 * error, and a second resume's result.
 */
async function takeOverRace(
  build: (journal: MemoryJournal, lookup: Tool) => Agent,
  begin: (agent: Agent) => Promise<unknown>,
) {
  const journal = new MemoryJournal();
  const lookups: string[] = [];
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const lookup = (onRun: () => Promise<void> | void) =>
    tool({
      name: "lookup",
      description: "looks up",
      input: z.object({ q: z.string() }),
      idempotent: true,
      run: async ({ q }) => {
        lookups.push(q);
        await onRun();
        return `found ${q}`;
      },
    });
  const old = begin(
    build(
      journal,
      lookup(() => stopped),
    ),
  );
  await waitFor(() => lookups.length === 1);
  const cut = new MemoryJournal();
  await cut.append("t", (await readAll(journal, "t")).map(unsealed), -1);
  stop();
  await old;
  const tail = (await readAll(journal, "t")).slice((await cut.head("t")) + 1);
  expect(tail[0]).toMatchObject({ type: "tool.completed", data: { name: "lookup" } });

  class Racing extends MemoryJournal {
    armed = false;
    override async append(threadId: string, events: readonly NewEvent[], expectedSeq: number) {
      if (this.armed && tail.length > 0) {
        const late = tail.splice(0);
        await super.append(threadId, late.map(unsealed), late[0]!.seq - 1);
      }
      return super.append(threadId, events, expectedSeq);
    }
  }
  const racing = new Racing();
  await racing.append("t", (await readAll(cut, "t")).map(unsealed), -1);
  racing.armed = true;
  lookups.length = 0;
  const error = await build(
    racing,
    lookup(() => undefined),
  )
    .resume("t")
    .catch((e: unknown) => e);
  const ranFirst = [...lookups];
  const result = await build(
    racing,
    lookup(() => undefined),
  ).resume("t");
  return { error, ranFirst, ranAfter: lookups.slice(ranFirst.length), result };
}

describe("taking over a run that stopped mid-way", () => {
  it("writes run.resumed before anything runs: if the old owner writes first, the new one runs nothing", async () => {
    const provider = () =>
      new ScriptedProvider({
        mode: "conversation",
        turns: [{ toolCalls: [{ id: "c1", name: "lookup", args: { q: "x" } }] }, { text: "done" }],
      });
    const race = await takeOverRace(
      (journal, lookup) => createAgent({ journal, provider: provider(), tools: [lookup] }),
      (agent) => agent.run("look", { threadId: "t" }),
    );
    expect(JournalConflictError.isInstance(race.error)).toBe(true);
    expect(race.ranFirst).toEqual([]);
    // Resumed again, it reads the old owner's result and runs nothing twice.
    expect(race.result).toMatchObject({ status: "completed", text: "done" });
    expect(race.ranAfter).toEqual([]);
  });

  it("also when a resumed pause was taken over while its sub-agent ran (its root still reads as paused)", async () => {
    const deletePath = tool({
      name: "delete_path",
      description: "deletes a path",
      input: z.object({ path: z.string() }),
      run: ({ path }) => `deleted ${path}`,
    });
    const build = (journal: MemoryJournal, lookup: Tool) => {
      const cleaner = createAgent({
        name: "cleaner",
        journal,
        tools: [deletePath, lookup],
        provider: new ScriptedProvider({
          mode: "conversation",
          turns: [
            {
              toolCalls: [
                { id: "d1", name: "delete_path", args: { path: "/tmp/junk" } },
                { id: "l1", name: "lookup", args: { q: "junk" } },
              ],
            },
            { text: "cleaned" },
          ],
        }),
      });
      return createAgent({
        journal,
        hooks: [HITLHook({ tools: ["delete_path"] })],
        tools: [cleaner.asTool({ description: "cleans up" })],
        provider: new ScriptedProvider({
          mode: "conversation",
          turns: [{ toolCalls: [{ id: "c1", name: "cleaner", args: { input: "clean" } }] }, { text: "done" }],
        }),
      });
    };
    const race = await takeOverRace(build, async (agent) => {
      const paused = await agent.run("clean up", { threadId: "t" });
      if (paused.status !== "interrupted") throw new Error("expected a pause");
      return agent.resume("t", { decisions: { [paused.pending[0]!.ref]: { approve: true } } });
    });
    expect(JournalConflictError.isInstance(race.error)).toBe(true);
    expect(race.ranFirst).toEqual([]);
    expect(race.result).toMatchObject({ status: "completed", text: "done" });
    expect(race.ranAfter).toEqual([]);
  });
});
