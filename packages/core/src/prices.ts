import { z } from "zod";
import type { Usage } from "./messages.js";

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

/**
 * What `usage` costs at `price`, in US dollars. Cached input tokens are part of `inputTokens`
 * (core's `Usage`) and are billed at `cached`; cache writes as input.
 */
export function usageCost(usage: Usage, price: Price): number {
  const cached = Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens);
  return (
    ((usage.inputTokens - cached) * price.input +
      cached * (price.cached ?? price.input) +
      usage.outputTokens * price.output) /
    1_000_000
  );
}
