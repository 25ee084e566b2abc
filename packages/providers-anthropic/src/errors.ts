import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from "@anthropic-ai/sdk";
import {
  type ApiErrorVocabulary,
  apiProviderError,
  classifyApiError,
  ProviderError,
  type ProviderErrorCode,
  redactSecrets,
  unreadableResponseError,
} from "@loom/core";

const PROVIDER = "anthropic";

const VOCABULARY: ApiErrorVocabulary = {
  quota_exceeded: { kind: /billing_error/, message: /credit balance is too low/i },
  context_length: { message: /prompt is too long|context window|maximum context length/i },
  rate_limited: { kind: /rate_limit/ },
  auth: { kind: /authentication_error|permission_error/ },
  overloaded: { kind: /overloaded_error/ },
  bad_request: { kind: /invalid_request_error/ },
};

const ADVICE: Record<ProviderErrorCode, string> = {
  rate_limited: "The executor retries after the delay the API asked for.",
  quota_exceeded: "Check the plan and billing of the Anthropic organization; retrying will not help.",
  overloaded: "The API is overloaded; the executor retries with backoff.",
  bad_request: "Fix the request (model, settings, messages or tools); retrying will not help.",
  not_found: "Check the model id and that the API key's project can use it.",
  auth: "Check the apiKey option or the ANTHROPIC_API_KEY environment variable.",
  context_length: "Shorten the conversation (a compression strategy) or use a model with a larger window.",
  network: "Check the network and baseURL; the executor retries.",
  aborted: "The call was cancelled through its AbortSignal.",
  invalid_response: "The server sent something that is not a valid Anthropic response; check baseURL.",
  server_error: "The provider failed on its side; the executor retries with backoff.",
  unknown: "",
};

/** Maps anything the @anthropic-ai/sdk throws to a `ProviderError` with the most precise code. */
export function toProviderError(
  error: unknown,
  signal: AbortSignal,
  secrets: readonly string[],
): ProviderError {
  if (ProviderErrorLike(error)) return error;
  if (signal.aborted || error instanceof APIUserAbortError) {
    return new ProviderError("aborted", "The Anthropic call was aborted.", {
      provider: PROVIDER,
      retryable: false,
      cause: error,
    });
  }
  if (error instanceof APIConnectionTimeoutError || error instanceof APIConnectionError) {
    const timeout = error instanceof APIConnectionTimeoutError;
    return new ProviderError(
      "network",
      `Anthropic ${timeout ? "request timed out" : "connection failed"}: ${redact(error.message, secrets)}. ${ADVICE.network}`,
      { provider: PROVIDER, retryable: true, cause: error },
    );
  }
  if (error instanceof APIError) {
    const outer = (error.error ?? {}) as {
      error?: { message?: unknown; type?: unknown };
      request_id?: unknown;
    };
    const inner = outer.error ?? {};
    const type = typeof inner.type === "string" ? inner.type : (error.type ?? undefined);
    const errorCode = error.errorCode ?? undefined;
    const apiMessage = typeof inner.message === "string" ? inner.message : error.message;
    const bodyRequestId = typeof outer.request_id === "string" ? outer.request_id : undefined;
    const headers = error.headers;
    const code = classifyApiError({ status: error.status, type, errorCode, message: apiMessage }, VOCABULARY);
    return apiProviderError({
      provider: PROVIDER,
      label: "Anthropic",
      code,
      status: error.status,
      type,
      errorCode,
      message: redact(apiMessage, secrets),
      headers,
      requestId: error.requestID ?? headers?.get("request-id") ?? bodyRequestId,
      advice: ADVICE[code],
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return unreadableResponseError({
    provider: PROVIDER,
    label: "Anthropic",
    message: redact(message, secrets),
    networkAdvice: ADVICE.network,
    cause: error,
  });
}

function ProviderErrorLike(error: unknown): error is ProviderError {
  return ProviderError.isInstance(error);
}

/** API keys never leave in a message: the configured ones, and anything shaped like a key. */
export function redact(text: string, secrets: readonly string[]): string {
  return redactSecrets(text, secrets, /\bsk-[A-Za-z0-9_*-]{6,}/g);
}
