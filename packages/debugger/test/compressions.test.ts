import { type CompressionStrategy, summarizeOlderTurns } from "@loom/core";
import { ContextDebugger, formatSummary, iterationsPhrase } from "@loom/debugger";
import { ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { readingThread } from "./threads.ts";

describe("compressions", () => {
  it("lists each compression.applied with tokens saved, matching what the assembler kept", async () => {
    const { events, droppedAt } = await readingThread();
    const debug = ContextDebugger.fromEvents(events);
    const journaled = events.flatMap((e) => (e.type === "compression.applied" ? [e] : []));
    expect(journaled.map((e) => e.iteration)).toEqual(droppedAt);
    const summary = debug.summary();
    expect(summary.compressions.map((c) => [c.iteration, c.strategy, c.savedTokens])).toEqual(
      journaled.map((e) => [e.iteration, "drop-oldest", e.data.tokensBefore - e.data.tokensAfter]),
    );
    for (const n of droppedAt) {
      const explained = debug.explainIteration(n);
      const [compression] = explained.compressions;
      const kept = explained.included.find((c) => c.kind === "history")!;
      const prefix = explained.included.find((c) => c.id === "compression-prefix")?.tokens ?? 0;
      expect(compression!.keepFrom).toBe(kept.range![0]);
      expect(compression!.tokensAfter).toBe(kept.tokens + prefix);
    }
    expect(formatSummary(summary)).toMatch(
      /Compressions:\n {2}iteration \d+: "drop-oldest" [\d,]+ → [\d,]+ tokens \(saved \d+\)/,
    );
  });

  it("a summarizing strategy is not reported as losing history; its summary is a component the model saw", async () => {
    const summarizer = new ScriptedProvider({
      modelId: "small",
      turns: Array.from({ length: 20 }, () => ({ text: "SUMMARY: chapters were read, all about weaving." })),
    });
    const { events, provider } = await readingThread(
      "summarized",
      5,
      summarizeOlderTurns({ provider: summarizer }),
    );
    const debug = ContextDebugger.fromEvents(events);
    const summarizedAt = debug
      .iterations()
      .filter((n) => debug.explainIteration(n).included.some((c) => c.id === "compression-prefix"));
    expect(summarizedAt.length).toBeGreaterThan(0);
    for (const n of summarizedAt) {
      expect(JSON.stringify(provider.requests[n - 1]!.messages)).toContain("SUMMARY: chapters were read");
      expect(debug.explainIteration(n).compressions[0]!.strategy).toMatch(/^summarize\(scripted\/small/);
    }
    expect(
      debug.explainComponent("compression-prefix").iterations.filter((a) => a.fate === "included"),
    ).toHaveLength(summarizedAt.length);
    const suggestions = debug.summary().suggestions.join("\n");
    expect(suggestions).not.toContain(`history dropped at ${iterationsPhrase(summarizedAt)}`);
    for (const n of summarizedAt)
      expect(suggestions).not.toMatch(new RegExp(`history dropped at iterations? ${n}\\b`));
  });

  it("calls out a strategy that barely saves anything, and history dropped even after it", async () => {
    // Drops only the thread's first message: always "compressing", never enough.
    const dropFirstMessage: CompressionStrategy = {
      name: "drop-first-message",
      compress: ({ history }) => ({ keepFrom: history.length > 1 ? 1 : 0 }),
    };
    const { events } = await readingThread("weak", 5, dropFirstMessage);
    const debug = ContextDebugger.fromEvents(events);
    const compressions = events.flatMap((e) => (e.type === "compression.applied" ? [e] : []));
    const weakAt = compressions
      .filter((e) => (e.data.tokensBefore - e.data.tokensAfter) / e.data.tokensBefore < 0.1)
      .map((e) => e.iteration);
    const fallbackAt = debug
      .iterations()
      .filter((n) =>
        debug
          .explainIteration(n)
          .excluded.some((c) => c.kind === "history" && c.reason?.startsWith("over budget")),
      );
    expect(weakAt.length).toBeGreaterThan(0);
    expect(fallbackAt.length).toBeGreaterThan(0);
    const suggestions = debug.summary().suggestions;
    expect(suggestions).toContainEqual(
      expect.stringMatching(
        new RegExp(`^compression "drop-first-message" saved less than 10% at ${iterationsPhrase(weakAt)}: `),
      ),
    );
    expect(suggestions).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^history dropped at ${iterationsPhrase(fallbackAt)} \\(up to \\d+ tokens\\) even after compression by "drop-first-message": use a stronger compression strategy`,
        ),
      ),
    );
  });
});
