import { createAgent, type Journal, MemoryJournal, type NewEvent, tool } from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { expect, it } from "vitest";
import { z } from "zod";
import { tracedJournal } from "../src/index.js";
import { memoryTracer, tree } from "./helpers.js";

/**
 * A journal that pipelines appends (core's ADR 0016): it writes each at once, in call order, but
 * settles each only after a delay that shrinks, so an append made behind another settles first.
 */
class PipelinedJournal extends MemoryJournal {
  readonly pipelinesAppends = true;
  private delay = 12;
  settledOutOfOrder = 0;
  private settling = 0;

  override async append(threadId: string, events: readonly NewEvent[], expectedSeq: number) {
    const written = await super.append(threadId, events, expectedSeq);
    const wait = this.delay;
    this.delay = this.delay > 2 ? this.delay - 5 : 12;
    if (this.settling > 0) this.settledOutOfOrder++;
    this.settling++;
    await new Promise((resolve) => setTimeout(resolve, wait));
    this.settling--;
    return written;
  }
}

/** Reads three files, one turn each (read-only: each turn's write is in flight while the next runs). */
function reader(journal: Journal) {
  const read = tool({
    name: "read_file",
    description: "Reads a file",
    input: z.object({ path: z.string() }),
    readOnly: true,
    run: ({ path }) => `contents of ${path}`,
  });
  return createAgent({
    name: "reader",
    journal,
    tools: [read],
    provider: new ScriptedProvider({
      mode: "conversation",
      modelId: "reader-model",
      turns: [
        ...["a", "b", "c"].map((path) => ({ toolCalls: [{ name: "read_file", args: { path } }] })),
        { text: "read them" },
      ],
    }),
  });
}

it("a journal that pipelines appends stays pipelined when traced, with the same spans as one that does not", async () => {
  const plain = memoryTracer();
  await reader(tracedJournal(new MemoryJournal(), { tracer: plain.tracer })).run("go", { threadId: "t" });

  const piped = memoryTracer();
  const inner = new PipelinedJournal();
  const errors: unknown[] = [];
  const journal = tracedJournal(inner, { tracer: piped.tracer, onError: (error) => errors.push(error) });
  expect(journal.pipelinesAppends).toBe(true);
  expect(tracedJournal(new MemoryJournal(), { tracer: plain.tracer }).pipelinesAppends).toBeUndefined();
  const result = await reader(journal).run("go", { threadId: "t" });
  expect(result.status).toBe("completed");
  // Appends were in flight together, and a later one was written while an earlier one settled.
  expect(inner.settledOutOfOrder).toBeGreaterThan(0);
  expect(errors).toEqual([]);
  expect(tree(piped.spans())).toEqual(tree(plain.spans()));
  expect(tree(piped.spans())).toEqual([
    "invoke_agent reader",
    "  chat reader-model",
    "  execute_tool read_file",
    "  chat reader-model",
    "  execute_tool read_file",
    "  chat reader-model",
    "  execute_tool read_file",
    "  chat reader-model",
  ]);
});
