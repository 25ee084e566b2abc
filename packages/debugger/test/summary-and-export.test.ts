import type { StoredEvent } from "@loom/core";
import { ContextDebugger, formatSummary } from "@loom/debugger";
import { describe, expect, it } from "vitest";
import { readingThread } from "./threads.ts";

/** The thread with a `compression.applied` before each assembly from iteration 6 on, as a compressing assembler journals it. */
function withCompressions(events: readonly StoredEvent[]): StoredEvent[] {
  const out: StoredEvent[] = [];
  for (const e of events) {
    if (e.type === "context.assembled" && e.iteration >= 6) {
      const weak = e.iteration === 10;
      out.push({
        ...e,
        seq: out.length,
        type: "compression.applied",
        data: {
          strategy: weak ? "drop-oldest" : "summarize",
          tokensBefore: 1000,
          tokensAfter: weak ? 950 : 400,
        },
      });
    }
    out.push({ ...e, seq: out.length });
  }
  return out;
}

describe("summary", () => {
  it("gives tokens per iteration, the largest components, and suggestions naming the iterations", async () => {
    const { events } = await readingThread();
    const summary = ContextDebugger.fromEvents(events).summary();
    expect(summary.iterations.map((i) => i.iteration)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const completed = events.filter((e) => e.type === "llm.completed");
    expect(summary.totals.inputTokens).toBe(completed.reduce((s, e) => s + e.data.usage.inputTokens, 0));
    expect(summary.totals.outputTokens).toBe(completed.reduce((s, e) => s + e.data.usage.outputTokens, 0));
    expect(summary.iterations.filter((i) => i.excluded.includes("history")).map((i) => i.iteration)).toEqual([
      8, 9, 10,
    ]);
    expect(summary.largestComponents.map((c) => c.id).slice(0, 2)).toEqual(["history", "manual"]);
    expect(summary.suggestions).toContainEqual(
      expect.stringMatching(
        /^history dropped at iterations 8–10 \(up to \d+ tokens\): raise windowTokens or add a compression strategy$/,
      ),
    );
    expect(summary.suggestions).toContainEqual(
      expect.stringMatching(/^document "manual" .* left out at iterations 1–10/),
    );
    // Full but not yet dropping: the warning comes before the drops.
    expect(summary.suggestions).toContainEqual(
      expect.stringMatching(/^context at 90% or more of the budget at iterations 6–7/),
    );
    const text = formatSummary(summary);
    expect(text).toContain('Context of frame "root" in thread "reading": 10 iteration(s)');
    expect(text).toContain("Suggestions:\n  - history dropped at iterations 8–10");
  });

  it("lists compressions with tokens saved, and calls out one that barely helped", async () => {
    const { events } = await readingThread();
    const summary = ContextDebugger.fromEvents(withCompressions(events)).summary();
    expect(summary.compressions.map((c) => [c.iteration, c.strategy, c.savedTokens])).toEqual([
      [6, "summarize", 600],
      [7, "summarize", 600],
      [8, "summarize", 600],
      [9, "summarize", 600],
      [10, "drop-oldest", 50],
    ]);
    expect(summary.suggestions).toContainEqual(
      expect.stringMatching(/^history dropped at iterations 8–10 .* even after compression/),
    );
    expect(summary.suggestions).toContainEqual(
      expect.stringMatching(/^compression "drop-oldest" saved less than 10% at iterations 10/),
    );
    expect(formatSummary(summary)).toContain('iteration 10: "drop-oldest" 1,000 → 950 tokens (saved 50)');
    expect(
      ContextDebugger.fromEvents(withCompressions(events)).explainIteration(6).compressions,
    ).toHaveLength(1);
  });

  it("exports JSON that holds every iteration and reloads from the events' JSON to the same answers", async () => {
    const { events } = await readingThread();
    const debug = ContextDebugger.fromEvents(events);
    const exported = JSON.parse(JSON.stringify(debug));
    expect(exported.format).toBe("loom.context-debugger");
    expect(exported.threadId).toBe("reading");
    expect(exported.iterations).toHaveLength(10);
    expect(exported.iterations[9].excluded.map((c: { id: string }) => c.id)).toEqual(["manual", "history"]);
    expect(exported.summary).toEqual(JSON.parse(JSON.stringify(debug.summary())));
    const reloaded = ContextDebugger.fromEvents(JSON.parse(JSON.stringify(events)));
    expect(JSON.parse(JSON.stringify(reloaded))).toEqual(exported);
  });
});
