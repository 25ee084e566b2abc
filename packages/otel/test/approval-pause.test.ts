import { createAgent, type Journal, MemoryJournal, tool } from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { expect, it } from "vitest";
import { z } from "zod";
import { tracedJournal } from "../src/index.js";
import { memoryTracer, tree } from "./helpers.js";

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
