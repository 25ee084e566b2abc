/**
 * Helpers for providers that map HTTP APIs to `ProviderError`: what every such provider needs
 * the same way, kept here so the retry schedule reads one meaning of each header.
 */

/** `retry-after-ms` (milliseconds), else `retry-after` (seconds or an HTTP date). */
export function retryAfterFromHeaders(headers: Headers | undefined): number | undefined {
  const ms = Number.parseFloat(headers?.get("retry-after-ms") ?? "");
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers?.get("retry-after");
  if (!value) return undefined;
  const seconds = Number.parseFloat(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** "Please try again in 1.146s." / "in 20ms": rate-limit messages that name the wait (OpenAI's do). */
export function retryHintFromMessage(message: string): number | undefined {
  const match = /try again in (\d+(?:\.\d+)?)\s*(ms|s)\b/i.exec(message);
  if (!match) return undefined;
  const value = Number.parseFloat(match[1]!);
  return match[2]!.toLowerCase() === "ms" ? value : Math.round(value * 1000);
}

/** `x-should-retry: true|false`, the API's own word on retrying; undefined when absent. */
export function shouldRetryHeader(headers: Headers | undefined): boolean | undefined {
  const value = headers?.get("x-should-retry");
  return value === "true" ? true : value === "false" ? false : undefined;
}

/** Removes the given secrets, and anything matching `keyShape`, from a text bound for an error. */
export function redactSecrets(text: string, secrets: readonly string[], keyShape?: RegExp): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join("[redacted]");
  return keyShape
    ? out.replace(keyShape, (match) => `${match.slice(0, match.indexOf("-") + 1)}[redacted]`)
    : out;
}

const DROPPED = /terminated|other side closed|socket hang up|ECONNRESET|EPIPE|UND_ERR_SOCKET/;

/** A connection lost while the body streamed: fetch reports it as a plain error, not the SDK's. */
export function isConnectionDrop(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (DROPPED.test(e.message) || (typeof code === "string" && DROPPED.test(code))) return true;
  }
  return false;
}
