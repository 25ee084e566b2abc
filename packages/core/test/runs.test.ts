import {
  ConfigError,
  createAgent,
  JournalError,
  MemoryJournal,
  ResumeError,
  RunFailedError,
  readAll,
  ThreadBusyError,
  tool,
} from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { eventsOf, types } from "./helpers.js";

const noop = tool({
  name: "noop",
  description: "does nothing",
  input: z.object({ n: z.number() }),
  run: () => "ok",
});

describe("limits", () => {
  it("ends the run at maxIterations with a journaled reason", async () => {
    const journal = new MemoryJournal();
    const turns = Array.from({ length: 5 }, (_, i) => ({ toolCalls: [{ name: "noop", args: { n: i } }] }));
    const agent = createAgent({
      journal,
      tools: [noop],
      maxIterations: 3,
      provider: new ScriptedProvider(turns),
    });
    const error = await agent.run("go", { threadId: "t" }).catch((e) => e);
    expect(RunFailedError.isInstance(error) && error.code).toBe("max_iterations");
    expect(error.message).toMatch(/after 3 iterations/);
    const [failed] = await eventsOf(journal, "t", "run.failed");
    expect(failed!.data.error.code).toBe("max_iterations");
    expect(await eventsOf(journal, "t", "iteration.started")).toHaveLength(3);
  });

  it("detects the same tool call with the same arguments repeating and stops", async () => {
    const journal = new MemoryJournal();
    const same = { toolCalls: [{ name: "noop", args: { n: 1 } }] };
    const agent = createAgent({
      journal,
      tools: [noop],
      provider: new ScriptedProvider([same, same, same, same, same]),
    });
    const error = await agent.run("go", { threadId: "t" }).catch((e) => e);
    expect(error.code).toBe("loop_detected");
    expect(error.message).toContain('noop({"n":1})');
    // The third identical turn is refused before it runs.
    expect(await eventsOf(journal, "t", "tool.started")).toHaveLength(2);
    expect((await readAll(journal, "t")).at(-1)!.type).toBe("run.failed");
  });

  it("does not count different arguments as a loop", async () => {
    const turns = [1, 2, 3, 4].map((n) => ({ toolCalls: [{ name: "noop", args: { n } }] }));
    const agent = createAgent({ tools: [noop], provider: new ScriptedProvider([...turns, { text: "ok" }]) });
    expect((await agent.run("go")).status).toBe("completed");
  });
});

describe("configuration and bad input", () => {
  const provider = new ScriptedProvider([]);

  it("refuses wrong options with a ConfigError naming the option", () => {
    expect(() => createAgent({ provider, maxIterations: 0 })).toThrow(/option "maxIterations" is invalid/);
    expect(() => createAgent({ provider: {} as never })).toThrow(/"provider" must be a Provider/);
    expect(() => createAgent({ provider, tools: [noop, noop] })).toThrow(/two tools are named "noop"/);
    expect(() => createAgent({ provider, context: { windowTokens: -1 } })).toThrow(ConfigError);
    expect(() =>
      createAgent({
        provider: Object.assign(Object.create(provider), { specificationVersion: "v9" }),
        tools: [],
      }),
    ).toThrow(/specification v9/);
  });

  it("refuses a bad thread id before touching the journal", async () => {
    const agent = createAgent({ provider: new ScriptedProvider([{ text: "x" }]) });
    for (const id of ["../etc", "", "a/b", "x".repeat(201)]) {
      const error = await Promise.resolve()
        .then(() => agent.run("go", { threadId: id }))
        .catch((e) => e);
      expect(JournalError.isInstance(error) && error.code, id).toBe("invalid_thread_id");
    }
  });

  it("refuses to start a new run on a thread whose run is unfinished", async () => {
    const gate = { name: "gate", beforeToolExecution: () => ({ interrupt: "wait" }) };
    const agent = createAgent({
      tools: [noop],
      hooks: [gate],
      provider: new ScriptedProvider([{ toolCalls: [{ name: "noop", args: { n: 1 } }] }]),
    });
    await agent.run("first", { threadId: "busy" });
    const error = await agent.run("second", { threadId: "busy" }).catch((e) => e);
    expect(ResumeError.isInstance(error) && error.code).toBe("thread_busy");
    expect(ThreadBusyError.isInstance(error) && error.reason).toBe("unfinished");
    expect(error.message).toContain('resume("busy")');
  });

  it("refuses to resume a thread that does not exist, or with a decision nobody asked for", async () => {
    const agent = createAgent({ provider: new ScriptedProvider([{ text: "x" }]) });
    expect((await agent.resume("ghost").catch((e) => e)).code).toBe("thread_not_found");
    await agent.run("go", { threadId: "real" });
    const error = await agent.resume("real", { decisions: { c9: { approve: true } } }).catch((e) => e);
    expect(error.code).toBe("invalid_decision");
  });
});

describe("threads and resume", () => {
  it("continues a thread's conversation in a new run (memory across sessions)", async () => {
    const journal = new MemoryJournal();
    const provider = new ScriptedProvider([
      { text: "Nice to meet you, Ada." },
      { text: "Your name is Ada." },
    ]);
    const agent = createAgent({ journal, provider });
    await agent.run("I am Ada.", { threadId: "mem" });
    const second = await agent.run("What is my name?", { threadId: "mem" });
    expect(second.status === "completed" && second.text).toBe("Your name is Ada.");
    expect(provider.requests[1]!.messages.map((m) => m.content)).toEqual([
      "I am Ada.",
      "Nice to meet you, Ada.",
      "What is my name?",
    ]);
    expect((await eventsOf(journal, "mem", "run.started")).length).toBe(2);
  });

  it("returns a completed thread's stored result without calling anything", async () => {
    const journal = new MemoryJournal();
    await createAgent({ journal, provider: new ScriptedProvider([{ text: "stored" }]) }).run("go", {
      threadId: "d",
    });
    const fresh = new ScriptedProvider([]);
    const result = await createAgent({ journal, provider: fresh }).resume("d");
    expect(result.status === "completed" && result.text).toBe("stored");
    expect(fresh.requests).toHaveLength(0);
  });

  async function crashedDuringTool(policy: "fail" | "retry" | "ask") {
    const journal = new MemoryJournal();
    const runs: string[] = [];
    const charge = () =>
      tool({
        name: "charge",
        description: "charges a card",
        input: z.object({ cents: z.number() }),
        onUnknownOutcome: policy,
        run: (_a, { idempotencyKey }) => {
          runs.push(idempotencyKey);
          return "charged";
        },
      });
    const turns = [{ toolCalls: [{ id: "pay", name: "charge", args: { cents: 500 } }] }, { text: "done" }];
    const first = createAgent({ journal, tools: [charge()], provider: new ScriptedProvider(turns) });
    await first.run("pay", { threadId: "p" });
    // Keep the journal only up to tool.started: the process died while the charge ran.
    const events = await readAll(journal, "p");
    const cut = new MemoryJournal();
    const upTo = events.findIndex((e) => e.type === "tool.started");
    await cut.append(
      "p",
      events.slice(0, upTo + 1).map(({ threadId: _t, seq: _s, ...e }) => e as never),
      -1,
    );
    runs.length = 0;
    const provider = new ScriptedProvider({ mode: "conversation", turns });
    const second = createAgent({ journal: cut, tools: [charge()], provider });
    return { second, cut, runs, provider };
  }

  it("does not re-run a non-idempotent tool of unknown outcome, and tells the model (onUnknownOutcome: fail)", async () => {
    const { second, cut, runs, provider } = await crashedDuringTool("fail");
    expect((await second.resume("p")).status).toBe("completed");
    expect(runs).toEqual([]);
    const [completed] = await eventsOf(cut, "p", "tool.completed");
    expect(completed!.data.error?.code).toBe("unknown_outcome");
    expect(provider.requests[0]!.messages.at(-1)!.content).toMatch(/outcome of this call is unknown/);
  });

  it("runs it again with the same idempotency key when told to (onUnknownOutcome: retry)", async () => {
    const { second, runs } = await crashedDuringTool("retry");
    await second.resume("p");
    expect(runs).toEqual(["p/pay@4"]);
  });

  it("asks a human first (onUnknownOutcome: ask)", async () => {
    const { second, runs } = await crashedDuringTool("ask");
    const paused = await second.resume("p");
    expect(paused.status).toBe("interrupted");
    expect(paused.status === "interrupted" && paused.pending[0]!.reason).toMatch(/outcome is unknown/);
    expect(runs).toEqual([]);
    await second.resume("p", { decisions: { pay: { approve: true } } });
    expect(runs).toEqual(["p/pay@4"]);
  });
});

describe("providers failing", () => {
  it("retries a rate limit after the provider's retry-after, journaling each failure", async () => {
    const journal = new MemoryJournal();
    const provider = new ScriptedProvider([
      { text: "finally", failFirst: [{ code: "rate_limited", retryAfterMs: 20 }, { code: "overloaded" }] },
    ]);
    const agent = createAgent({
      journal,
      provider,
      retry: { maxRetries: 3, initialDelayMs: 1, maxDelayMs: 4 },
      random: () => 1,
    });
    const result = await agent.run("go", { threadId: "r" });
    expect(result.status === "completed" && result.text).toBe("finally");
    const failed = await eventsOf(journal, "r", "llm.failed");
    expect(
      failed.map((e) => [e.data.error.code, e.data.attempt, e.data.willRetry, e.data.retryInMs]),
    ).toEqual([
      ["rate_limited", 1, true, 20],
      ["overloaded", 2, true, 2],
    ]);
    expect((await eventsOf(journal, "r", "llm.completed"))[0]!.data.attempt).toBe(3);
  });

  it("fails at once on an error that retrying cannot fix", async () => {
    const journal = new MemoryJournal();
    const provider = new ScriptedProvider([
      { text: "never", failFirst: [{ code: "auth", message: "bad key" }] },
    ]);
    const error = await createAgent({ journal, provider })
      .run("go", { threadId: "a" })
      .catch((e) => e);
    expect(error.code).toBe("provider_failed");
    expect(error.cause.code).toBe("auth");
    expect(await types(journal, "a")).toEqual([
      "run.started",
      "iteration.started",
      "context.assembled",
      "llm.requested",
      "llm.failed",
      "run.failed",
    ]);
  });

  it("gives up after maxRetries", async () => {
    const provider = new ScriptedProvider([
      { text: "never", failFirst: [{ code: "overloaded" }, { code: "overloaded" }, { code: "overloaded" }] },
    ]);
    const agent = createAgent({ provider, retry: { maxRetries: 2, initialDelayMs: 0, maxDelayMs: 0 } });
    const error = await agent.run("go").catch((e) => e);
    expect(error.message).toMatch(/after 3 attempt\(s\)/);
  });
});

describe("sub-agents", () => {
  it("runs an agent used as a tool in a child frame of the same thread", async () => {
    const journal = new MemoryJournal();
    const recursions: string[] = [];
    const child = createAgent({
      name: "helper",
      journal,
      tools: [noop],
      provider: new ScriptedProvider([
        { toolCalls: [{ name: "noop", args: { n: 7 } }] },
        { text: "child answer" },
      ]),
    });
    const parent = createAgent({
      journal,
      tools: [child.asTool({ description: "asks the helper" })],
      hooks: [{ name: "watch", beforeRecursion: ({ input }) => void recursions.push(input) }],
      provider: new ScriptedProvider([
        { toolCalls: [{ id: "h1", name: "helper", args: { input: "sub task" } }] },
        { text: "parent answer" },
      ]),
    });
    const result = await parent.run("task", { threadId: "s" });
    expect(result.status === "completed" && result.text).toBe("parent answer");
    expect(recursions).toEqual(["sub task"]);
    const events = await readAll(journal, "s");
    const [spawned] = await eventsOf(journal, "s", "frame.spawned");
    const childId = spawned!.data.childFrameId;
    const childEvents = events.filter((e) => e.frameId === childId);
    expect(childEvents.every((e) => e.depth === 1 && e.parentFrameId === "root")).toBe(true);
    expect(childEvents.map((e) => e.type)).toContain("tool.completed");
    expect(childEvents.at(-1)!.type).toBe("run.completed");
    const [parentResult] = (await eventsOf(journal, "s", "tool.completed")).filter(
      (e) => e.frameId === "root",
    );
    expect(parentResult!.data.content).toBe("child answer");
    expect(result.frame.children[childId]!.messages.length).toBe(4);
  });
});

describe("context assembly", () => {
  it("drops the oldest whole turns when the window is too small and journals why", async () => {
    const journal = new MemoryJournal();
    const long = "x".repeat(400);
    const provider = new ScriptedProvider([{ text: long }, { text: long }, { text: "short" }]);
    const agent = createAgent({
      journal,
      provider,
      system: "sys",
      context: { windowTokens: 260, reservedOutputTokens: 20 },
    });
    for (const q of ["one", "two", "three"]) await agent.run(`${q} ${long}`, { threadId: "c" });
    const assembled = await eventsOf(journal, "c", "context.assembled");
    const last = assembled.at(-1)!.data;
    expect(last.budget).toBe(240);
    expect(last.excluded).toEqual([
      expect.objectContaining({ id: "history", range: [0, 4], reason: "dropped by drop-oldest" }),
    ]);
    const compressions = await eventsOf(journal, "c", "compression.applied");
    expect(compressions.at(-1)!.data).toMatchObject({ strategy: "drop-oldest", keepFrom: 4 });
    expect(compressions.at(-1)!.data.tokensAfter).toBeLessThan(compressions.at(-1)!.data.tokensBefore);
    expect(last.included.find((c) => c.kind === "history")?.range).toEqual([4, 5]);
    expect(provider.requests[2]!.messages.map((m) => m.role)).toEqual(["system", "user"]);
    expect(last.totalTokens).toBeLessThanOrEqual(last.budget);
  });
});

describe("pauses and cancellations across frames", () => {
  it("pauses the whole run when a sub-agent needs approval, and resumes inside the sub-agent", async () => {
    const journal = new MemoryJournal();
    const ran: number[] = [];
    const guarded = tool({
      name: "guarded",
      description: "needs approval",
      input: z.object({ n: z.number() }),
      run: ({ n }) => {
        ran.push(n);
        return `ran ${n}`;
      },
    });
    const child = createAgent({
      name: "worker",
      journal,
      tools: [guarded],
      hooks: [
        {
          name: "gate",
          beforeToolExecution: ({ approved }) => (approved ? undefined : { interrupt: "check" }),
        },
      ],
      provider: new ScriptedProvider({
        mode: "conversation",
        turns: [{ toolCalls: [{ id: "g1", name: "guarded", args: { n: 1 } }] }, { text: "worker done" }],
      }),
    });
    const parent = createAgent({
      journal,
      tools: [child.asTool({ description: "does guarded work" })],
      provider: new ScriptedProvider({
        mode: "conversation",
        turns: [{ toolCalls: [{ id: "w1", name: "worker", args: { input: "go" } }] }, { text: "all done" }],
      }),
    });
    const paused = await parent.run("start", { threadId: "nested" });
    expect(paused.status).toBe("interrupted");
    expect(paused.status === "interrupted" && paused.pending.map((p) => [p.callId, p.frameId])).toEqual([
      ["g1", "root.1.w1"],
    ]);
    expect(ran).toEqual([]);
    const done = await parent.resume("nested", { decisions: { g1: { approve: true } } });
    expect(done.status === "completed" && done.text).toBe("all done");
    expect(ran).toEqual([1]);
  });

  it("resumes a cancelled run from where it stopped", async () => {
    const journal = new MemoryJournal();
    const turns = [{ toolCalls: [{ name: "noop", args: { n: 1 } }] }, { text: "slow answer", delayMs: 50 }];
    const controller = new AbortController();
    const agent = createAgent({
      journal,
      tools: [noop],
      provider: new ScriptedProvider({ mode: "conversation", turns }),
    });
    setTimeout(() => controller.abort("stop"), 20);
    const error = await agent.run("go", { threadId: "cx", signal: controller.signal }).catch((e) => e);
    expect(error.code).toBe("run_cancelled");
    expect((await readAll(journal, "cx")).at(-1)!.type).toBe("run.cancelled");
    const resumed = await agent.resume("cx");
    expect(resumed.status === "completed" && resumed.text).toBe("slow answer");
    expect(await eventsOf(journal, "cx", "tool.completed")).toHaveLength(1);
  });
});

describe("provider traces", () => {
  it("journals the provider's request ids, statuses and warnings", async () => {
    const { ProviderError } = await import("@loom/core");
    let calls = 0;
    const provider = {
      specificationVersion: "v1" as const,
      provider: "traced",
      modelId: "m",
      async *doStream() {
        if (calls++ === 0) {
          throw new ProviderError("server_error", "upstream 502", { status: 502, requestId: "req_1" });
        }
        yield {
          type: "finish" as const,
          message: { role: "assistant" as const, content: "ok" },
          usage: { inputTokens: 1, outputTokens: 1 },
          finishReason: { unified: "stop" as const },
          requestId: "req_2",
          warnings: ["temperature is not supported"],
        };
      },
    };
    const journal = new MemoryJournal();
    await createAgent({ journal, provider, retry: { maxRetries: 1, initialDelayMs: 0, maxDelayMs: 0 } }).run(
      "go",
      {
        threadId: "trace",
      },
    );
    const [failed] = await eventsOf(journal, "trace", "llm.failed");
    expect(failed!.data).toMatchObject({
      status: 502,
      requestId: "req_1",
      willRetry: true,
      error: { retryable: true },
    });
    const [completed] = await eventsOf(journal, "trace", "llm.completed");
    expect(completed!.data).toMatchObject({ requestId: "req_2", warnings: ["temperature is not supported"] });
  });
});
