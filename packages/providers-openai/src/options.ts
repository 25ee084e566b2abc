import { ConfigError } from "@loom/core";
import { z } from "zod";

export const OpenAIProviderOptionsSchema = z.object({
  /** Model id, e.g. "gpt-4o-mini". */
  model: z.string().min(1),
  /**
   * Default: the OPENAI_API_KEY environment variable. Optional with a `baseURL` (the option or
   * OPENAI_BASE_URL): a local OpenAI-compatible server without a key gets no Authorization header.
   */
  apiKey: z.string().min(1).optional(),
  /** Default: OPENAI_BASE_URL, else https://api.openai.com/v1. Any OpenAI-compatible server works. */
  baseURL: z.string().url().optional(),
  /** "chat" (Chat Completions, default) or "responses" (Responses API). */
  api: z.enum(["chat", "responses"]).default("chat"),
  /** Stream the answer (default) or ask for it whole; the parts are the same either way. */
  stream: z.boolean().default(true),
  organization: z.string().optional(),
  project: z.string().optional(),
  /** Extra HTTP headers sent with every request. */
  headers: z.record(z.string(), z.string()).optional(),
  /** Per-request timeout in milliseconds. Default 600000 (the SDK's). */
  timeoutMs: z.number().int().positive().optional(),
  /** Send tool schemas with `strict: true` (the schemas must then meet OpenAI's strict rules). Default false. */
  strictTools: z.boolean().default(false),
  /**
   * Responses API: `store` for the response. With `false`, reasoning items are carried across
   * turns by their encrypted content (asked for with `include`). Default: not sent (the API stores).
   */
  store: z.boolean().optional(),
  /**
   * Chat Completions streams: send `stream_options: { include_usage: true }`, without which the
   * API reports no usage in a stream. Default true (api.openai.com needs it); `false` for a server
   * that rejects the field (usage is then whatever the server sends, else 0, with a warning).
   */
  streamOptions: z.boolean().default(true),
  /**
   * Chat Completions: the body field for `maxOutputTokens`. Default "max_completion_tokens"
   * (OpenAI's, required by its reasoning models); "max_tokens" for compatible servers that only
   * know the older field.
   */
  maxTokensField: z.enum(["max_completion_tokens", "max_tokens"]).default("max_completion_tokens"),
});

export type OpenAIProviderOptions = z.input<typeof OpenAIProviderOptionsSchema>;
export type ResolvedOpenAIOptions = z.output<typeof OpenAIProviderOptionsSchema> & {
  /** Undefined only for a `baseURL` without a key: no Authorization header is sent. */
  apiKey: string | undefined;
};

export function resolveOptions(options: OpenAIProviderOptions): ResolvedOpenAIOptions {
  const parsed = OpenAIProviderOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.join(".") || "options";
    throw new ConfigError(`createOpenAIProvider: option "${path}" is invalid: ${issue?.message}.`);
  }
  const apiKey = parsed.data.apiKey ?? (process.env.OPENAI_API_KEY || undefined);
  const baseURL = parsed.data.baseURL ?? (process.env.OPENAI_BASE_URL || undefined);
  if (!apiKey && !baseURL) {
    throw new ConfigError(
      "createOpenAIProvider: no API key. Pass { apiKey } or set the OPENAI_API_KEY environment variable (a local OpenAI-compatible server needs none: pass its { baseURL }).",
    );
  }
  return { ...parsed.data, apiKey };
}
