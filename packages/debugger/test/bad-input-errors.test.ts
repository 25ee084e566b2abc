import { MemoryJournal } from "@loom/core";
import { ContextDebugger, DebuggerError, flameGraphHtml, timeline } from "@loom/debugger";
import { describe, expect, it } from "vitest";
import { readingThread } from "./threads.ts";

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(DebuggerError.isInstance(error)).toBe(true);
    return { code: (error as DebuggerError).code, message: (error as Error).message };
  }
  throw new Error("expected a DebuggerError");
};

describe("bad input gets a DebuggerError saying what to do", () => {
  it("refuses things that are not events, naming the index and the field", async () => {
    const { events } = await readingThread();
    expect(codeOf(() => ContextDebugger.fromEvents(42 as never))).toEqual({
      code: "invalid_events",
      message: expect.stringMatching(/Expected an array of events .* got number/),
    });
    const broken = [events[0], { ...events[1], data: { nope: true }, type: "context.assembled" }];
    expect(codeOf(() => ContextDebugger.fromEvents(broken))).toEqual({
      code: "invalid_events",
      message: expect.stringMatching(/index 1 .*seq 1 is malformed at "data\.budget"/),
    });
    expect(codeOf(() => flameGraphHtml([events[0], { ...events[1], threadId: "b" }]))).toMatchObject({
      code: "mixed_threads",
    });
    expect(codeOf(() => timeline([events[0], events[0]]))).toMatchObject({
      code: "invalid_events",
      message: expect.stringMatching(/Two events have seq 0/),
    });
  });

  it("names what exists when asked for an iteration, a component or a thread that does not", async () => {
    const { events } = await readingThread();
    const debug = ContextDebugger.fromEvents(events);
    expect(codeOf(() => debug.explainIteration(99))).toEqual({
      code: "iteration_not_found",
      message: 'Frame "root" has no context assembly at iteration 99; iterations with one: 1–10.',
    });
    expect(codeOf(() => debug.explainComponent("nope"))).toEqual({
      code: "component_not_found",
      message: expect.stringContaining("components: tools, system, history, manual"),
    });
    expect(codeOf(() => new ContextDebugger().explainIteration(1)).message).toMatch(/it has none yet/);
    await expect(ContextDebugger.fromJournal(new MemoryJournal(), "ghost")).rejects.toThrow(
      /Thread "ghost" has no events/,
    );
  });
});
