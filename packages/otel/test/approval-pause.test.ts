import { createAgent, type Journal, MemoryJournal, tool } from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
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
