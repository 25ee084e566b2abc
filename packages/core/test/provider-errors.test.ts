import {
  classifyApiError,
  isConnectionDrop,
  ProviderError,
  redactSecrets,
  retryAfterFromHeaders,
  retryHintFromMessage,
  sdkErrorMapper,
  shouldRetryHeader,
} from "@loom/core";
import { describe, expect, it } from "vitest";

describe("provider error helpers", () => {
  it("reads retry-after-ms, then retry-after in seconds or as a date", () => {
    expect(retryAfterFromHeaders(new Headers({ "retry-after-ms": "250", "retry-after": "9" }))).toBe(250);
    expect(retryAfterFromHeaders(new Headers({ "retry-after": "2" }))).toBe(2000);
    const inFive = new Date(Date.now() + 5000).toUTCString();
    expect(retryAfterFromHeaders(new Headers({ "retry-after": inFive }))).toBeGreaterThan(3000);
    expect(retryAfterFromHeaders(new Headers({ "retry-after": "soon" }))).toBeUndefined();
    expect(retryAfterFromHeaders(undefined)).toBeUndefined();
  });

  it("reads the wait a rate-limit message names, and x-should-retry", () => {
    expect(retryHintFromMessage("Please try again in 1.146s.")).toBe(1146);
    expect(retryHintFromMessage("try again in 20ms")).toBe(20);
    expect(retryHintFromMessage("slow down")).toBeUndefined();
    expect(shouldRetryHeader(new Headers({ "x-should-retry": "false" }))).toBe(false);
    expect(shouldRetryHeader(new Headers())).toBeUndefined();
  });

  it("removes secrets and key shapes, and recognises a dropped connection", () => {
    expect(redactSecrets("key abc123 and sk-live-0123456789", ["abc123"], /\bsk-[A-Za-z0-9_*-]{6,}/g)).toBe(
      "key [redacted] and sk-[redacted]",
    );
    expect(
      isConnectionDrop(
        new Error("fetch failed", { cause: Object.assign(new Error("x"), { code: "ECONNRESET" }) }),
      ),
    ).toBe(true);
    expect(isConnectionDrop(new Error("bad json"))).toBe(false);
  });
});

describe("classifyApiError", () => {
  const vocabulary = {
    quota_exceeded: { kind: /insufficient_quota/ },
    context_length: { message: /context window/i },
    overloaded: { kind: /overloaded_error/ },
  };
  const code = (status: number | undefined, type?: string, message = "x") =>
    classifyApiError({ status, type, errorCode: undefined, message }, vocabulary);

  it("takes what the API named before the status", () => {
    expect(code(429, "insufficient_quota")).toBe("quota_exceeded");
    expect(code(400, "invalid_request_error", "exceeds the Context Window")).toBe("context_length");
    expect(code(undefined, "overloaded_error")).toBe("overloaded");
  });

  it("falls back to the HTTP status, and knows a server error inside a 200 stream", () => {
    expect([429, 401, 403, 404, 503, 529, 408, 400, 413, 422, 500, 502, 418].map((s) => code(s))).toEqual([
      "rate_limited",
      "auth",
      "auth",
      "not_found",
      "overloaded",
      "overloaded",
      "network",
      "bad_request",
      "bad_request",
      "bad_request",
      "server_error",
      "server_error",
      "unknown",
    ]);
    expect(code(undefined, "api_error")).toBe("server_error");
    expect(code(undefined, "something_else")).toBe("unknown");
  });
});

describe("sdkErrorMapper", () => {
  class Abort extends Error {}
  class Timeout extends Error {}
  class Refusal extends Error {
    constructor(
      readonly status: number,
      readonly body: { type: string; message: string },
    ) {
      super(body.message);
    }
  }
  const advice = Object.fromEntries(
    [
      "rate_limited",
      "quota_exceeded",
      "overloaded",
      "bad_request",
      "not_found",
      "auth",
      "context_length",
      "network",
      "aborted",
      "invalid_response",
      "server_error",
      "unknown",
    ].map((c) => [c, `(${c} advice)`]),
  ) as never;
  const toProviderError = sdkErrorMapper({
    provider: "acme",
    label: "Acme",
    vocabulary: { overloaded: { kind: /busy/ } },
    advice,
    keyShape: /\bak-[a-z0-9]{6,}/g,
    errorClasses: { abort: Abort, timeout: Timeout, connection: Timeout },
    apiError: (e) =>
      e instanceof Refusal
        ? {
            status: e.status,
            type: e.body.type,
            errorCode: undefined,
            message: e.body.message,
            headers: undefined,
            requestId: "req_1",
          }
        : undefined,
  });
  const live = new AbortController().signal;

  it("maps each kind of SDK error to its code, with the provider's name and advice", () => {
    expect(toProviderError(new Abort("stop"), live, []).code).toBe("aborted");
    const timeout = toProviderError(new Timeout("slow"), live, []);
    expect([timeout.code, timeout.retryable, timeout.message]).toEqual([
      "network",
      true,
      "Acme request timed out: slow. (network advice)",
    ]);
    const busy = toProviderError(new Refusal(500, { type: "busy", message: "try later" }), live, []);
    expect([busy.code, busy.retryable, busy.status, busy.requestId]).toEqual([
      "overloaded",
      true,
      500,
      "req_1",
    ]);
    expect(busy.message).toContain("(overloaded advice)");
    expect(toProviderError(new Error("garbled"), live, []).code).toBe("invalid_response");
    const same = new ProviderError("auth", "no", { provider: "acme", retryable: false });
    expect(toProviderError(same, live, [])).toBe(same);
  });

  it("calls anything thrown after the signal aborted an abort", () => {
    const controller = new AbortController();
    controller.abort();
    expect(toProviderError(new Error("socket closed"), controller.signal, []).code).toBe("aborted");
  });

  it("removes the configured secrets and key-shaped text from every message", () => {
    const e = toProviderError(
      new Refusal(401, { type: "auth", message: "bad key s3cr3t-value or ak-abcdef123" }),
      live,
      ["s3cr3t-value"],
    );
    expect(e.code).toBe("auth");
    expect(e.message).not.toContain("s3cr3t-value");
    expect(e.message).not.toContain("abcdef123");
  });
});
