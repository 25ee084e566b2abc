import { createAgent, type Journal, MemoryJournal, ToolOutcomeUnknownError, tool } from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { SpanStatusCode } from "@opentelemetry/api";
import { expect, it } from "vitest";
import { z } from "zod";
import { exportThread, tracedJournal } from "../src/index.js";
import { describeSpan, memoryTracer, tree } from "./helpers.js";

const cleaner = (journal: Journal) =>
  createAgent({
    name: "cleaner",
    journal,
    tools: [
      tool({
        name: "delete_file",
        description: "Delete a file",
        input: z.object({ path: z.string() }),
        run: async ({ path }) => `deleted ${path}`,
      }),
    ],
    hooks: [
      {
        name: "ask-first",
        beforeToolExecution: ({ approved }) => (approved ? undefined : { interrupt: "deletes need a human" }),
      },
    ],
    provider: new ScriptedProvider({
      mode: "conversation",
      turns: [
        { toolCalls: [{ id: "rm", name: "delete_file", args: { path: "/tmp/x" } }] },
        { text: "Done." },
      ],
    }),
  });

it("a run paused for a human ends its invoke_agent; the resume with decisions is a second one in the same trace", async () => {
  const store = new MemoryJournal();
  const first = memoryTracer();
  const paused = await cleaner(tracedJournal(store, { tracer: first.tracer })).run("clean", {
    threadId: "p",
  });
  expect(paused.status).toBe("interrupted");
  expect(tree(first.spans())).toEqual(["invoke_agent cleaner", "  chat scripted-model"]);
  const pausedRoot = first.spans().find((s) => s.name === "invoke_agent cleaner")!;
  expect(pausedRoot.attributes).toMatchObject({
    "loom.run.status": "interrupted",
    "loom.run.interrupt_reason": "approval",
  });

  const second = memoryTracer();
  const done = await cleaner(tracedJournal(store, { tracer: second.tracer })).resume("p", {
    decisions: { rm: { approve: true } },
  });
  expect(done.status).toBe("completed");
  expect(tree(second.spans())).toEqual([
    "invoke_agent cleaner",
    "  execute_tool delete_file",
    "  chat scripted-model",
  ]);
  const resumedRoot = second.spans().find((s) => s.name === "invoke_agent cleaner")!;
  expect(resumedRoot.attributes).toMatchObject({ "loom.resumed": true, "loom.run.status": "completed" });
  expect(resumedRoot.spanContext().traceId).toBe(pausedRoot.spanContext().traceId);
  expect(resumedRoot.parentSpanContext?.spanId).toBe(pausedRoot.parentSpanContext?.spanId);
});

it("a sub-agent paused for a human: the resumed spans hang under the parent's call again", async () => {
  const store = new MemoryJournal();
  const parentOf = (journal: Journal) => {
    const helper = cleaner(journal);
    return createAgent({
      name: "boss",
      journal,
      tools: [helper.asTool({ description: "cleans up" })],
      provider: new ScriptedProvider({
        mode: "conversation",
        turns: [
          { toolCalls: [{ id: "c", name: "cleaner", args: { input: "clean /tmp" } }] },
          { text: "Clean." },
        ],
      }),
    });
  };
  const first = memoryTracer();
  const paused = await parentOf(tracedJournal(store, { tracer: first.tracer })).run("go", {
    threadId: "sub",
  });
  expect(paused.status).toBe("interrupted");
  expect(tree(first.spans())).toEqual([
    "invoke_agent boss",
    "  chat scripted-model",
    "  execute_tool cleaner",
    "    invoke_agent cleaner",
    "      chat scripted-model",
  ]);
  const second = memoryTracer();
  const pending = paused.status === "interrupted" ? paused.pending[0]!.ref : "";
  const done = await parentOf(tracedJournal(store, { tracer: second.tracer })).resume("sub", {
    decisions: { [pending]: { approve: true } },
  });
  expect(done.status).toBe("completed");
  expect(tree(second.spans())).toEqual([
    "invoke_agent boss",
    "  execute_tool cleaner",
    "    invoke_agent cleaner",
    "      execute_tool delete_file",
    "      chat scripted-model",
    "  chat scripted-model",
  ]);
  const call = second.spans().find((s) => s.name === "execute_tool cleaner")!;
  expect(call.attributes["loom.resumed"]).toBe(true);
  expect(call.attributes["loom.tool.ran"]).toBeUndefined();

  // The two processes' spans, together, are what exportThread makes of the thread in one pass.
  const exported = memoryTracer();
  await exportThread(store, { tracer: exported.tracer, threadId: "sub" });
  const described = (spans: ReturnType<typeof exported.spans>) => spans.map(describeSpan).sort();
  expect(described(exported.spans())).toEqual(described([...first.spans(), ...second.spans()]));
});

it("a call whose outcome became unknown ends its span in error; the approved re-run is a span of its own", async () => {
  const store = new MemoryJournal();
  let attempts = 0;
  const charger = (journal: Journal) =>
    createAgent({
      name: "charger",
      journal,
      tools: [
        tool({
          name: "charge",
          description: "Charge a card",
          onUnknownOutcome: "ask",
          input: z.object({ cents: z.number() }),
          run: async ({ cents }) => {
            attempts++;
            if (attempts === 1) throw new ToolOutcomeUnknownError("the payment service hung up mid-call");
            return `charged ${cents}`;
          },
        }),
      ],
      provider: new ScriptedProvider({
        mode: "conversation",
        turns: [{ toolCalls: [{ id: "pay", name: "charge", args: { cents: 500 } }] }, { text: "Paid." }],
      }),
    });
  const first = memoryTracer();
  const paused = await charger(tracedJournal(store, { tracer: first.tracer })).run("pay", { threadId: "u" });
  expect(paused.status).toBe("interrupted");
  expect(tree(first.spans())).toEqual([
    "invoke_agent charger",
    "  chat scripted-model",
    "  execute_tool charge [ERROR outcome_unknown]",
  ]);
  const call = first.spans().find((s) => s.name === "execute_tool charge")!;
  expect(call.status.message).toContain("the payment service hung up mid-call");

  const second = memoryTracer();
  const done = await charger(tracedJournal(store, { tracer: second.tracer })).resume("u", {
    decisions: { pay: { approve: true } },
  });
  expect(done.status).toBe("completed");
  expect(tree(second.spans())).toEqual([
    "invoke_agent charger",
    "  execute_tool charge",
    "  chat scripted-model",
  ]);
  // The re-run journals its own tool.started: its span starts there, and it succeeded.
  const rerun = second.spans().find((s) => s.name === "execute_tool charge")!;
  expect(rerun.status.code).not.toBe(SpanStatusCode.ERROR);
  expect(rerun.attributes["loom.tool.ran"]).toBeUndefined();

  // The same, exported afterwards from the stored thread.
  const after = memoryTracer();
  await exportThread(store, { tracer: after.tracer, threadId: "u" });
  expect(tree(after.spans()).filter((line) => line.includes("execute_tool"))).toEqual([
    "  execute_tool charge [ERROR outcome_unknown]",
    "  execute_tool charge",
  ]);
});
