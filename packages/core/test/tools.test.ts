import { ConfigError, createAgent, MemoryJournal, RunCancelledError, type Tool, tool } from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { eventsOf } from "./helpers.js";

const echo = tool({
  name: "echo",
  description: "Echo a message",
  input: z.object({ message: z.string().min(1), times: z.number().int().positive().default(1) }),
  run: ({ message, times }) => message.repeat(times),
});

async function runOneTurn(
  calls: { name: string; args: unknown }[],
  tools: Tool[] = [echo],
  toolTimeoutMs?: number,
) {
  const journal = new MemoryJournal();
  const provider = new ScriptedProvider([{ toolCalls: calls }, { text: "done" }]);
  const agent = createAgent({ provider, journal, tools, ...(toolTimeoutMs ? { toolTimeoutMs } : {}) });
  const result = await agent.run("go", { threadId: "t" });
  const completed = await eventsOf(journal, "t", "tool.completed");
  const started = await eventsOf(journal, "t", "tool.started");
  return { result, completed, started, provider, journal };
}

describe("tools", () => {
  it("turns arguments that are not JSON into an error the model sees, and goes on", async () => {
    const { result, completed, started, provider } = await runOneTurn([
      { name: "echo", args: '{"message": "hi"' },
    ]);
    expect(result.status).toBe("completed");
    expect(started).toHaveLength(0);
    expect(completed[0]!.data.error?.code).toBe("invalid_arguments");
    expect(completed[0]!.data.content).toMatch(/not valid JSON/);
    const toolMessage = provider.requests[1]!.messages.find((m) => m.role === "tool");
    expect(toolMessage).toMatchObject({ isError: true, content: completed[0]!.data.content });
  });

  it("turns arguments that fail the schema into an error naming the field", async () => {
    const { completed } = await runOneTurn([{ name: "echo", args: { message: "", times: -2 } }]);
    expect(completed[0]!.data.error?.code).toBe("invalid_arguments");
    expect(completed[0]!.data.content).toMatch(/message: .*; times: /);
  });

  it("applies schema defaults and passes parsed arguments to the tool", async () => {
    const { completed } = await runOneTurn([{ name: "echo", args: { message: "ab" } }]);
    expect(completed[0]!.data).toMatchObject({ content: "ab", output: "ab" });
  });

  it("turns a throwing tool into an error message, never a crash", async () => {
    const boom = tool({
      name: "boom",
      description: "throws",
      input: z.object({}),
      run: () => {
        throw new TypeError("cannot read x of undefined");
      },
    });
    const { result, completed } = await runOneTurn([{ name: "boom", args: {} }], [boom]);
    expect(result.status).toBe("completed");
    expect(completed[0]!.data).toMatchObject({
      content: 'Tool "boom" failed: cannot read x of undefined',
      error: { code: "tool_error" },
    });
  });

  it("bounds each call by a timeout and aborts the tool's signal", async () => {
    let sawAbort = false;
    const slow = tool({
      name: "slow",
      description: "never finishes on its own",
      input: z.object({}),
      run: (_args, { signal }) =>
        new Promise((resolve) => {
          signal.addEventListener("abort", () => {
            sawAbort = true;
            setTimeout(() => resolve("too late"), 5);
          });
        }),
    });
    const { completed } = await runOneTurn([{ name: "slow", args: {} }], [slow], 30);
    expect(completed[0]!.data.content).toBe('Tool "slow" timed out after 30 ms.');
    expect(sawAbort).toBe(true);
  });

  it("runs the calls of one turn in parallel", async () => {
    // Each call waits for the other to have started: run one after the other, they would time out.
    const started = new Set<string>();
    const waiters: (() => void)[] = [];
    const rendezvous = tool({
      name: "rendezvous",
      description: "waits for its partner",
      input: z.object({ id: z.string() }),
      run: async ({ id }) => {
        started.add(id);
        for (const wake of waiters.splice(0)) wake();
        while (started.size < 2) await new Promise<void>((r) => waiters.push(r));
        return `met as ${id}`;
      },
    });
    const { completed } = await runOneTurn(
      [
        { name: "rendezvous", args: { id: "a" } },
        { name: "rendezvous", args: { id: "b" } },
      ],
      [rendezvous],
      500,
    );
    expect(completed.map((e) => e.data.content).sort()).toEqual(["met as a", "met as b"]);
  });

  it("tells the model about an unknown tool and lists the real ones", async () => {
    const { completed } = await runOneTurn([{ name: "nope", args: {} }]);
    expect(completed[0]!.data).toMatchObject({
      error: { code: "unknown_tool" },
      content: 'There is no tool named "nope". Available tools: echo.',
    });
  });

  it("gives each call the idempotency key threadId/callId@seq, its ref and the frame", async () => {
    let seen: { key: string; ref: string; iteration: number } | undefined;
    const probe = tool({
      name: "probe",
      description: "records its context",
      input: z.object({}),
      run: (_a, ctx) => {
        seen = { key: ctx.idempotencyKey, ref: ctx.callRef, iteration: ctx.frame.iteration };
        return "ok";
      },
    });
    const { started } = await runOneTurn([{ name: "probe", args: {} }], [probe]);
    const ref = `${started[0]!.data.callId}@4`;
    expect(seen).toEqual({ key: `t/${ref}`, ref, iteration: 1 });
    expect(started[0]!.data.idempotencyKey).toBe(seen!.key);
  });

  it("reaches a running tool with the run's AbortSignal and journals run.cancelled", async () => {
    const journal = new MemoryJournal();
    const controller = new AbortController();
    let toolSawAbort = false;
    const wait = tool({
      name: "wait",
      description: "waits until aborted",
      input: z.object({}),
      run: (_a, { signal }) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener("abort", () => {
            toolSawAbort = true;
            reject(new Error("aborted"));
          });
          setTimeout(() => controller.abort("user pressed stop"), 5);
        }),
    });
    const agent = createAgent({
      journal,
      tools: [wait],
      provider: new ScriptedProvider([{ toolCalls: [{ name: "wait", args: {} }] }]),
    });
    const error = await agent.run("go", { threadId: "c", signal: controller.signal }).catch((e) => e);
    expect(RunCancelledError.isInstance(error)).toBe(true);
    expect(toolSawAbort).toBe(true);
    expect(await eventsOf(journal, "c", "run.cancelled")).toHaveLength(1);
    expect(await eventsOf(journal, "c", "tool.completed")).toHaveLength(0);
  });

  it("generates JSON Schema for providers from the zod schema", () => {
    expect(echo.spec).toEqual({
      name: "echo",
      description: "Echo a message",
      inputSchema: {
        type: "object",
        properties: {
          message: { type: "string", minLength: 1 },
          times: { type: "integer", exclusiveMinimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 1 },
        },
        required: ["message"],
      },
    });
  });

  it("refuses bad tool definitions with a ConfigError", () => {
    const run = () => "x";
    expect(() => tool({ name: "has space", description: "", input: z.object({}), run })).toThrow(ConfigError);
    expect(() => tool({ name: "x", description: "", input: { parse: () => 1 } as never, run })).toThrow(
      /must be a zod 4 schema/,
    );
    expect(() => tool({ name: "x", description: "", input: z.object({}), run, timeoutMs: 0 })).toThrow(
      /timeoutMs/,
    );
  });
});
