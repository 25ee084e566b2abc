import { APICallError, InvalidPromptError, UnsupportedFunctionalityError } from "@ai-sdk/provider";
import {
  type ApiErrorVocabulary,
  apiProviderError,
  classifyApiError,
  PROVIDER_ERROR_ADVICE,
  ProviderError,
  type ProviderErrorCode,
  redactSecrets,
  unreadableResponseError,
} from "@loom/core";

/** How the APIs behind the AI SDK's providers name their errors (OpenAI's and Anthropic's words, and HTTP's). */
const VOCABULARY: ApiErrorVocabulary = {
  quota_exceeded: {
    kind: /insufficient_quota|billing_error/,
    message: /credit balance is too low|exceeded your current quota/i,
  },
  context_length: {
    kind: /context_length_exceeded/,
    message: /prompt is too long|context window|maximum context length|context length/i,
  },
  not_found: { kind: /model_not_found|not_found_error/ },
  rate_limited: { kind: /rate_limit/ },
  auth: { kind: /authentication_error|permission_error|invalid_api_key/ },
  overloaded: { kind: /overloaded_error/ },
  bad_request: { kind: /invalid_request_error/ },
};

/** Codes whose call cannot succeed on a retry, whatever the status says (a 429 for an exhausted quota). */
const NEVER_RETRY = new Set<ProviderErrorCode>([
  "quota_exceeded",
  "auth",
  "bad_request",
  "context_length",
  "not_found",
]);

/** Loom's shared advice, with the words that differ for a model whose key the AI SDK holds. */
const ADVICE: Readonly<Partial<Record<ProviderErrorCode, string>>> = {
  ...PROVIDER_ERROR_ADVICE,
  not_found: "Check the model id and that the API key can use it.",
  quota_exceeded: "Check the plan and billing of the account; retrying will not help.",
  auth: "Check the API key the AI SDK provider was created with.",
};

const KEY_SHAPE = /\bsk-[A-Za-z0-9_*-]{6,}/g;

interface ErrorBody {
  readonly type: string | undefined;
  readonly errorCode: string | undefined;
  readonly message: string | undefined;
  /** Anthropic's error bodies name the request (`request_id`). */
  readonly requestId?: string | undefined;
}

/** `{ error: { type, code, message } }` (OpenAI, Anthropic), `{ type, code, message }`, or nothing. */
function errorBody(value: unknown): ErrorBody {
  let body = value;
  if (typeof body === "string") {
    try {
      body = JSON.parse(body);
    } catch {
      return { type: undefined, errorCode: undefined, message: undefined };
    }
  }
  const outer = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  const inner = (typeof outer.error === "object" && outer.error !== null ? outer.error : outer) as Record<
    string,
    unknown
  >;
  const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  return {
    type: str(inner.type) ?? (outer.type !== "error" ? str(outer.type) : undefined),
    errorCode: str(inner.code) ?? (typeof inner.code === "number" ? String(inner.code) : undefined),
    message: str(inner.message) ?? str(outer.message),
    requestId: str(outer.request_id),
  };
}

/**
 * Maps what an AI SDK model throws, or sends as a stream `error` part, to a `ProviderError`:
 * `APICallError`'s status, response headers (`retry-after-ms`, `retry-after`, `x-should-retry`),
 * error body and `isRetryable`; the AI SDK's abort; a connection that failed or dropped. No
 * secret is reachable from it: `secrets`, key shapes and credentials are removed from every text,
 * and the `cause` is a redacted copy of the AI SDK's error, never the error (whose
 * `requestBodyValues`, body and headers it keeps).
 */
export function toProviderError(
  error: unknown,
  signal: AbortSignal,
  context: {
    readonly provider: string;
    readonly secrets: readonly string[];
    /** The error came as a stream `error` part of a 200 answer: it has no HTTP status. */
    readonly inStream?: boolean;
    readonly requestId?: string | undefined;
  },
): ProviderError {
  const { provider, secrets } = context;
  if (ProviderError.isInstance(error)) return error;
  const redact = (text: string) => redactSecrets(text, secrets, KEY_SHAPE);
  const label = `AI SDK ${provider}`;
  if (signal.aborted || isAbortError(error)) {
    return new ProviderError("aborted", `The ${label} call was aborted.`, {
      provider,
      retryable: false,
      ...causeOf(error, redact, provider, label),
    });
  }
  if (APICallError.isInstance(error)) {
    const headers = new Headers();
    for (const [key, value] of Object.entries(error.responseHeaders ?? {}))
      if (value !== undefined) headers.set(key, value);
    if (error.statusCode !== undefined && error.statusCode >= 200 && error.statusCode < 300) {
      // The answer broke off while it was read ("Failed to process successful response").
      return unreadableResponseError({
        provider,
        label,
        message: redact(error.message),
        networkAdvice: ADVICE.network ?? "",
        cause: error,
        redact,
      });
    }
    // An error event in a stream (the AI SDK may throw it before returning the stream): the HTTP
    // status was 200, and the AI SDK's statusCode is one it inferred from the error's code.
    const inStream = context.inStream || (headers.get("content-type") ?? "").includes("text/event-stream");
    const status = inStream ? undefined : error.statusCode;
    if (status === undefined && !inStream) {
      return new ProviderError(
        "network",
        `${label} connection failed: ${redact(error.message)} ${ADVICE.network}`,
        {
          provider,
          retryable: error.isRetryable,
          ...causeOf(error, redact, provider, label),
        },
      );
    }
    const fromData = errorBody(error.data);
    const fromText = errorBody(error.responseBody);
    const body = fromData.type || fromData.errorCode || fromData.message ? fromData : fromText;
    return refusal(
      {
        status,
        type: body.type,
        errorCode: body.errorCode,
        message: body.message ?? error.message,
        headers,
        requestId:
          headers.get("request-id") ??
          headers.get("x-request-id") ??
          fromData.requestId ??
          fromText.requestId ??
          context.requestId,
        isRetryable: error.isRetryable,
      },
      error,
      provider,
      label,
      redact,
    );
  }
  if (UnsupportedFunctionalityError.isInstance(error) || InvalidPromptError.isInstance(error)) {
    // The model refused the prompt while writing its request (a file at a URL it cannot fetch, a
    // media type it does not take): nothing was sent, and the same prompt fails again.
    return new ProviderError(
      "bad_request",
      `${label} cannot send this prompt: ${redact(error.message)} Nothing was sent. For an attachment, send its bytes as "data" instead of a URL, or a media type the model takes.`,
      { provider, retryable: false, ...causeOf(error, redact, provider, label) },
    );
  }
  if (!(error instanceof Error) && typeof error === "object" && error !== null) {
    // A stream `error` part: the provider's error event (`{ type, message }`), possibly with
    // the AI SDK's `isRetryable` and a `statusCode` it inferred (the HTTP status was 200: the
    // `ProviderError` has none, as with the native providers).
    const fields = error as { isRetryable?: unknown };
    const body = errorBody(error);
    if (body.type !== undefined || body.message !== undefined) {
      return refusal(
        {
          status: undefined,
          type: body.type,
          errorCode: body.errorCode,
          message: body.message ?? "The stream reported an error.",
          headers: undefined,
          requestId: body.requestId ?? context.requestId,
          isRetryable: typeof fields.isRetryable === "boolean" ? fields.isRetryable : undefined,
        },
        error,
        provider,
        label,
        redact,
      );
    }
  }
  const message = error instanceof Error ? error.message : String(error);
  return unreadableResponseError({
    provider,
    label,
    message: redact(message),
    networkAdvice: ADVICE.network ?? "",
    cause: error,
    redact,
  });
}

function refusal(
  report: {
    status: number | undefined;
    type: string | undefined;
    errorCode: string | undefined;
    message: string;
    headers: Headers | undefined;
    requestId: string | undefined;
    isRetryable: boolean | undefined;
  },
  error: unknown,
  provider: string,
  label: string,
  redact: (text: string) => string,
): ProviderError {
  const message = redact(report.message);
  const code = classifyApiError({ ...report, message }, VOCABULARY);
  const mapped = apiProviderError({
    ...report,
    provider,
    label,
    code,
    message,
    advice: ADVICE[code] ?? "",
    cause: error,
    redact,
  });
  // The API's own word (x-should-retry) first, then a code that no retry can fix, then the AI SDK's.
  const shouldRetry = report.headers?.get("x-should-retry");
  const retryable =
    shouldRetry === "true" || shouldRetry === "false"
      ? shouldRetry === "true"
      : NEVER_RETRY.has(code)
        ? false
        : (report.isRetryable ?? mapped.retryable);
  if (retryable === mapped.retryable) return mapped;
  return new ProviderError(code, mapped.message, {
    provider,
    retryable,
    retryAfterMs: mapped.retryAfterMs,
    status: mapped.status,
    requestId: mapped.requestId,
    cause: mapped.cause,
  });
}

/** A redacted cause for an error that is not an API refusal (an abort, a connection failure). */
function causeOf(
  error: unknown,
  redact: (text: string) => string,
  provider: string,
  label: string,
): { cause?: unknown } {
  if (error === undefined) return {};
  // unreadableResponseError builds the same redacted ProviderErrorCause the refusals keep.
  return {
    cause: unreadableResponseError({ provider, label, message: "", networkAdvice: "", cause: error, redact })
      .cause,
  };
}

function isAbortError(error: unknown): boolean {
  return (
    (error instanceof Error || (typeof DOMException === "function" && error instanceof DOMException)) &&
    (error.name === "AbortError" || error.name === "ResponseAborted")
  );
}
