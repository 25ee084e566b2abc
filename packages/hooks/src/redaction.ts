import type { Hook, ToolResult } from "@loom/core";

/** Shapes of well-known API keys and bearer tokens. */
export const SECRET_PATTERNS: readonly RegExp[] = [
  /\bsk-ant-[A-Za-z0-9_-]{16,}/g, // Anthropic
  /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g, // OpenAI
  /\bAKIA[0-9A-Z]{16}\b/g, // AWS access key id
  /\bgh[pousr]_[A-Za-z0-9]{36,}\b/g, // GitHub
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/g, // Slack
  /\bAIza[0-9A-Za-z_-]{35}\b/g, // Google
  /\bBearer\s+[A-Za-z0-9._~+/-]{16,}=*/g,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
];

export interface RedactionOptions {
  /** Extra patterns to mask (global regexes, or strings matched literally). */
  readonly patterns?: readonly (RegExp | string)[];
  /** Mask the well-known API-key shapes too. Default true. */
  readonly apiKeys?: boolean;
  /** What a masked value becomes. Default "[REDACTED]". */
  readonly replacement?: string;
}

/** Masks secrets in a string. */
export function redactText(text: string, options: RedactionOptions = {}): string {
  let out = text;
  for (const pattern of compilePatterns(options))
    out = out.replace(pattern, options.replacement ?? "[REDACTED]");
  return out;
}

/** Masks secrets in every string of a JSON-like value, returning a copy. */
export function redactValue<T>(value: T, options: RedactionOptions = {}): T {
  const patterns = compilePatterns(options);
  const replacement = options.replacement ?? "[REDACTED]";
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return patterns.reduce((s, p) => s.replace(p, replacement), v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

function compilePatterns(options: RedactionOptions): RegExp[] {
  const custom = (options.patterns ?? []).map((p) =>
    typeof p === "string" ? new RegExp(p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "g") : ensureGlobal(p),
  );
  return [...(options.apiKeys === false ? [] : SECRET_PATTERNS), ...custom];
}

function ensureGlobal(pattern: RegExp): RegExp {
  return pattern.global ? pattern : new RegExp(pattern.source, `${pattern.flags}g`);
}

/**
 * Masks secrets before they are journaled or shown to the model: in tool results and in the
 * model's answers (text and tool-call arguments). Tool arguments reach the tool unmasked: they
 * came from a context that was already masked. The user's own input is journaled as given.
 */
export function RedactionHook(options: RedactionOptions = {}): Hook {
  const text = (s: string) => redactText(s, options);
  return {
    name: "redaction",
    afterToolExecution: ({ result }) => {
      const masked: ToolResult = {
        ...result,
        content: text(result.content),
        ...(result.output !== undefined ? { output: redactValue(result.output, options) } : {}),
      };
      return masked.content === result.content && masked.output === result.output
        ? undefined
        : { result: masked };
    },
    afterLLMResponse: ({ response }) => {
      const message = response.message;
      const masked = {
        ...message,
        content: text(message.content),
        ...(message.toolCalls
          ? { toolCalls: message.toolCalls.map((c) => ({ ...c, arguments: text(c.arguments) })) }
          : {}),
      };
      const changed =
        masked.content !== message.content ||
        (masked.toolCalls ?? []).some((c, i) => c.arguments !== message.toolCalls?.[i]?.arguments);
      return changed ? { response: { ...response, message: masked } } : undefined;
    },
  };
}
