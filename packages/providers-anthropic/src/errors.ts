import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from "@anthropic-ai/sdk";
import { type ApiErrorVocabulary, sdkErrorMapper } from "@loom/core";

const VOCABULARY: ApiErrorVocabulary = {
  quota_exceeded: { kind: /billing_error/, message: /credit balance is too low/i },
  context_length: { message: /prompt is too long|context window|maximum context length/i },
  rate_limited: { kind: /rate_limit/ },
  auth: { kind: /authentication_error|permission_error/ },
  overloaded: { kind: /overloaded_error/ },
  bad_request: { kind: /invalid_request_error/ },
};

/** Maps anything the @anthropic-ai/sdk throws to a `ProviderError` with the most precise code. */
export const toProviderError = sdkErrorMapper({
  provider: "anthropic",
  label: "Anthropic",
  vocabulary: VOCABULARY,
  advice: {
    quota_exceeded: "Check the plan and billing of the Anthropic organization; retrying will not help.",
    auth: "Check the apiKey option or the ANTHROPIC_API_KEY environment variable.",
  },
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
