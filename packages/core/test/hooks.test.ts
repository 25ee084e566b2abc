import {
  ConfigError,
  createAgent,
  type Hook,
  HookError,
  MemoryJournal,
  RunFailedError,
  readAll,
  tool,
} from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { eventsOf } from "./helpers.js";

function setup(hooks: Hook[], ran: string[] = []) {
  const journal = new MemoryJournal();
  const write = tool({
    name: "write",
    description: "writes a file",
    input: z.object({ path: z.string() }),
    run: ({ path }) => {
      ran.push(path);
      return `wrote ${path}`;
    },
  });
  const provider = new ScriptedProvider([
    { toolCalls: [{ id: "c1", name: "write", args: { path: "/a" } }] },
    { text: "finished" },
  ]);
  const agent = createAgent({ journal, provider, hooks, tools: [write], system: "sys" });
  return { journal, provider, agent, ran };
}

describe("hooks", () => {
  it("calls each point in order with one context object (beforeRecursion: see sub-agents)", async () => {
    const calls: string[] = [];
    const observer: Hook = {
      name: "observer",
      beforeIterationStart: (ctx) => void calls.push(`beforeIterationStart:${ctx.frame.iteration}`),
      beforeContextAssembly: (ctx) => void calls.push(`beforeContextAssembly:${ctx.components.length}`),
      afterContextAssembly: (ctx) => void calls.push(`afterContextAssembly:${ctx.messages.length}`),
      beforeLLMCall: (ctx) => void calls.push(`beforeLLMCall:${ctx.request.tools.length}`),
      afterLLMResponse: (ctx) => void calls.push(`afterLLMResponse:${ctx.response.finishReason.unified}`),
      beforeToolExecution: (ctx) => void calls.push(`beforeToolExecution:${ctx.call.name}`),
      afterToolExecution: (ctx) => void calls.push(`afterToolExecution:${ctx.result.content}`),
      afterIterationEnd: (ctx) => void calls.push(`afterIterationEnd:${ctx.frame.iteration}`),
    };
    const { agent } = setup([observer]);
    await agent.run("go", { threadId: "t" });
    expect(calls).toEqual([
      "beforeIterationStart:0",
      "beforeContextAssembly:1",
      "afterContextAssembly:2",
      "beforeLLMCall:1",
      "afterLLMResponse:tool-calls",
      "beforeToolExecution:write",
      "afterToolExecution:wrote /a",
      "afterIterationEnd:1",
      "beforeIterationStart:1",
      "beforeContextAssembly:1",
      "afterContextAssembly:4",
      "beforeLLMCall:1",
      "afterLLMResponse:stop",
      "afterIterationEnd:2",
    ]);
  });

  it("journals what hooks replaced: arguments (with the originals), results and responses", async () => {
    const { journal, agent, ran } = setup([
      { name: "sandbox", beforeToolExecution: () => ({ args: { path: "/sandbox/a" } }) },
      {
        name: "annotate",
        afterToolExecution: ({ result }) => ({
          result: { ...result, content: `${result.content} (checked)` },
        }),
      },
      {
        name: "polish",
        afterLLMResponse: ({ response }) =>
          response.message.toolCalls
            ? undefined
            : { response: { ...response, message: { ...response.message, content: "polished" } } },
      },
    ]);
    const result = await agent.run("go", { threadId: "t" });
    expect(ran).toEqual(["/sandbox/a"]);
    const [started] = await eventsOf(journal, "t", "tool.started");
    expect(started!.data).toMatchObject({ args: { path: "/sandbox/a" }, originalArgs: { path: "/a" } });
    const [completed] = await eventsOf(journal, "t", "tool.completed");
    expect(completed!.data.content).toBe("wrote /sandbox/a (checked)");
    expect(result.status === "completed" && result.text).toBe("polished");
  });

  it("sends and journals the messages a hook substituted", async () => {
    const { journal, agent, provider } = setup([
      {
        name: "trim",
        beforeLLMCall: ({ request }) => ({
          request: { ...request, messages: request.messages.filter((m) => m.role !== "system") },
        }),
      },
    ]);
    await agent.run("go", { threadId: "t" });
    expect(provider.requests[0]!.messages.map((m) => m.role)).toEqual(["user"]);
    const [requested] = await eventsOf(journal, "t", "llm.requested");
    expect(requested!.data.replacedMessages).toEqual([{ role: "user", content: "go" }]);
  });

  it("tells the model a denied call was not run, and never runs it", async () => {
    const { journal, agent, ran, provider } = setup([
      {
        name: "policy",
        beforeToolExecution: ({ call }) => (call.name === "write" ? { deny: "writes are off" } : undefined),
      },
    ]);
    await agent.run("go", { threadId: "t" });
    expect(ran).toEqual([]);
    const [completed] = await eventsOf(journal, "t", "tool.completed");
    expect(completed!.data).toMatchObject({ content: "Not run: writes are off", error: { code: "denied" } });
    expect(provider.requests[1]!.messages.at(-1)).toMatchObject({
      role: "tool",
      content: "Not run: writes are off",
    });
  });

  it("fails the run, journaled, when a hook denies outside a tool call", async () => {
    const { journal, agent } = setup([
      { name: "budget", beforeIterationStart: () => ({ deny: "budget spent" }) },
    ]);
    const error = await agent.run("go", { threadId: "t" }).catch((e) => e);
    expect(RunFailedError.isInstance(error)).toBe(true);
    expect(error.code).toBe("denied_by_hook");
    expect(error.message).toContain('Hook "budget" stopped the run: budget spent');
    const [failed] = await eventsOf(journal, "t", "run.failed");
    expect(failed!.data.error.code).toBe("denied_by_hook");
  });

  it("fails the run with the hook's name when a hook throws", async () => {
    const { journal, agent, ran } = setup([
      {
        name: "buggy-auditor",
        beforeLLMCall: () => {
          throw new Error("audit db down");
        },
      },
    ]);
    const error = await agent.run("go", { threadId: "t" }).catch((e) => e);
    expect(RunFailedError.isInstance(error)).toBe(true);
    expect(error.code).toBe("hook_failed");
    expect(error.message).toBe('Hook "buggy-auditor" threw in beforeLLMCall: audit db down');
    expect(ran).toEqual([]);
    const events = await readAll(journal, "t");
    expect(events.at(-1)).toMatchObject({ type: "run.failed", data: { error: { code: "hook_failed" } } });
  });

  it("leaves the call waiting for a human when the hook guarding it throws, and resumes on a decision", async () => {
    let broken = true;
    const { journal, agent, ran } = setup([
      {
        name: "buggy-auditor",
        beforeToolExecution: ({ approved }) => {
          if (broken && !approved) throw new Error("audit db down");
        },
      },
    ]);
    const error = await agent.run("go", { threadId: "t" }).catch((e) => e);
    expect(HookError.isInstance(error)).toBe(true);
    expect(error.code).toBe("hook_failed");
    expect(error.message).toBe(
      'Hook "buggy-auditor" threw in beforeToolExecution: audit db down Nothing ran; the thread is paused for a human: resume("t", { decisions: { "c1@4": { approve: true } } }) decides it.',
    );
    expect(ran).toEqual([]);
    const events = await readAll(journal, "t");
    expect(events.at(-1)).toMatchObject({ type: "run.interrupted", data: { reason: "hook_failed" } });
    broken = false;
    const done = await agent.resume("t", { decisions: { "c1@4": { approve: true } } });
    expect(done.status).toBe("completed");
    expect(ran).toEqual(["/a"]);
  });

  const gate: Hook = {
    name: "gate",
    beforeToolExecution: ({ approved }) => (approved ? undefined : { interrupt: "needs a human" }),
  };

  it("pauses durably on interrupt and runs the call once approved", async () => {
    const { journal, agent, ran } = setup([gate]);
    const paused = await agent.run("go", { threadId: "t" });
    expect(paused.status).toBe("interrupted");
    if (paused.status !== "interrupted") return;
    expect(paused.pending).toEqual([
      {
        ref: "c1@4",
        frameId: "root",
        callId: "c1",
        name: "write",
        args: { path: "/a" },
        reason: "needs a human",
      },
    ]);
    expect(ran).toEqual([]);
    expect((await readAll(journal, "t")).slice(-2).map((e) => e.type)).toEqual([
      "approval.requested",
      "run.interrupted",
    ]);
    // Resuming without a decision stays paused.
    expect((await agent.resume("t")).status).toBe("interrupted");
    const done = await agent.resume("t", { decisions: { c1: { approve: true } } });
    expect(done.status).toBe("completed");
    expect(ran).toEqual(["/a"]);
  });

  it("tells the model a rejected call was rejected, with the reason, and never runs it", async () => {
    const { journal, agent, ran, provider } = setup([gate]);
    await agent.run("go", { threadId: "t" });
    await agent.resume("t", { decisions: { c1: { approve: false, reason: "not that file" } } });
    expect(ran).toEqual([]);
    expect(provider.requests[1]!.messages.at(-1)).toMatchObject({
      role: "tool",
      content: "A human rejected this call: not that file",
      isError: true,
    });
    const [resolved] = await eventsOf(journal, "t", "approval.resolved");
    expect(resolved!.data).toEqual({ callId: "c1", decision: "reject", reason: "not that file" });
  });

  it("runs an edited call with the edited arguments and journals both versions", async () => {
    const { journal, agent, ran } = setup([gate]);
    await agent.run("go", { threadId: "t" });
    await agent.resume("t", { decisions: { c1: { args: { path: "/safe" } } } });
    expect(ran).toEqual(["/safe"]);
    const [started] = await eventsOf(journal, "t", "tool.started");
    expect(started!.data).toMatchObject({ args: { path: "/safe" }, originalArgs: { path: "/a" } });
  });

  it("refuses a hook with a method that is not a hook point", () => {
    const provider = new ScriptedProvider([]);
    expect(() =>
      createAgent({
        provider,
        hooks: [{ name: "typo", beforeToolExecute: () => undefined } as unknown as Hook],
      }),
    ).toThrow(ConfigError);
  });
});
