import {
  createAgent,
  type Hook,
  HookError,
  MemoryJournal,
  ResumeError,
  readAll,
  type StoredEvent,
  ThreadBusyError,
  type Tool,
  tool,
} from "@loom/core";
import { HITLHook } from "@loom/hooks";
import { ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { eventsOf } from "./helpers.js";

// The edges of "a completed call never runs again; a rejected or unapproved call never runs":
// calls named alike in different frames and runs, approved calls in flight at a crash, hooks
// inside sub-agents, two owners of one thread.

/** A journal holding `journal`'s thread `threadId` up to (and including) the first event `upTo` picks. */
async function cutAt(
  journal: MemoryJournal,
  threadId: string,
  upTo: (event: StoredEvent) => boolean,
): Promise<MemoryJournal> {
  const events = await readAll(journal, threadId);
  const end = events.findIndex(upTo);
  expect(end).toBeGreaterThanOrEqual(0);
  const cut = new MemoryJournal();
  await cut.append(
    threadId,
    events.slice(0, end + 1).map(({ threadId: _t, seq: _s, ...event }) => event as never),
    -1,
  );
  return cut;
}

function deletePath(log: string[]): Tool {
  return tool({
    name: "delete_path",
    description: "deletes a path",
    input: z.object({ path: z.string() }),
    run: ({ path }) => {
      log.push(path);
      return `deleted ${path}`;
    },
  });
}

/** A parent with two sub-agents whose models both name their call "call_1". */
function twins(
  journal: MemoryJournal,
  log: string[],
  hooks: Hook[] = [HITLHook({ tools: ["delete_path"] })],
) {
  const child = (name: string, path: string) =>
    createAgent({
      name,
      journal,
      tools: [deletePath(log)],
      provider: new ScriptedProvider({
        mode: "conversation",
        turns: [
          { toolCalls: [{ id: "call_1", name: "delete_path", args: { path } }] },
          { text: `${name} done` },
        ],
      }),
    }).asTool({ description: `${name} cleans up` });
  return createAgent({
    journal,
    hooks,
    tools: [child("a", "/tmp/junk"), child("b", "/home")],
    provider: new ScriptedProvider({
      mode: "conversation",
      turns: [
        {
          toolCalls: [
            { id: "call_1", name: "a", args: { input: "clean tmp" } },
            { id: "call_2", name: "b", args: { input: "clean home" } },
          ],
        },
        { text: "all done" },
      ],
    }),
  });
}

describe("a call's identity is unique in its thread", () => {
  it("applies each decision to its own call when sub-agents paused with the same call id", async () => {
    const journal = new MemoryJournal();
    const deleted: string[] = [];
    const paused = await twins(journal, deleted).run("clean", { threadId: "t1" });
    expect(paused.status).toBe("interrupted");
    if (paused.status !== "interrupted") return;
    expect(paused.pending.map((p) => p.callId)).toEqual(["call_1", "call_1"]);
    const [a, b] = paused.pending;
    expect(a!.ref).not.toBe(b!.ref);
    const byPath = (path: string) => paused.pending.find((p) => (p.args as { path: string }).path === path)!;

    const ambiguous = await twins(journal, deleted)
      .resume("t1", { decisions: { call_1: { approve: true } } })
      .catch((e: unknown) => e);
    expect(ResumeError.isInstance(ambiguous) && ambiguous.code).toBe("invalid_decision");
    expect((ambiguous as Error).message).toContain(`name each by its ref instead`);
    expect((ambiguous as Error).message).toContain(a!.ref);
    expect(deleted).toEqual([]);

    const done = await twins(journal, deleted).resume("t1", {
      decisions: {
        [byPath("/tmp/junk").ref]: { approve: true },
        [byPath("/home").ref]: { approve: false, reason: "never" },
      },
    });
    expect(done.status === "completed" && done.text).toBe("all done");
    expect(deleted).toEqual(["/tmp/junk"]);
    const resolved = await eventsOf(journal, "t1", "approval.resolved");
    expect(resolved.map((e) => [e.frameId === byPath("/home").frameId, e.data.decision]).sort()).toEqual([
      [false, "approve"],
      [true, "reject"],
    ]);
  });

  it("gives a parent's call, a child's call and a later run's call distinct idempotency keys", async () => {
    const journal = new MemoryJournal();
    const keys: string[] = [];
    const probe = tool({
      name: "probe",
      description: "records its key",
      input: z.object({}),
      idempotent: true,
      run: (_args, { idempotencyKey }) => {
        keys.push(idempotencyKey);
        return "ok";
      },
    });
    // Every model here sends the same call id, and sends none at all in the second run.
    const child = createAgent({
      name: "child",
      journal,
      tools: [probe],
      provider: new ScriptedProvider({
        mode: "conversation",
        turns: [{ toolCalls: [{ id: "call_1", name: "probe", args: {} }] }, { text: "child done" }],
      }),
    });
    const parent = (turns: ConstructorParameters<typeof ScriptedProvider>[0]) =>
      createAgent({
        journal,
        tools: [probe, child.asTool({ description: "child" })],
        provider: new ScriptedProvider(turns),
      });
    await parent([
      {
        toolCalls: [
          { id: "call_1", name: "probe", args: {} },
          { id: "call_2", name: "child", args: { input: "go" } },
        ],
      },
      { text: "first" },
    ]).run("one", { threadId: "hello-1" });
    await parent([{ toolCalls: [{ id: "call_1", name: "probe", args: {} }] }, { text: "second" }]).run(
      "two",
      {
        threadId: "hello-1",
      },
    );
    await parent([{ toolCalls: [{ id: "call_1", name: "probe", args: {} }] }, { text: "other" }]).run("x", {
      threadId: "hello-2",
    });
    expect(keys).toHaveLength(4);
    expect(new Set(keys).size).toBe(4);
    const started = await eventsOf(journal, "hello-1", "tool.started");
    expect(new Set(started.map((e) => e.data.idempotencyKey)).size).toBe(started.length);
  });

  it("gives calls without an id fallback ids that differ between a parent and its sub-agent", async () => {
    const journal = new MemoryJournal();
    const probe = tool({ name: "probe", description: "p", input: z.object({}), run: () => "ok" });
    const child = createAgent({
      name: "child",
      journal,
      tools: [probe],
      provider: new ScriptedProvider({
        mode: "conversation",
        turns: [{ toolCalls: [{ id: "", name: "probe", args: {} }] }, { text: "child done" }],
      }),
    });
    const parent = createAgent({
      journal,
      tools: [probe, child.asTool({ description: "child" })],
      provider: new ScriptedProvider({
        mode: "conversation",
        turns: [
          {
            toolCalls: [
              { id: "", name: "probe", args: {} },
              { id: "", name: "child", args: { input: "go" } },
            ],
          },
          { text: "done" },
        ],
      }),
    });
    await parent.run("go", { threadId: "f" });
    const ids = (await eventsOf(journal, "f", "tool.started")).map((e) => e.data.callId);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
  });
});

describe("an approved call that was running when the process died", () => {
  async function approvedThenKilled(options: {
    idempotent: boolean;
    onUnknownOutcome?: "fail" | "retry" | "ask";
  }) {
    const journal = new MemoryJournal();
    const wiped: string[] = [];
    const wipe = () =>
      tool({
        name: "wipe",
        description: "wipes a disk",
        input: z.object({ disk: z.string() }),
        idempotent: options.idempotent,
        ...(options.onUnknownOutcome ? { onUnknownOutcome: options.onUnknownOutcome } : {}),
        run: ({ disk }) => {
          wiped.push(disk);
          return `wiped ${disk}`;
        },
      });
    const agent = (on: MemoryJournal) =>
      createAgent({
        journal: on,
        hooks: [HITLHook({ tools: ["wipe"] })],
        tools: [wipe()],
        provider: new ScriptedProvider({
          mode: "conversation",
          turns: [{ toolCalls: [{ id: "w", name: "wipe", args: { disk: "sdb" } }] }, { text: "wiped" }],
        }),
      });
    await agent(journal).run("wipe sdb", { threadId: "w" });
    await agent(journal).resume("w", { decisions: { w: { approve: true } } });
    expect(wiped).toEqual(["sdb"]);
    // The process died right after the side effect, before tool.completed was journaled.
    const crashed = await cutAt(journal, "w", (e) => e.type === "tool.started");
    return { wiped, resume: () => agent(crashed), crashed };
  }

  it("is not run again when it is not idempotent: the model is told the outcome is unknown", async () => {
    const { wiped, resume, crashed } = await approvedThenKilled({ idempotent: false });
    const done = await resume().resume("w");
    expect(done.status).toBe("completed");
    expect(wiped).toEqual(["sdb"]);
    const [completed] = await eventsOf(crashed, "w", "tool.completed");
    expect(completed!.data.error?.code).toBe("unknown_outcome");
  });

  it("asks again when its policy is ask, and runs once more only if a human says so", async () => {
    const { wiped, resume, crashed } = await approvedThenKilled({
      idempotent: false,
      onUnknownOutcome: "ask",
    });
    const paused = await resume().resume("w");
    expect(paused.status).toBe("interrupted");
    expect(wiped).toEqual(["sdb"]);
    if (paused.status !== "interrupted") return;
    expect(paused.pending[0]!.reason).toMatch(/outcome is unknown/);
    await resume().resume("w", { decisions: { [paused.pending[0]!.ref]: { approve: true } } });
    expect(wiped).toEqual(["sdb", "sdb"]);
    // The second run was journaled as a start of its own, with the same key.
    const starts = await eventsOf(crashed, "w", "tool.started");
    expect(starts).toHaveLength(2);
    expect(starts[1]!.data.idempotencyKey).toBe(starts[0]!.data.idempotencyKey);
  });

  it("runs again when it is idempotent, with the same key", async () => {
    const { wiped, resume } = await approvedThenKilled({ idempotent: true });
    await resume().resume("w");
    expect(wiped).toEqual(["sdb", "sdb"]);
  });
});

describe("hook directives mean one thing", () => {
  const echo = tool({ name: "echo", description: "echo", input: z.object({}), run: () => "echoed" });
  const agentWith = (hook: Hook, journal = new MemoryJournal()) =>
    createAgent({
      journal,
      hooks: [hook],
      tools: [echo],
      provider: new ScriptedProvider({
        mode: "conversation",
        turns: [{ toolCalls: [{ id: "e", name: "echo", args: {} }] }, { text: "done" }],
      }),
    });

  it.each([
    ["beforeIterationStart", { interrupt: "wait" }],
    ["afterIterationEnd", { interrupt: "wait" }],
    ["beforeLLMCall", { decided: { approve: true }, reason: "r" }],
    ["afterToolExecution", { deny: "no" }],
  ] as const)("refuses %s returning %j with a HookError naming the hook", async (point, directive) => {
    const journal = new MemoryJournal();
    const hook = { name: "confused", [point]: () => directive } as unknown as Hook;
    const error = await agentWith(hook, journal)
      .run("go", { threadId: "d" })
      .catch((e: unknown) => e);
    expect((error as Error & { code: string }).code).toBe("hook_failed");
    expect((error as Error).message).toContain(`Hook "confused" threw in ${point}`);
    expect((error as Error).message).toContain("does not take");
    const events = await readAll(journal, "d");
    if (point === "afterToolExecution") {
      // The tool ran: its outcome is journaled before the run fails.
      expect(events.some((e) => e.type === "tool.completed")).toBe(true);
    }
  });

  it("refuses an answer that is not a decision", async () => {
    const hook: Hook = {
      name: "sloppy",
      beforeToolExecution: () => ({ decided: true as never, reason: "r" }),
    };
    const error = await agentWith(hook)
      .run("go", { threadId: "d" })
      .catch((e: unknown) => e);
    expect(HookError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain("a decision is { approve: true }");
  });
});

describe("what a tool or model returns cannot wedge a thread", () => {
  it("journals arguments a schema transforms as the model sent them, and runs the tool on the parsed value", async () => {
    const journal = new MemoryJournal();
    const seen: unknown[] = [];
    const when = tool({
      name: "when",
      description: "takes a date",
      input: z.object({ at: z.string().transform((s) => new Date(s)) }),
      run: ({ at }) => {
        seen.push(at);
        return at.toISOString();
      },
    });
    const agent = createAgent({
      journal,
      tools: [when],
      provider: new ScriptedProvider({
        mode: "conversation",
        turns: [
          { toolCalls: [{ id: "w", name: "when", args: { at: "2026-01-02T03:04:05.000Z" } }] },
          { text: "ok" },
        ],
      }),
    });
    expect((await agent.run("when", { threadId: "d" })).status).toBe("completed");
    expect(seen[0]).toBeInstanceOf(Date);
    const [started] = await eventsOf(journal, "d", "tool.started");
    expect(started!.data.args).toEqual({ at: "2026-01-02T03:04:05.000Z" });
  });

  it("journals a string with a lone surrogate as well-formed text", async () => {
    const journal = new MemoryJournal();
    const cut = tool({
      name: "cut",
      description: "cuts",
      input: z.object({}),
      run: () => "Hi 👋".slice(0, 4),
    });
    const agent = createAgent({
      journal,
      tools: [cut],
      provider: new ScriptedProvider({
        mode: "conversation",
        turns: [{ toolCalls: [{ id: "c", name: "cut", args: {} }] }, { text: "ok" }],
      }),
    });
    expect((await agent.run("go", { threadId: "s" })).status).toBe("completed");
    const [completed] = await eventsOf(journal, "s", "tool.completed");
    expect(completed!.data.content).toBe("Hi \uFFFD");
    expect(JSON.stringify(await readAll(journal, "s")).isWellFormed()).toBe(true);
  });
});

describe("one owner per thread", () => {
  it("lets one of two simultaneous runs on a new thread proceed; the other is thread_busy and causes nothing", async () => {
    const journal = new MemoryJournal();
    const ran: string[] = [];
    const slow = tool({
      name: "slow",
      description: "slow",
      input: z.object({}),
      run: async () => {
        ran.push("slow");
        await new Promise((r) => setTimeout(r, 20));
        return "ok";
      },
    });
    const agent = () =>
      createAgent({
        journal,
        tools: [slow],
        provider: new ScriptedProvider({
          mode: "conversation",
          turns: [{ toolCalls: [{ id: "s", name: "slow", args: {} }] }, { text: "done" }],
        }),
      });
    const results = await Promise.allSettled([
      agent().run("a", { threadId: "n" }),
      agent().run("b", { threadId: "n" }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(ThreadBusyError.isInstance(rejected.reason)).toBe(true);
    expect((rejected.reason as ThreadBusyError).reason).toBe("owned");
    expect(ran).toEqual(["slow"]);
    expect((await eventsOf(journal, "n", "run.started")).length).toBe(1);
    // Once the owner stopped, the thread is free again.
    const again = createAgent({ journal, provider: new ScriptedProvider([{ text: "again" }]) });
    expect((await again.run("c", { threadId: "n" })).status).toBe("completed");
  });
});

describe("a resume shows in the journal", () => {
  it("journals run.resumed with why: a run left unfinished, or a pause a human answered", async () => {
    const journal = new MemoryJournal();
    const log: string[] = [];
    const agent = (on: MemoryJournal) =>
      createAgent({
        journal: on,
        hooks: [HITLHook({ tools: ["delete_path"] })],
        tools: [deletePath(log)],
        provider: new ScriptedProvider({
          mode: "conversation",
          turns: [
            { toolCalls: [{ id: "d", name: "delete_path", args: { path: "/tmp/x" } }] },
            { text: "done" },
          ],
        }),
      });
    const paused = await agent(journal).run("clean", { threadId: "r" });
    expect(paused.status).toBe("interrupted");
    await agent(journal).resume("r"); // no decisions: nothing happens, nothing is journaled
    expect((await eventsOf(journal, "r", "run.resumed")).length).toBe(0);
    await agent(journal).resume("r", { decisions: { d: { approve: true } } });
    expect((await eventsOf(journal, "r", "run.resumed")).map((e) => e.data.reason)).toEqual(["decisions"]);

    // Cut after the approved call started: the next process takes up an unfinished run.
    const crashed = await cutAt(journal, "r", (e) => e.type === "tool.started");
    await agent(crashed).resume("r");
    expect((await eventsOf(crashed, "r", "run.resumed")).map((e) => e.data.reason)).toEqual([
      "decisions",
      "unfinished",
    ]);
    await agent(crashed).resume("r"); // completed: nothing to take up
    expect((await eventsOf(crashed, "r", "run.resumed")).length).toBe(2);
  });
});
