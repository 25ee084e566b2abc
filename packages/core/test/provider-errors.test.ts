import {
  isConnectionDrop,
  redactSecrets,
  retryAfterFromHeaders,
  retryHintFromMessage,
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
