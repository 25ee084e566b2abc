import { ProviderError, type ProviderErrorCode } from "./errors.js";

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

/** What an HTTP API said when it refused a call, as a provider read it from its SDK's error. */
export interface ApiErrorReport {
  /** The provider's name, e.g. "openai". */
  readonly provider: string;
  /** How messages name the API, e.g. "OpenAI". */
  readonly label: string;
  readonly code: ProviderErrorCode;
  readonly status: number | undefined;
  /** The error body's type and code, e.g. "invalid_request_error" / "context_length_exceeded". */
  readonly type: string | undefined;
  readonly errorCode: string | undefined;
  /** The API's message, with secrets already removed. */
  readonly message: string;
  readonly headers: Headers | undefined;
  readonly requestId: string | undefined;
  /** What to do about it, appended to the message. */
  readonly advice: string;
  readonly cause: unknown;
}

/**
 * The `ProviderError` for an API's refusal: retryable when the API says so (`x-should-retry`),
 * else for rate limits, overload, network trouble and server errors (also a server error reported
 * inside a 200 stream); the wait from `retry-after`, or from the message of a rate limit.
 */
export function apiProviderError(report: ApiErrorReport): ProviderError {
  const { code, status, type, errorCode, headers } = report;
  const retryable =
    shouldRetryHeader(headers) ??
    (code === "rate_limited" ||
      code === "overloaded" ||
      code === "network" ||
      code === "server_error" ||
      (status !== undefined && status >= 500) ||
      (status === undefined && /server_error|api_error/.test(`${type} ${errorCode}`)));
  const kind = [type, errorCode].filter((k, i, all) => k && all.indexOf(k) === i).join("/");
  const where = status === undefined ? `${report.label} stream error` : `${report.label} API ${status}`;
  return new ProviderError(
    code,
    `${where}${kind ? ` (${kind})` : ""}: ${sentence(report.message)}${report.advice ? ` ${report.advice}` : ""}`,
    {
      provider: report.provider,
      retryable,
      retryAfterMs:
        retryAfterFromHeaders(headers) ??
        (code === "rate_limited" ? retryHintFromMessage(report.message) : undefined),
      status,
      requestId: report.requestId,
      cause: report.cause,
    },
  );
}

/**
 * How one API names its errors: patterns over the body's type and code (`kind`, e.g.
 * "invalid_request_error context_length_exceeded") and over its message, per Loom code.
 */
export type ApiErrorVocabulary = Partial<
  Record<
    | "quota_exceeded"
    | "context_length"
    | "not_found"
    | "rate_limited"
    | "auth"
    | "overloaded"
    | "bad_request",
    { readonly kind?: RegExp; readonly message?: RegExp }
  >
>;

/**
 * The most precise `ProviderErrorCode` for an API's refusal: what the API named (its vocabulary),
 * then the HTTP status (429, 401/403, 404, 503/529, 408, 400/413/422, other 5xx); an error
 * reported inside a 200 stream has no status, and a `server_error`/`api_error` there is a
 * server error too.
 */
export function classifyApiError(
  report: Pick<ApiErrorReport, "status" | "type" | "errorCode" | "message">,
  vocabulary: ApiErrorVocabulary,
): ProviderErrorCode {
  const { status, message } = report;
  const kind = `${report.type ?? ""} ${report.errorCode ?? ""}`;
  const named = (code: keyof ApiErrorVocabulary) => {
    const words = vocabulary[code];
    return (words?.kind?.test(kind) ?? false) || (words?.message?.test(message) ?? false);
  };
  if (named("quota_exceeded")) return "quota_exceeded";
  if (named("context_length")) return "context_length";
  if (named("not_found")) return "not_found";
  if (named("rate_limited") || status === 429) return "rate_limited";
  if (named("auth") || status === 401 || status === 403) return "auth";
  if (status === 404) return "not_found";
  if (named("overloaded") || status === 503 || status === 529) return "overloaded";
  if (status === 408) return "network";
  if (named("bad_request") || status === 400 || status === 413 || status === 422) return "bad_request";
  if (status !== undefined && status >= 500) return "server_error";
  if (status === undefined && /server_error|api_error/.test(kind)) return "server_error";
  return "unknown";
}

/** A response that broke off or could not be read: a dropped connection is retryable, the rest is not. */
export function unreadableResponseError(
  report: Pick<ApiErrorReport, "provider" | "label" | "message" | "cause"> & {
    readonly networkAdvice: string;
  },
): ProviderError {
  if (isConnectionDrop(report.cause)) {
    return new ProviderError(
      "network",
      `${report.label} connection dropped during the response: ${report.message}. ${report.networkAdvice}`,
      { provider: report.provider, retryable: true, cause: report.cause },
    );
  }
  return new ProviderError(
    "invalid_response",
    `${report.label} response could not be read: ${report.message}`,
    {
      provider: report.provider,
      retryable: false,
      cause: report.cause,
    },
  );
}

/** What a provider reads off its SDK's errors, for `sdkErrorMapper`. */
export interface SdkErrorMapping {
  /** The provider's name, e.g. "openai". */
  readonly provider: string;
  /** How messages name the API, e.g. "OpenAI". */
  readonly label: string;
  readonly vocabulary: ApiErrorVocabulary;
  /**
   * What to do, appended to the message, where this API's words differ from the shared advice
   * (which key variable to check, whose billing): at least `auth` and `quota_exceeded`.
   */
  readonly advice: Readonly<Partial<Record<ProviderErrorCode, string>>> & {
    readonly auth: string;
    readonly quota_exceeded: string;
  };
  /** Text shaped like a key, removed from messages besides the configured secrets. */
  readonly keyShape?: RegExp;
  /**
   * The SDK's error classes for a call the caller aborted, one that timed out and one that could
   * not connect (the timeout class may extend the connection class; it is checked first).
   */
  readonly errorClasses: {
    readonly abort: ErrorClass;
    readonly timeout: ErrorClass;
    readonly connection: ErrorClass;
  };
  /** The API's refusal as the SDK reports it, or undefined when `error` is not one. */
  apiError(
    error: unknown,
  ): Pick<ApiErrorReport, "status" | "type" | "errorCode" | "message" | "headers" | "requestId"> | undefined;
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** What to do about a refusal, the same for every HTTP API. */
const SHARED_ADVICE: Readonly<Partial<Record<ProviderErrorCode, string>>> = {
  rate_limited: "The executor retries after the delay the API asked for.",
  overloaded: "The API is overloaded; the executor retries with backoff.",
  bad_request: "Fix the request (model, settings, messages or tools); retrying will not help.",
  not_found: "Check the model id and that the API key's project can use it.",
  context_length: "Shorten the conversation (a compression strategy) or use a model with a larger window.",
  network: "Check the network and baseURL; the executor retries.",
  server_error: "The provider failed on its side; the executor retries with backoff.",
};

/**
 * Builds a provider's `toProviderError(error, signal, secrets)`: anything its SDK throws becomes a
 * `ProviderError` with the most precise code (aborted, network, the API's refusal through
 * `classifyApiError` and `apiProviderError`, else an unreadable response), secrets removed.
 */
export function sdkErrorMapper(
  mapping: SdkErrorMapping,
): (error: unknown, signal: AbortSignal, secrets: readonly string[]) => ProviderError {
  const { provider, label } = mapping;
  const advice = (code: ProviderErrorCode) => mapping.advice[code] ?? SHARED_ADVICE[code] ?? "";
  return (error, signal, secrets) => {
    const redact = (text: string) => redactSecrets(text, secrets, mapping.keyShape);
    if (ProviderError.isInstance(error)) return error;
    const classes = mapping.errorClasses;
    if (signal.aborted || error instanceof classes.abort) {
      return new ProviderError("aborted", `The ${label} call was aborted.`, {
        provider,
        retryable: false,
        cause: error,
      });
    }
    if (error instanceof classes.timeout || error instanceof classes.connection) {
      const what = error instanceof classes.timeout ? "request timed out" : "connection failed";
      return new ProviderError(
        "network",
        `${label} ${what}: ${redact(error.message)}. ${advice("network")}`,
        {
          provider,
          retryable: true,
          cause: error,
        },
      );
    }
    const refusal = mapping.apiError(error);
    if (refusal) {
      const code = classifyApiError(refusal, mapping.vocabulary);
      return apiProviderError({
        ...refusal,
        provider,
        label,
        code,
        message: redact(refusal.message),
        advice: advice(code),
        cause: error,
      });
    }
    const message = error instanceof Error ? error.message : String(error);
    return unreadableResponseError({
      provider,
      label,
      message: redact(message),
      networkAdvice: advice("network"),
      cause: error,
    });
  };
}

function sentence(text: string): string {
  return /[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`;
}
