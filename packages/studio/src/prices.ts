import type { StoredEvent, Usage } from "@loom/core";
import { z } from "zod";

/** US dollars per million tokens of one model, as its provider's price page states them. */
export const PriceSchema = z
  .object({
    input: z.number().nonnegative(),
    output: z.number().nonnegative(),
    /** Input tokens read from the provider's cache; default: the `input` price. */
    cached: z.number().nonnegative().optional(),
  })
  .strict();
export type Price = z.infer<typeof PriceSchema>;

/** Prices by provider name (as `llm.requested.provider` journals it), then by model id. */
export const PricesSchema = z.record(z.string(), z.record(z.string(), PriceSchema));
export type Prices = z.infer<typeof PricesSchema>;

/** The model a call went to: the answering one when `llm.completed` names it (a fallback), else the one requested. */
export interface ModelRef {
  readonly provider: string;
  readonly model: string;
}

/**
 * The cost of one model call in US dollars, or undefined when there is no price for its model.
 * Cached input tokens are part of `inputTokens` (core's `Usage`) and are billed at `cached`.
 */
export function callCost(
  prices: Prices | undefined,
  ref: ModelRef | undefined,
  usage: Usage,
): number | undefined {
  if (!prices || !ref) return undefined;
  const price = prices[ref.provider]?.[ref.model];
  if (!price) return undefined;
  const cached = Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens);
  return (
    ((usage.inputTokens - cached) * price.input +
      cached * (price.cached ?? price.input) +
      usage.outputTokens * price.output) /
    1_000_000
  );
}

/** Adds call costs up; one unpriced call makes the whole sum unknown, shown as "—" rather than too low. */
export class CostSum {
  private total = 0;
  private known = true;
  private calls = 0;
  readonly unpriced = new Set<string>();

  add(prices: Prices | undefined, ref: ModelRef | undefined, usage: Usage): void {
    this.calls++;
    const cost = callCost(prices, ref, usage);
    if (cost === undefined) {
      this.known = false;
      this.unpriced.add(ref ? `${ref.provider}/${ref.model}` : "(unknown model)");
    } else this.total += cost;
  }

  /** The sum in US dollars; undefined when some call had no price; 0 when there was no call. */
  get value(): number | undefined {
    if (this.calls === 0) return 0;
    return this.known ? this.total : undefined;
  }
}

/**
 * The model calls an event paid for: an `llm.completed`'s (its model from `models`), or those a tool
 * made itself and reported (`tool.completed`'s `modelUsage`, each with the model it named, if any).
 */
export function modelCallsOf(
  event: StoredEvent,
  model: ModelRef | undefined,
): readonly { readonly ref: ModelRef | undefined; readonly usage: Usage }[] {
  if (event.type === "llm.completed") return [{ ref: model, usage: event.data.usage }];
  if (event.type !== "tool.completed" || !event.data.modelUsage) return [];
  return event.data.modelUsage.map((spent) => ({
    ref: spent.model !== undefined ? { provider: spent.provider ?? "", model: spent.model } : undefined,
    usage: spent.usage,
  }));
}

/** Follows a thread's events to know which model each `llm.completed` came from. */
export class ModelTracker {
  private readonly requested = new Map<string, ModelRef>();

  /** The model of `event` when it is an `llm.completed`; remembers the model of an `llm.requested`. */
  see(event: StoredEvent): ModelRef | undefined {
    if (event.type === "llm.requested") {
      this.requested.set(event.frameId, { provider: event.data.provider, model: event.data.model });
      return undefined;
    }
    if (event.type !== "llm.completed") return undefined;
    const asked = this.requested.get(event.frameId);
    const { provider, model } = event.data;
    if (model !== undefined) return { provider: provider ?? asked?.provider ?? "", model };
    return asked;
  }
}
