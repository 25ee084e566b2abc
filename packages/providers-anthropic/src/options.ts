import { ConfigError } from "@loom/core";
import { z } from "zod";

export const AnthropicProviderOptionsSchema = z.object({
  /** Model id, e.g. "claude-sonnet-4-5". */
  model: z.string().min(1),
  /** Default: the ANTHROPIC_API_KEY environment variable. */
  apiKey: z.string().min(1).optional(),
  /** Default: ANTHROPIC_BASE_URL, else https://api.anthropic.com. */
  baseURL: z.string().url().optional(),
  /** Stream the answer (default) or ask for it whole; the parts are the same either way. */
  stream: z.boolean().default(true),
  /** `max_tokens` when the request sets no `maxOutputTokens` (the Messages API requires one). Default 4096. */
  defaultMaxTokens: z.number().int().positive().default(4096),
  /** Extended thinking, sent as `thinking: { type: "enabled", budget_tokens }`. */
  thinking: z.object({ budgetTokens: z.number().int().min(1024) }).optional(),
  /** Extra HTTP headers sent with every request (e.g. `anthropic-beta`). */
  headers: z.record(z.string(), z.string()).optional(),
  /** Per-request timeout in milliseconds. Default: the SDK's. */
  timeoutMs: z.number().int().positive().optional(),
});

export type AnthropicProviderOptions = z.input<typeof AnthropicProviderOptionsSchema>;
export type ResolvedAnthropicOptions = z.output<typeof AnthropicProviderOptionsSchema> & { apiKey: string };

export function resolveOptions(options: AnthropicProviderOptions): ResolvedAnthropicOptions {
  const parsed = AnthropicProviderOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.join(".") || "options";
    throw new ConfigError(`createAnthropicProvider: option "${path}" is invalid: ${issue?.message}.`);
  }
  const apiKey = parsed.data.apiKey ?? process.env.ANTHROPIC_API_KEY;
  if (!apiKey) {
    throw new ConfigError(
      "createAnthropicProvider: no API key. Pass { apiKey } or set the ANTHROPIC_API_KEY environment variable.",
    );
  }
  return { ...parsed.data, apiKey };
}
