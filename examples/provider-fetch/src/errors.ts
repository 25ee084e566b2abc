import {
  type ApiErrorVocabulary,
  apiProviderError,
  classifyApiError,
  isConnectionDrop,
  PROVIDER_ERROR_ADVICE,
  ProviderError,
  type ProviderErrorCode,
  redactSecrets,
} from "@loom/core";

/** How OpenAI names its errors, for `classifyApiError`. */
const VOCABULARY: ApiErrorVocabulary = {
  quota_exceeded: { kind: /insufficient_quota|billing_hard_limit/ },
  context_length: { kind: /context_length_exceeded/, message: /maximum context length|context window/i },
  not_found: { kind: /model_not_found/ },
  rate_limited: { kind: /rate_limit/ },
  auth: { kind: /invalid_api_key|authentication|permission/ },
  overloaded: { kind: /server_is_overloaded|overloaded/ },
  bad_request: { kind: /invalid_request_error/ },
};

const PROVIDER = "openai-fetch";
const LABEL = "OpenAI";
const KEY_SHAPE = /\bsk-[A-Za-z0-9_*-]{6,}/g;

/** Loom's advice for each code, with this API's own words where they differ (which key, whose billing). */
function advice(code: ProviderErrorCode): string {
  if (code === "auth") return "Check the apiKey option or the OPENAI_API_KEY environment variable.";
  if (code === "quota_exceeded")
    return "Check the plan and billing of the OpenAI account; retrying will not help.";
  return PROVIDER_ERROR_ADVICE[code] ?? "";
}

/** An error body (`{ error: { message, type, code } }`) or an error event of a stream, as a `ProviderError`. */
export function refusalError(
  body: unknown,
  response: { status: number | undefined; headers: Headers },
  secrets: readonly string[],
): ProviderError {
  const error = (
    typeof body === "object" && body !== null ? (body as { error?: unknown }).error : undefined
  ) as { message?: unknown; type?: unknown; code?: unknown } | undefined;
  const text = (value: unknown) => (typeof value === "string" && value ? value : undefined);
  const report = {
    status: response.status,
    type: text(error?.type),
    errorCode: text(error?.code),
    message: redactSecrets(
      text(error?.message) ?? (typeof body === "string" && body ? body : `HTTP ${response.status}`),
      secrets,
      KEY_SHAPE,
    ),
  };
  const code = classifyApiError(report, VOCABULARY);
  return apiProviderError({
    ...report,
    provider: PROVIDER,
    label: LABEL,
    code,
    headers: response.headers,
    requestId: response.headers.get("x-request-id") ?? undefined,
    advice: advice(code),
    cause: undefined,
  });
}

/**
 * Anything else a call fails with: the caller's abort, the timeout, a connection that failed or
 * dropped (retryable), a body that is not what the API sends (not retryable).
 */
export function failureError(
  error: unknown,
  state: { aborted: boolean; timedOut: boolean; timeoutMs: number },
  secrets: readonly string[],
): ProviderError {
  if (ProviderError.isInstance(error)) return error;
  const message = redactSecrets(error instanceof Error ? error.message : String(error), secrets, KEY_SHAPE);
  if (state.aborted)
    return new ProviderError("aborted", `The ${LABEL} call was aborted.`, {
      provider: PROVIDER,
      retryable: false,
    });
  if (state.timedOut) {
    return new ProviderError(
      "network",
      `${LABEL} request timed out after ${state.timeoutMs} ms. ${advice("network")}`,
      { provider: PROVIDER, retryable: true },
    );
  }
  if (error instanceof TypeError && /fetch failed/.test(error.message)) {
    const cause = error.cause instanceof Error ? error.cause.message : message;
    return new ProviderError(
      "network",
      `${LABEL} connection failed: ${redactSecrets(cause, secrets, KEY_SHAPE)}. ${advice("network")}`,
      { provider: PROVIDER, retryable: true },
    );
  }
  if (isConnectionDrop(error)) {
    return new ProviderError(
      "network",
      `${LABEL} connection dropped during the response: ${message}. ${advice("network")}`,
      { provider: PROVIDER, retryable: true },
    );
  }
  return new ProviderError("invalid_response", `${LABEL} response could not be read: ${message}`, {
    provider: PROVIDER,
    retryable: false,
  });
}
