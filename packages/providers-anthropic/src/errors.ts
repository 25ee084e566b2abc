import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from "@anthropic-ai/sdk";
import { type ApiErrorVocabulary, type ProviderErrorCode, sdkErrorMapper } from "@loom/core";

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
export const toProviderError = sdkErrorMapper({
  provider: "anthropic",
  label: "Anthropic",
  vocabulary: VOCABULARY,
  advice: ADVICE,
  keyShape: /\bsk-[A-Za-z0-9_*-]{6,}/g,
  errorClasses: {
    abort: APIUserAbortError,
    timeout: APIConnectionTimeoutError,
    connection: APIConnectionError,
  },
  apiError: (error) => {
    if (!(error instanceof APIError)) return undefined;
    const outer = (error.error ?? {}) as {
      error?: { message?: unknown; type?: unknown };
      request_id?: unknown;
    };
    const inner = outer.error ?? {};
    const headers = error.headers;
    const bodyRequestId = typeof outer.request_id === "string" ? outer.request_id : undefined;
    return {
      status: error.status,
      type: typeof inner.type === "string" ? inner.type : (error.type ?? undefined),
      errorCode: error.errorCode ?? undefined,
      message: typeof inner.message === "string" ? inner.message : error.message,
      headers,
      requestId: error.requestID ?? headers?.get("request-id") ?? bodyRequestId,
    };
  },
});
