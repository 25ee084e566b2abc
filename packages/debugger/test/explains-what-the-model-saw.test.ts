import { stateAt } from "@loom/core";
import { ContextDebugger, formatComponent, formatIteration } from "@loom/debugger";
import { describe, expect, it } from "vitest";
import { MANUAL, readingThread } from "./threads.ts";

describe("ContextDebugger offline, against what the model really received", () => {
  it("the history range it reports as included is exactly the history the provider was sent", async () => {
    const { journal, provider, events } = await readingThread();
    const debug = await ContextDebugger.fromJournal(journal, "reading");
    const iterations = debug.iterations();
    expect(iterations).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(provider.requests).toHaveLength(iterations.length);
    for (const [i, n] of iterations.entries()) {
      const explained = debug.explainIteration(n);
      const history = explained.included.find((c) => c.kind === "history");
      expect(history?.range).toBeDefined();
      const [from, to] = history!.range!;
      const state = await stateAt(journal, "reading", explained.seq!);
      const sent = provider.requests[i]!.messages;
      expect(sent[0]).toEqual({ role: "system", content: "You summarise books." });
      // A strategy may put messages before the kept history (the cut turn's task, a summary).
      const prefix = explained.compressions.flatMap((c) => c.prefix ?? []);
      expect(sent.slice(1)).toEqual([...prefix, ...state.messages.toArray().slice(from, to)]);
      // What it says was dropped is exactly what is missing from the request.
      const dropped = explained.excluded.find((c) => c.kind === "history");
      expect(dropped?.range ?? [0, 0]).toEqual([0, from]);
      expect(explained.freeTokens).toBe(Math.max(0, explained.budget - explained.totalTokens));
      expect(explained.usage?.inputTokens).toBeGreaterThan(0);
    }
    expect(events.filter((e) => e.type === "context.assembled")).toHaveLength(iterations.length);
  });

  it("a document that never fit is excluded at every iteration, with the assembler's reason, and never sent", async () => {
    const { provider, events } = await readingThread();
    const debug = ContextDebugger.fromEvents(events);
    const manual = debug.explainComponent("manual");
    expect(manual.kind).toBe("document");
    expect(manual.iterations.map((a) => a.fate)).toEqual(Array(10).fill("excluded"));
    for (const at of manual.iterations) {
      // Below the history's priority: it gives way before the history, and says so once a turn is cut.
      expect(at.reason).toMatch(
        /^over budget: \d+ tokens, \d+ left after the history$|^priority 10 is below the history's 50: left out before any history is cut/,
      );
      expect(at.excludedTokens).toBeGreaterThan(600);
    }
    for (const request of provider.requests) {
      expect(JSON.stringify(request.messages)).not.toContain(MANUAL.slice(0, 20));
    }
    expect(formatComponent(manual)).toMatch(/iteration {3}1: excluded .*over budget/);
    expect(formatComponent(manual)).toMatch(/excluded .*priority 10 is below the history's 50/);
  });

  it("history is included while it fits, then partly excluded, with the dropped message range", async () => {
    const { events, droppedAt } = await readingThread();
    const debug = ContextDebugger.fromEvents(events);
    const history = debug.explainComponent("history");
    expect(history.iterations.map((a) => a.fate)).toEqual(
      history.iterations.map((a) => (droppedAt.includes(a.iteration) ? "partly-excluded" : "included")),
    );
    const last = history.iterations.at(-1)!;
    expect(last.excludedRange![0]).toBe(0);
    expect(last.includedRange![0]).toBe(last.excludedRange![1]);
    expect(last.reason).toMatch(/^dropped by drop-oldest|^over budget/);
    const text = formatIteration(debug.explainIteration(10));
    expect(text).toMatch(/^Iteration 10 of frame "root": \d+ of 600 tokens/);
    expect(text).toMatch(/excluded:[\s\S]*history .* messages \[0, \d+\) {2}— dropped by drop-oldest/);
    expect(text).toMatch(/compression "drop-oldest": [\d,]+ → [\d,]+ tokens \(saved \d+%\)/);
  });
});
