import {
  type ApiErrorVocabulary,
  apiProviderError,
  classifyApiError,
  ProviderError,
  type ProviderErrorCode,
  redactSecrets,
  unreadableResponseError,
} from "@loom/core";
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";

const PROVIDER = "openai";

const VOCABULARY: ApiErrorVocabulary = {
  quota_exceeded: { kind: /insufficient_quota|billing_hard_limit/ },
  context_length: {
    kind: /context_length_exceeded|string_above_max_length/,
    message: /maximum context length|context window/i,
  },
  not_found: { kind: /model_not_found/ },
  rate_limited: { kind: /rate_limit/ },
  auth: { kind: /invalid_api_key|authentication|permission/ },
  overloaded: { kind: /server_is_overloaded|overloaded/ },
  bad_request: { kind: /invalid_request_error/ },
};

const ADVICE: Record<ProviderErrorCode, string> = {
  rate_limited: "The executor retries after the delay the API asked for.",
  quota_exceeded: "Check the plan and billing of the OpenAI account; retrying will not help.",
  overloaded: "The API is overloaded; the executor retries with backoff.",
  bad_request: "Fix the request (model, settings, messages or tools); retrying will not help.",
  not_found: "Check the model id and that the API key's project can use it.",
  auth: "Check the apiKey option or the OPENAI_API_KEY environment variable.",
  context_length: "Shorten the conversation (a compression strategy) or use a model with a larger window.",
  network: "Check the network and baseURL; the executor retries.",
  aborted: "The call was cancelled through its AbortSignal.",
  invalid_response: "The server sent something that is not a valid OpenAI response; check baseURL.",
  server_error: "The provider failed on its side; the executor retries with backoff.",
  unknown: "",
};

/** Maps anything the openai SDK throws to a `ProviderError` with the most precise code. */
export function toProviderError(
  error: unknown,
  signal: AbortSignal,
  secrets: readonly string[],
): ProviderError {
  if (ProviderErrorLike(error)) return error;
  if (signal.aborted || error instanceof APIUserAbortError) {
    return new ProviderError("aborted", "The OpenAI call was aborted.", {
      provider: PROVIDER,
      retryable: false,
      cause: error,
    });
  }
  if (error instanceof APIConnectionTimeoutError || error instanceof APIConnectionError) {
    const timeout = error instanceof APIConnectionTimeoutError;
    return new ProviderError(
      "network",
      `OpenAI ${timeout ? "request timed out" : "connection failed"}: ${redact(error.message, secrets)}. ${ADVICE.network}`,
      { provider: PROVIDER, retryable: true, cause: error },
    );
  }
  if (error instanceof APIError) {
    const body = (error.error ?? {}) as { message?: unknown; type?: unknown; code?: unknown };
    const type = typeof body.type === "string" ? body.type : (error.type ?? undefined);
    const errorCode = typeof body.code === "string" ? body.code : (error.code ?? undefined);
    const apiMessage = typeof body.message === "string" ? body.message : error.message;
    const headers = error.headers;
    const code = classifyApiError({ status: error.status, type, errorCode, message: apiMessage }, VOCABULARY);
    return apiProviderError({
      provider: PROVIDER,
      label: "OpenAI",
      code,
      status: error.status,
      type,
      errorCode,
      message: redact(apiMessage, secrets),
      headers,
      requestId: error.requestID ?? headers?.get("x-request-id") ?? undefined,
      advice: ADVICE[code],
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return unreadableResponseError({
    provider: PROVIDER,
    label: "OpenAI",
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
