import { inspect } from "node:util";
import {
  apiProviderError,
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

  it("removes bearer tokens, key headers' values and a secret's escaped forms", () => {
    const text = [
      "Authorization: Bearer abc.DEF-123_x",
      '"x-api-key":"k3y-value"',
      "api-key=plain123",
      "proxy-authorization: Basic dXNlcjpwYXNz",
      `json ${JSON.stringify('s"q')} url ${encodeURIComponent("a b/c")}`,
    ].join(" | ");
    expect(redactSecrets(text, ['s"q', "a b/c"])).toBe(
      [
        "Authorization: Bearer [redacted]",
        '"x-api-key":"[redacted]"',
        "api-key=[redacted]",
        "proxy-authorization: Basic [redacted]",
        'json "[redacted]" url [redacted]',
      ].join(" | "),
    );
    for (const words of ["invalid x-api-key", "a basic plan, a Bearer token", "no API key: set one"]) {
      expect(redactSecrets(words, [])).toBe(words);
    }
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
    readonly headers = new Headers({ "x-echo": "s3cr3t-value" });
    readonly request = { headers: { authorization: "Bearer s3cr3t-value" } };
    constructor(
      readonly status: number,
      readonly body: { type: string; message: string },
    ) {
      super(`${status} ${body.message}`);
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

  /** Everything `console.error(error)` would print, and every message and stack of its causes. */
  const everything = (error: unknown) => {
    const texts = [inspect(error, { depth: Number.POSITIVE_INFINITY, showHidden: true }), String(error)];
    for (let e: unknown = error; e instanceof Error; e = e.cause) texts.push(e.message, e.stack ?? "");
    return texts.join("\n");
  };

  it("keeps a redacted copy of the SDK's error as the cause: class, status, request id, type, message", () => {
    const e = toProviderError(
      new Refusal(401, { type: "auth", message: "bad key s3cr3t-value or ak-abcdef123" }),
      live,
      ["s3cr3t-value"],
    );
    expect(e.cause).toBeInstanceOf(Error);
    expect(e.cause).toMatchObject({
      name: "Refusal",
      message: "401 bad key [redacted] or ak-[redacted]",
      status: 401,
      requestId: "req_1",
      type: "auth",
    });
    expect(e.cause).not.toHaveProperty("body");
    expect(e.cause).not.toHaveProperty("headers");
    expect(e.cause).not.toHaveProperty("request");
    expect((e.cause as Error).stack).toMatch(/^Refusal: 401 bad key \[redacted\]/);
    expect(everything(e)).not.toMatch(/s3cr3t-value|abcdef123/);
  });

  it("redacts the causes of a connection error, an abort's reason and anything else thrown", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED to s3cr3t-value"), {
      code: "ECONNREFUSED",
    });
    const network = toProviderError(
      new Timeout("Connection error.", { cause: new TypeError("fetch failed", { cause: refused }) }),
      live,
      ["s3cr3t-value"],
    );
    expect(network.code).toBe("network");
    expect((network.cause as Error).cause).toMatchObject({
      name: "TypeError",
      cause: { message: "connect ECONNREFUSED to [redacted]", code: "ECONNREFUSED" },
    });
    const controller = new AbortController();
    controller.abort(new Error("user gave up on s3cr3t-value"));
    const aborted = toProviderError(controller.signal.reason, controller.signal, ["s3cr3t-value"]);
    const odd = toProviderError({ weird: "s3cr3t-value" }, live, ["s3cr3t-value"]);
    const text = toProviderError("plain s3cr3t-value", live, ["s3cr3t-value"]);
    expect([aborted.code, odd.code, text.code]).toEqual(["aborted", "invalid_response", "invalid_response"]);
    for (const e of [network, aborted, odd, text]) expect(everything(e)).not.toContain("s3cr3t-value");
  });

  it("a refusal reported without the mapper keeps no raw error either, key shapes removed", () => {
    const e = apiProviderError({
      provider: "acme",
      label: "Acme",
      code: "auth",
      status: 401,
      type: "auth",
      errorCode: undefined,
      message: "bad key",
      headers: undefined,
      requestId: "req_2",
      advice: "",
      cause: new Refusal(401, { type: "auth", message: "bad key sk-live-0123456789 Bearer tok.en-98765" }),
    });
    expect(e.cause).toMatchObject({ name: "Refusal", status: 401, requestId: "req_2" });
    expect(everything(e)).not.toMatch(/0123456789|tok\.en|s3cr3t-value/);
  });
});
