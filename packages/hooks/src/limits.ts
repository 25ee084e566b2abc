import { ConfigError, type ExecutionFrame, type Hook, threadUsage } from "@loom/core";

function positive(hook: string, option: string, value: number): void {
  if (!(typeof value === "number" && value > 0 && Number.isFinite(value))) {
    throw new ConfigError(`${hook}: "${option}" must be a positive number, got ${String(value)}.`);
  }
}

/**
 * Total tokens of a frame and its sub-agents: input and output over all their model calls (the
 * whole thread's for the root frame).
 */
export function tokensUsed(frame: ExecutionFrame): number {
  const usage = threadUsage(frame);
  return usage.inputTokens + usage.outputTokens;
}

/**
 * Ends the run (journaled `run.failed`, code `denied_by_hook`, with the reason) before an
 * iteration would start once the thread has used `maxTokens` tokens (input + output), its
 * sub-agents' included: checked in every frame, against the whole thread.
 */
export function TokenBudgetHook(options: { maxTokens: number }): Hook {
  positive("TokenBudgetHook", "maxTokens", options.maxTokens);
  return {
    name: "token-budget",
    beforeIterationStart: ({ thread }) => {
      const used = tokensUsed(thread);
      return used >= options.maxTokens
        ? { deny: `token budget spent: ${used} tokens used, limit ${options.maxTokens}` }
        : undefined;
    },
  };
}

export interface Pricing {
  /** US dollars per million input tokens. */
  readonly inputPerMillion: number;
  /** US dollars per million output tokens. */
  readonly outputPerMillion: number;
  /** US dollars per million cached input tokens (default: the input price). */
  readonly cachedInputPerMillion?: number;
}

/** What the model calls of a frame and its sub-agents cost at one set of prices. */
export function costOf(frame: ExecutionFrame, pricing: Pricing): number {
  const usage = threadUsage(frame);
  const cached = usage.cachedInputTokens ?? 0;
  const fresh = usage.inputTokens - cached;
  return (
    (fresh * pricing.inputPerMillion +
      cached * (pricing.cachedInputPerMillion ?? pricing.inputPerMillion) +
      usage.outputTokens * pricing.outputPerMillion) /
    1_000_000
  );
}

/**
 * Ends the run, journaled, once the thread's model calls (its sub-agents' included) cost `maxUsd`
 * at the given prices.
 */
export function CostLimitHook(options: { maxUsd: number; pricing: Pricing }): Hook {
  positive("CostLimitHook", "maxUsd", options.maxUsd);
  if (
    !options.pricing ||
    !(options.pricing.inputPerMillion >= 0) ||
    !(options.pricing.outputPerMillion >= 0)
  ) {
    throw new ConfigError(
      'CostLimitHook: "pricing" needs inputPerMillion and outputPerMillion (USD per million tokens).',
    );
  }
  return {
    name: "cost-limit",
    beforeIterationStart: ({ thread }) => {
      const cost = costOf(thread, options.pricing);
      return cost >= options.maxUsd
        ? { deny: `cost limit reached: $${cost.toFixed(4)} spent, limit $${options.maxUsd}` }
        : undefined;
    },
  };
}

/**
 * Ends the run, journaled, when an iteration would start more than `maxMs` after the run
 * started (the root frame's `run.started` timestamp, so time spent before a crash counts too, and
 * a sub-agent's iterations count from the run's start, not its own).
 */
export function WallTimeHook(options: { maxMs: number; now?: () => number }): Hook {
  positive("WallTimeHook", "maxMs", options.maxMs);
  const now = options.now ?? Date.now;
  return {
    name: "wall-time",
    beforeIterationStart: ({ thread }) => {
      // The thread's run: a sub-agent's own run.started is later than its parent's.
      const elapsed = now() - (thread.runStartedAt ?? now());
      return elapsed >= options.maxMs
        ? { deny: `wall-time limit reached: ${elapsed} ms since the run started, limit ${options.maxMs} ms` }
        : undefined;
    },
  };
}
