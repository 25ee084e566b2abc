import { type Hook, totalUsage } from "@loom/core";

export interface DurationStats {
  count: number;
  totalMs: number;
  maxMs: number;
}

export interface ToolMetrics extends DurationStats {
  errors: number;
}

export interface MetricsSnapshot {
  readonly iterations: number;
  readonly llmCalls: DurationStats;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly toolCalls: Readonly<Record<string, ToolMetrics>>;
  /** Tool calls that ended in an error result. */
  readonly errors: number;
}

export interface MetricsHook extends Hook {
  /** A copy of the counters so far, ready to export (JSON, Prometheus, OpenTelemetry...). */
  snapshot(): MetricsSnapshot;
  reset(): void;
}

/**
 * Counts and times model calls, tool calls per tool, tokens (the tools' own model calls included)
 * and errors, across the runs it sees.
 */
export function MetricsHook(options: { now?: () => number; name?: string } = {}): MetricsHook {
  const now = options.now ?? (() => performance.now());
  let state = empty();
  const llmStarted = new Map<string, number>();
  const toolStarted = new Map<string, number>();
  const add = (stats: DurationStats, ms: number) => {
    stats.count++;
    stats.totalMs += ms;
    stats.maxMs = Math.max(stats.maxMs, ms);
  };
  return {
    name: options.name ?? "metrics",
    beforeIterationStart: () => void state.iterations++,
    beforeLLMCall: ({ frame }) => void llmStarted.set(`${frame.threadId}/${frame.frameId}`, now()),
    afterLLMResponse: ({ frame, response }) => {
      const key = `${frame.threadId}/${frame.frameId}`;
      add(state.llmCalls, now() - (llmStarted.get(key) ?? now()));
      llmStarted.delete(key);
      state.inputTokens += response.usage.inputTokens;
      state.outputTokens += response.usage.outputTokens;
    },
    beforeToolExecution: ({ frame, call }) => void toolStarted.set(`${frame.threadId}/${call.ref}`, now()),
    afterToolExecution: ({ frame, call, result, modelUsage }) => {
      const spent = totalUsage(modelUsage);
      state.inputTokens += spent.inputTokens;
      state.outputTokens += spent.outputTokens;
      const key = `${frame.threadId}/${call.ref}`;
      state.toolCalls[call.name] ??= { count: 0, totalMs: 0, maxMs: 0, errors: 0 };
      const tool = state.toolCalls[call.name]!;
      add(tool, now() - (toolStarted.get(key) ?? now()));
      toolStarted.delete(key);
      if (result.isError) {
        tool.errors++;
        state.errors++;
      }
    },
    snapshot: () => structuredClone(state),
    reset: () => {
      state = empty();
    },
  };
}

function empty() {
  return {
    iterations: 0,
    llmCalls: { count: 0, totalMs: 0, maxMs: 0 },
    inputTokens: 0,
    outputTokens: 0,
    toolCalls: {} as Record<string, ToolMetrics>,
    errors: 0,
  };
}
