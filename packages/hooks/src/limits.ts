import {
  ConfigError,
  type ExecutionFrame,
  type Hook,
  type Prices,
  PricesSchema,
  threadUsage,
  threadUsageByModel,
  type Usage,
  usageCost,
} from "@loom/core";

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

/** What the model calls of a frame and its sub-agents cost at one price for every model. */
export function costOf(frame: ExecutionFrame, pricing: Pricing): number {
  return costAtPricing(threadUsage(frame), pricing);
}

/** Where `CostLimitHook` and `threadCost` take prices from. */
export interface CostPrices {
  /**
   * Prices by provider and model, in US dollars per million tokens (`{ openai: { "gpt-4.1": { input,
   * output, cached? } } }`, the format Studio takes), for the model each call went to.
   */
  readonly prices?: Prices;
  /** One price for every model, or for those `prices` does not name. */
  readonly pricing?: Pricing;
}

/**
 * What a thread (or a frame and its sub-agents) cost: each model's tokens at its price in `prices`,
 * the rest at `pricing`. Models with neither are listed in `unpriced` and not in `usd`. Tokens the
 * frame does not know the model of (journaled before their model was kept, read from an older
 * snapshot) are priced at `pricing`, or listed as `"(tokens of an unknown model)"`.
 */
export function threadCost(frame: ExecutionFrame, options: CostPrices): { usd: number; unpriced: string[] } {
  const flat = (usage: Usage) => (options.pricing ? costAtPricing(usage, options.pricing) : undefined);
  let usd = 0;
  const unpriced: string[] = [];
  let input = 0;
  let output = 0;
  let cached = 0;
  for (const spent of threadUsageByModel(frame)) {
    input += spent.usage.inputTokens;
    output += spent.usage.outputTokens;
    cached += spent.usage.cachedInputTokens ?? 0;
    const price =
      spent.provider !== undefined && spent.model !== undefined
        ? options.prices?.[spent.provider]?.[spent.model]
        : undefined;
    const cost = price ? usageCost(spent.usage, price) : flat(spent.usage);
    if (cost !== undefined) usd += cost;
    else
      unpriced.push(
        spent.model !== undefined
          ? `${spent.provider ?? "?"}/${spent.model}`
          : "(a model a tool did not name)",
      );
  }
  const total = threadUsage(frame);
  const rest = {
    inputTokens: Math.max(0, total.inputTokens - input),
    outputTokens: Math.max(0, total.outputTokens - output),
    cachedInputTokens: Math.max(0, (total.cachedInputTokens ?? 0) - cached),
  };
  if (rest.inputTokens + rest.outputTokens > 0) {
    const cost = flat(rest);
    if (cost !== undefined) usd += cost;
    else unpriced.push("(tokens of an unknown model)");
  }
  return { usd, unpriced };
}

function costAtPricing(usage: Usage, pricing: Pricing): number {
  return usageCost(usage, {
    input: pricing.inputPerMillion,
    output: pricing.outputPerMillion,
    ...(pricing.cachedInputPerMillion !== undefined ? { cached: pricing.cachedInputPerMillion } : {}),
  });
}

/**
 * Ends the run, journaled, once the thread's model calls (its sub-agents' and the tools' own
 * included) cost `maxUsd`: each model at its price in `prices`, or at `pricing`. A model with no
 * price ends the run too, saying which (a limit it cannot compute must not let the run go on).
 */
export function CostLimitHook(options: { maxUsd: number } & CostPrices): Hook {
  positive("CostLimitHook", "maxUsd", options.maxUsd);
  const { pricing, prices } = options;
  if (pricing === undefined && prices === undefined) {
    throw new ConfigError(
      'CostLimitHook needs "prices" (by provider and model: { openai: { "gpt-4.1": { input, output } } }, USD per million tokens) or "pricing" (one price for every model: { inputPerMillion, outputPerMillion }).',
    );
  }
  if (pricing !== undefined && !(pricing?.inputPerMillion >= 0 && pricing.outputPerMillion >= 0)) {
    throw new ConfigError(
      'CostLimitHook: "pricing" needs inputPerMillion and outputPerMillion (USD per million tokens).',
    );
  }
  if (prices !== undefined) {
    const parsed = PricesSchema.safeParse(prices);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ConfigError(
        `CostLimitHook: "prices" at ${issue?.path.join(".") || "(root)"}: ${issue?.message}. Give { [provider]: { [model]: { input, output, cached? } } } in USD per million tokens.`,
      );
    }
  }
  return {
    name: "cost-limit",
    beforeIterationStart: ({ thread }) => {
      const cost = threadCost(thread, options);
      if (cost.unpriced.length > 0) {
        return {
          deny: `cost limit cannot be checked: no price for ${cost.unpriced.join(", ")}; add it to "prices", or give "pricing" for any model`,
        };
      }
      return cost.usd >= options.maxUsd
        ? { deny: `cost limit reached: $${cost.usd.toFixed(4)} spent, limit $${options.maxUsd}` }
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
