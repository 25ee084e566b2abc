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

/**
 * Credentials in any API's words, removed from every text bound for an error: a bearer or basic
 * token, and the value of a key header or parameter (`authorization`, `x-api-key`, `api-key`, ...).
 */
const CREDENTIAL_SHAPES: readonly (readonly [RegExp, string])[] = [
  // Case-sensitive and 8 characters at least, so that "a basic plan" or "bearer token" stay.
  [/\b(Bearer|bearer|BEARER)\s+(?!\[redacted\])[A-Za-z0-9._~+/-]{8,}=*/g, "$1 [redacted]"],
  [/\b(Basic)\s+(?!\[redacted\])[A-Za-z0-9+/]{8,}=*/g, "$1 [redacted]"],
  [
    /\b((?:proxy-)?authorization|x-api-key|api[-_]key|x-goog-api-key|access[-_]token)(["']?\s*[:=]\s*["']?)(?!Bearer\b|Basic\b|\[redacted\])[^\s"',;&}]+/gi,
    "$1$2[redacted]",
  ],
];

/**
 * Removes the given secrets (as written, JSON-escaped or URL-encoded), anything matching `keyShape`,
 * and credential-shaped text (`Bearer <token>`, `x-api-key: <value>`, ...) from a text bound for
 * an error.
 */
export function redactSecrets(text: string, secrets: readonly string[], keyShape?: RegExp): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    for (const form of new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)])) {
      out = out.split(form).join("[redacted]");
    }
  }
  if (keyShape) {
    out = out.replace(keyShape, (match) => `${match.slice(0, match.indexOf("-") + 1)}[redacted]`);
  }
  for (const [shape, replacement] of CREDENTIAL_SHAPES) out = out.replace(shape, replacement);
  return out;
}

/**
 * What Loom keeps of an SDK's error as a `ProviderError`'s `cause`, instead of the error itself
 * (whose body, response headers and request may hold the API key): an `Error` named after the
 * SDK's error class, with its redacted message and stack, the status, request id, error type and
 * code, and the same of its own causes (a connection error's `ECONNREFUSED`, say).
 */
export interface ProviderErrorCause extends Error {
  readonly status?: number;
  readonly requestId?: string;
  /** The error body's type, e.g. "invalid_request_error". */
  readonly type?: string;
  /** The error body's code (e.g. "invalid_api_key"), or a system error's (e.g. "ECONNREFUSED"). */
  readonly code?: string | number;
  readonly cause?: ProviderErrorCause;
  /** An `AggregateError`'s errors (a connection refused on every address). */
  readonly errors?: readonly ProviderErrorCause[];
}

const REDACTED_CAUSES = new WeakSet<object>();
const CAUSE_DEPTH = 4;

/** The error's class name: the SDKs leave `name` as "Error" on their own classes. */
function errorClassName(error: Error): string {
  if (error.name && error.name !== "Error") return error.name;
  const constructorName = (error.constructor as { name?: unknown } | undefined)?.name;
  return typeof constructorName === "string" && constructorName ? constructorName : "Error";
}

/**
 * A `ProviderErrorCause` for `error`, every text passed through `redact`; `known` fills what the
 * provider read off the error better than its own fields say (the body's type, the request id).
 * For any package that keeps a third party's error as a cause: the copy holds its class name,
 * redacted message and stack, status and code, and the same of its own causes, not the original
 * (whose body, headers or request may hold a credential).
 */
export function redactedCause(
  error: unknown,
  redact: (text: string) => string,
  known: Partial<Pick<ApiErrorReport, "status" | "requestId" | "type" | "errorCode">> = {},
  depth = 0,
): ProviderErrorCause {
  if (typeof error === "object" && error !== null && REDACTED_CAUSES.has(error)) {
    return error as ProviderErrorCause;
  }
  const source = error instanceof Error ? error : undefined;
  const fields = (source ?? {}) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === "string" && value ? redact(value) : undefined);
  const name = source ? redact(errorClassName(source)) : "Error";
  let message: string;
  try {
    message = redact(source ? source.message : String(error));
  } catch {
    message = "(unprintable)";
  }
  const cause = new Error(message) as { -readonly [K in keyof ProviderErrorCause]: ProviderErrorCause[K] };
  Object.defineProperty(cause, "name", { value: name, writable: true, configurable: true });
  const status = known.status ?? fields.status;
  if (typeof status === "number") cause.status = status;
  const requestId = text(known.requestId) ?? text(fields.requestID) ?? text(fields.request_id);
  if (requestId) cause.requestId = requestId;
  const type = text(known.type) ?? text(fields.type);
  if (type) cause.type = type;
  const code = text(known.errorCode) ?? text(fields.code) ?? fields.code;
  if (typeof code === "string" || typeof code === "number") cause.code = code;
  if (depth < CAUSE_DEPTH) {
    if (source?.cause !== undefined) {
      cause.cause = redactedCause(source.cause, redact, {}, depth + 1);
    }
    if (source instanceof AggregateError && Array.isArray(source.errors)) {
      cause.errors = source.errors.slice(0, 8).map((e: unknown) => redactedCause(e, redact, {}, depth + 1));
    }
  }
  // The SDK's frames say where it failed; its first lines repeat the unredacted message.
  const frames = (source?.stack ?? "").split("\n").filter((line) => /^\s+at /.test(line));
  Object.defineProperty(cause, "stack", {
    value: redact([`${name}: ${message}`, ...frames].join("\n")),
    writable: true,
    configurable: true,
  });
  REDACTED_CAUSES.add(cause);
  return cause;
}

const GENERIC_KEY_SHAPE = /\bsk-[A-Za-z0-9_*-]{6,}/g;

/** The cause a report's `ProviderError` keeps; its `redact`, else credential and key shapes only. */
function reportCause(
  report: Pick<ApiErrorReport, "cause" | "redact"> &
    Partial<Pick<ApiErrorReport, "status" | "requestId" | "type" | "errorCode">>,
): ProviderErrorCause | undefined {
  if (report.cause === undefined) return undefined;
  const redact = report.redact ?? ((text: string) => redactSecrets(text, [], GENERIC_KEY_SHAPE));
  return redactedCause(report.cause, redact, report);
}

// "terminated" is undici's word for a body cut off, as a word: "Unterminated string in JSON" is a
// complete body that is malformed, not a dropped connection.
const DROPPED = /\bterminated\b|other side closed|socket hang up|ECONNRESET|EPIPE|UND_ERR_SOCKET/;

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
  /**
   * The SDK's error. The `ProviderError` keeps only a `ProviderErrorCause` of it (class name,
   * status, request id, type, code, message and stack through `redact`), never the error itself.
   */
  readonly cause: unknown;
  /**
   * Removes the configured secrets from the cause's texts (`sdkErrorMapper` passes its own).
   * Default: credential- and key-shaped text only.
   */
  readonly redact?: ((text: string) => string) | undefined;
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
      cause: reportCause(report),
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
  report: Pick<ApiErrorReport, "provider" | "label" | "message" | "cause" | "redact"> & {
    readonly networkAdvice: string;
  },
): ProviderError {
  const cause = reportCause(report);
  if (isConnectionDrop(cause)) {
    return new ProviderError(
      "network",
      `${report.label} connection dropped during the response: ${report.message}. ${report.networkAdvice}`,
      { provider: report.provider, retryable: true, cause },
    );
  }
  return new ProviderError(
    "invalid_response",
    `${report.label} response could not be read: ${report.message}`,
    { provider: report.provider, retryable: false, cause },
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
   * What to do, appended to the message, where this API's words differ from `PROVIDER_ERROR_ADVICE`
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

/**
 * What to do about a refusal, the same for every HTTP API: the sentence Loom's providers append to
 * an error's message (`apiProviderError`'s `advice`), so a third-party provider can word its errors
 * the same way. `auth` and `quota_exceeded` name the API's own key variable and billing, so each
 * provider words them itself.
 */
export const PROVIDER_ERROR_ADVICE: Readonly<Partial<Record<ProviderErrorCode, string>>> = {
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
 * `classifyApiError` and `apiProviderError`, else an unreadable response). No secret is reachable
 * from it: the configured secrets, `keyShape` and credential-shaped text are removed from its
 * message, and its `cause` is a `ProviderErrorCause` (redacted too), never the SDK's error with
 * its body, headers and request.
 */
export function sdkErrorMapper(
  mapping: SdkErrorMapping,
): (error: unknown, signal: AbortSignal, secrets: readonly string[]) => ProviderError {
  const { provider, label } = mapping;
  const advice = (code: ProviderErrorCode) => mapping.advice[code] ?? PROVIDER_ERROR_ADVICE[code] ?? "";
  return (error, signal, secrets) => {
    const redact = (text: string) => redactSecrets(text, secrets, mapping.keyShape);
    if (ProviderError.isInstance(error)) return error;
    const classes = mapping.errorClasses;
    if (signal.aborted || error instanceof classes.abort) {
      return new ProviderError("aborted", `The ${label} call was aborted.`, {
        provider,
        retryable: false,
        cause: redactedCause(error, redact),
      });
    }
    if (error instanceof classes.timeout || error instanceof classes.connection) {
      const what = error instanceof classes.timeout ? "request timed out" : "connection failed";
      return new ProviderError(
        "network",
        `${label} ${what}: ${sentence(redact(error.message))} ${advice("network")}`,
        { provider, retryable: true, cause: redactedCause(error, redact) },
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
        redact,
      });
    }
    const message = error instanceof Error ? error.message : String(error);
    return unreadableResponseError({
      provider,
      label,
      message: redact(message),
      networkAdvice: advice("network"),
      cause: error,
      redact,
    });
  };
}

function sentence(text: string): string {
  return /[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`;
}
