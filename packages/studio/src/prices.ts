import { type Prices, type StoredEvent, type Usage, usageCost } from "@loom/core";

export { type Price, PriceSchema, type Prices, PricesSchema } from "@loom/core";

/** The model a call went to: the answering one when `llm.completed` names it (a fallback), else the one requested. */
export interface ModelRef {
  readonly provider: string;
  readonly model: string;
}

/** The cost of one model call in US dollars, or undefined when there is no price for its model. */
export function callCost(
  prices: Prices | undefined,
  ref: ModelRef | undefined,
  usage: Usage,
): number | undefined {
  if (!prices || !ref) return undefined;
  const price = prices[ref.provider]?.[ref.model];
  return price ? usageCost(usage, price) : undefined;
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
