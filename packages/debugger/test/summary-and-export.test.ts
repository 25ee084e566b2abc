import { ContextDebugger, formatSummary, iterationsPhrase } from "@loom/debugger";
import { describe, expect, it } from "vitest";
import { readingThread } from "./threads.ts";

describe("summary", () => {
  it("gives tokens per iteration, the largest components, and suggestions naming the iterations", async () => {
    const { events, droppedAt } = await readingThread();
    const summary = ContextDebugger.fromEvents(events).summary();
    expect(summary.iterations.map((i) => i.iteration)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const completed = events.filter((e) => e.type === "llm.completed");
    expect(summary.totals.inputTokens).toBe(completed.reduce((s, e) => s + e.data.usage.inputTokens, 0));
    expect(summary.totals.outputTokens).toBe(completed.reduce((s, e) => s + e.data.usage.outputTokens, 0));
    expect(summary.iterations.filter((i) => i.excluded.includes("history")).map((i) => i.iteration)).toEqual(
      droppedAt,
    );
    expect(new Set(summary.largestComponents.slice(0, 2).map((c) => c.id))).toEqual(
      new Set(["history", "manual"]),
    );
    const manual = summary.largestComponents.find((c) => c.id === "manual")!.tokens;
    const mostHistoryDropped = Math.max(...summary.iterations.map((i) => i.excludedTokens)) - manual;
    expect(summary.suggestions).toContain(
      `history dropped at ${iterationsPhrase(droppedAt)} (up to ${mostHistoryDropped} tokens) by "drop-oldest": the model no longer sees those turns; raise windowTokens or use a strategy that summarizes them (summarizeOlderTurns)`,
    );
    expect(summary.suggestions).toContain(
      `document "manual" (${manual} tokens, priority 10) left out at iterations 1–10: raise its priority, shorten it, or raise windowTokens`,
    );
    // Full but not yet dropping: the warning names only iterations before the drops.
    const nearFull = summary.iterations.filter(
      (i) => i.fill >= 0.9 && i.fill <= 1 && !i.excluded.includes("history"),
    );
    for (const i of nearFull) expect(i.iteration).toBeLessThan(droppedAt[0]!);
    expect(summary.suggestions.some((s) => s.startsWith("context at 90% or more"))).toBe(nearFull.length > 0);
    const text = formatSummary(summary);
    expect(text).toContain('Context of frame "root" in thread "reading": 10 iteration(s)');
    expect(text).toContain(`Suggestions:\n  - history dropped at ${iterationsPhrase(droppedAt)}`);
  });

  it("exports JSON that holds every iteration and reloads from the events' JSON to the same answers", async () => {
    const { events, droppedAt } = await readingThread();
    const debug = ContextDebugger.fromEvents(events);
    const exported = JSON.parse(JSON.stringify(debug));
    expect(exported.format).toBe("loom.context-debugger");
    expect(exported.threadId).toBe("reading");
    expect(exported.iterations).toHaveLength(10);
    const lastDrop = exported.iterations[droppedAt.at(-1)! - 1];
    // The history is decided before components below its priority, so it is listed first.
    expect(lastDrop.excluded.map((c: { id: string }) => c.id)).toEqual(["history", "manual"]);
    expect(exported.summary).toEqual(JSON.parse(JSON.stringify(debug.summary())));
    const reloaded = ContextDebugger.fromEvents(JSON.parse(JSON.stringify(events)));
    expect(JSON.parse(JSON.stringify(reloaded))).toEqual(exported);
  });
});
