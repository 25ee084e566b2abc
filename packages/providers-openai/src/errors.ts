import { type ApiErrorVocabulary, sdkErrorMapper } from "@loom/core";
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";

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

/** Maps anything the openai SDK throws to a `ProviderError` with the most precise code. */
export const toProviderError = sdkErrorMapper({
  provider: "openai",
  label: "OpenAI",
  vocabulary: VOCABULARY,
  advice: {
    quota_exceeded: "Check the plan and billing of the OpenAI account; retrying will not help.",
    auth: "Check the apiKey option or the OPENAI_API_KEY environment variable.",
  },
  keyShape: /\bsk-[A-Za-z0-9_*-]{6,}/g,
  errorClasses: {
    abort: APIUserAbortError,
    timeout: APIConnectionTimeoutError,
    connection: APIConnectionError,
  },
  apiError: (error) => {
    if (!(error instanceof APIError)) return undefined;
    const body = (error.error ?? {}) as { message?: unknown; type?: unknown; code?: unknown };
    const headers = error.headers;
    return {
      status: error.status,
      type: typeof body.type === "string" ? body.type : (error.type ?? undefined),
      errorCode: typeof body.code === "string" ? body.code : (error.code ?? undefined),
      message: typeof body.message === "string" ? body.message : error.message,
      headers,
      requestId: error.requestID ?? headers?.get("x-request-id") ?? undefined,
    };
  },
});
