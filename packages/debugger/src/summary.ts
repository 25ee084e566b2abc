import type { ContextComponentRecord } from "@loom/core";
import { iterationsPhrase } from "./ranges.js";
import type { Compression, IterationRecord } from "./recording.js";

export interface IterationTokens {
  readonly iteration: number;
  readonly budget: number;
  /** Tokens of everything included. */
  readonly contextTokens: number;
  /** contextTokens / budget, 0..1. */
  readonly fill: number;
  readonly excludedTokens: number;
  /** Ids of the components left out (fully or partly). */
  readonly excluded: readonly string[];
  /** What the provider reported, when the model call completed. */
  readonly inputTokens: number | undefined;
  readonly outputTokens: number | undefined;
}

export interface LargestComponent {
  readonly id: string;
  readonly kind: ContextComponentRecord["kind"];
  /** Its largest size, and the iteration it had it. */
  readonly tokens: number;
  readonly iteration: number;
}

export interface DebugSummary {
  readonly threadId: string | undefined;
  readonly frameId: string;
  readonly iterations: readonly IterationTokens[];
  readonly totals: {
    readonly iterations: number;
    readonly inputTokens: number;
    readonly outputTokens: number;
    readonly peakContextTokens: number;
    readonly excludedTokens: number;
    readonly failedModelCalls: number;
  };
  readonly compressions: readonly (Compression & { readonly savedTokens: number })[];
  readonly largestComponents: readonly LargestComponent[];
  readonly suggestions: readonly string[];
}

const NEAR_FULL = 0.9;
const TOOLS_HEAVY = 0.25;
const WEAK_COMPRESSION = 0.1;

export function summarize(
  threadId: string | undefined,
  frameId: string,
  records: readonly IterationRecord[],
): DebugSummary {
  const iterations = records.map(
    (r): IterationTokens => ({
      iteration: r.iteration,
      budget: r.budget,
      contextTokens: r.totalTokens,
      fill: r.budget > 0 ? r.totalTokens / r.budget : 1,
      excludedTokens: r.excluded.reduce((s, c) => s + c.tokens, 0),
      excluded: [...new Set(r.excluded.map((c) => c.id))],
      inputTokens: r.usage?.inputTokens,
      outputTokens: r.usage?.outputTokens,
    }),
  );
  const largest = new Map<string, LargestComponent>();
  for (const r of records) {
    for (const c of [...r.included, ...r.excluded]) {
      const best = largest.get(c.id);
      // A history split in two is one component: count both halves.
      const tokens = [...r.included, ...r.excluded]
        .filter((x) => x.id === c.id)
        .reduce((s, x) => s + x.tokens, 0);
      if (!best || tokens > best.tokens)
        largest.set(c.id, { id: c.id, kind: c.kind, tokens, iteration: r.iteration });
    }
  }
  const compressions = records.flatMap((r) =>
    r.compressions.map((c) => ({ ...c, savedTokens: c.tokensBefore - c.tokensAfter })),
  );
  return {
    threadId,
    frameId,
    iterations,
    totals: {
      iterations: records.length,
      inputTokens: iterations.reduce((s, i) => s + (i.inputTokens ?? 0), 0),
      outputTokens: iterations.reduce((s, i) => s + (i.outputTokens ?? 0), 0),
      peakContextTokens: Math.max(0, ...iterations.map((i) => i.contextTokens)),
      excludedTokens: iterations.reduce((s, i) => s + i.excludedTokens, 0),
      failedModelCalls: records.reduce((s, r) => s + r.failedModelCalls, 0),
    },
    compressions,
    largestComponents: [...largest.values()].sort((a, b) => b.tokens - a.tokens).slice(0, 5),
    suggestions: suggest(records, compressions),
  };
}

function suggest(records: readonly IterationRecord[], compressions: readonly Compression[]): string[] {
  const out: string[] = [];
  const drops = records.flatMap((r) => {
    const dropped = r.excluded.find((c) => c.kind === "history");
    return dropped ? [{ record: r, dropped }] : [];
  });
  // A strategy that put a summary in front of the kept history did not lose those turns.
  const summarized = drops.filter(({ record }) =>
    record.compressions.some((c) => (c.prefix ?? []).some((m) => m.role !== "user")),
  );
  const lost = drops.filter((d) => !summarized.includes(d));
  const overBudget = lost.filter(
    ({ record, dropped }) => record.compressions.length > 0 && dropped.reason?.startsWith("over budget"),
  );
  const byStrategy = lost.filter(
    ({ record }) => record.compressions.length > 0 && !overBudget.some((d) => d.record === record),
  );
  const uncompressed = lost.filter(({ record }) => record.compressions.length === 0);
  const upTo = (list: typeof drops) => Math.max(...list.map((d) => d.dropped.tokens));
  const at = (list: typeof drops) => iterationsPhrase(list.map((d) => d.record.iteration));
  const strategies = (list: typeof drops) =>
    [...new Set(list.flatMap((d) => d.record.compressions.map((c) => `"${c.strategy}"`)))].join(", ");
  if (uncompressed.length > 0) {
    out.push(
      `history dropped at ${at(uncompressed)} (up to ${upTo(uncompressed)} tokens): raise windowTokens or add a compression strategy`,
    );
  }
  if (byStrategy.length > 0) {
    out.push(
      `history dropped at ${at(byStrategy)} (up to ${upTo(byStrategy)} tokens) by ${strategies(byStrategy)}: the model no longer sees those turns; raise windowTokens or use a strategy that summarizes them (summarizeOlderTurns)`,
    );
  }
  if (overBudget.length > 0) {
    out.push(
      `history dropped at ${at(overBudget)} (up to ${upTo(overBudget)} tokens) even after compression by ${strategies(overBudget)}: use a stronger compression strategy or raise windowTokens`,
    );
  }
  const droppedComponents = new Map<
    string,
    { kind: string; priority: number; tokens: number; its: number[] }
  >();
  for (const r of records) {
    for (const c of r.excluded) {
      if (c.kind === "history") continue;
      const seen = droppedComponents.get(c.id) ?? { kind: c.kind, priority: c.priority, tokens: 0, its: [] };
      seen.tokens = Math.max(seen.tokens, c.tokens);
      seen.its.push(r.iteration);
      droppedComponents.set(c.id, seen);
    }
  }
  for (const [id, c] of droppedComponents) {
    out.push(
      `${c.kind} "${id}" (${c.tokens} tokens, priority ${c.priority}) left out at ${iterationsPhrase(c.its)}: raise its priority, shorten it, or raise windowTokens`,
    );
  }
  const over = records.filter((r) => r.totalTokens > r.budget);
  if (over.length > 0) {
    const worst = Math.max(...over.map((r) => r.totalTokens / Math.max(r.budget, 1)));
    out.push(
      `context over budget at ${iterationsPhrase(over.map((r) => r.iteration))} (up to ${Math.round(worst * 100)}%): the newest turn alone does not fit, so the provider may refuse the request; add a compression strategy, shorten tool results, or raise windowTokens`,
    );
  }
  const nearFull = records.filter(
    (r) =>
      !r.excluded.some((c) => c.kind === "history") &&
      r.budget > 0 &&
      r.totalTokens <= r.budget &&
      r.totalTokens / r.budget >= NEAR_FULL,
  );
  if (nearFull.length > 0) {
    out.push(
      `context at ${Math.round(NEAR_FULL * 100)}% or more of the budget at ${iterationsPhrase(nearFull.map((r) => r.iteration))}: the next turns will drop history; raise windowTokens or choose how (a compression strategy such as summarizeOlderTurns)`,
    );
  }
  const toolsHeavy = records.filter((r) => {
    const tools = r.included.find((c) => c.kind === "tools");
    return tools !== undefined && r.budget > 0 && tools.tokens / r.budget >= TOOLS_HEAVY;
  });
  if (toolsHeavy.length > 0) {
    const share = Math.max(
      ...toolsHeavy.map((r) => r.included.find((c) => c.kind === "tools")!.tokens / r.budget),
    );
    out.push(
      `tool definitions take up to ${Math.round(share * 100)}% of the budget (${iterationsPhrase(toolsHeavy.map((r) => r.iteration))}): offer fewer tools, or shorten their descriptions and schemas`,
    );
  }
  const weak = compressions.filter(
    (c) => c.tokensBefore > 0 && (c.tokensBefore - c.tokensAfter) / c.tokensBefore < WEAK_COMPRESSION,
  );
  for (const strategy of new Set(weak.map((c) => c.strategy))) {
    const its = weak.filter((c) => c.strategy === strategy).map((c) => c.iteration);
    out.push(
      `compression "${strategy}" saved less than ${Math.round(WEAK_COMPRESSION * 100)}% at ${iterationsPhrase(its)}: it runs without helping; tune it or use another strategy`,
    );
  }
  return out;
}
