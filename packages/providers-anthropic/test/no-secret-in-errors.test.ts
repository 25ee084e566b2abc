import { createAgent, MemoryJournal, ProviderError, RunFailedError, readAll } from "@loom/core";
import {
  failedCall,
  jsonExchange,
  type RecordedExchange,
  type ReplayServerOptions,
  secretLeaks,
  sseExchange,
  startReplayServer,
  userRequest,
} from "@loom/testing";
import { describe, expect, it } from "vitest";
import { type AnthropicProviderOptions, createAnthropicProvider } from "../src/index.js";

// Issue 12, "Secrets": no API key may be reachable from any error Loom throws, at any depth
// (message, cause, own properties, stack, what console.error prints), nor from the journal.
const KEY = "sk-ant-api03-SECRET123abcdefghijklmnop";
// A key that looks like no key (a gateway's token): only the exact string can find it.
const PLAIN_KEY = "gateway-token-PLAINSECRET987";

const echo = (key: string, status: number, type: string) =>
  jsonExchange(
    status,
    { type: "error", error: { type, message: `invalid x-api-key: ${key}` }, request_id: `req_${status}body` },
    { "request-id": `req_${status}echo`, "x-debug-authorization": `Bearer ${key}` },
  );

const messageStart = {
  type: "message_start",
  message: {
    model: "claude-haiku-4-5-20251001",
    id: "msg_01X",
    type: "message",
    role: "assistant",
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: 1 },
  },
};

async function providerError(
  exchanges: readonly RecordedExchange[],
  options: Partial<AnthropicProviderOptions> = {},
  server: ReplayServerOptions = {},
): Promise<ProviderError> {
  const replay = await startReplayServer(exchanges, server);
  try {
    const provider = createAnthropicProvider({
      model: "claude-haiku-4-5",
      apiKey: KEY,
      baseURL: replay.url,
      ...options,
    });
    const error = await failedCall(provider, userRequest("hi"));
    expect(ProviderError.isInstance(error)).toBe(true);
    return error as ProviderError;
  } finally {
    await replay.close();
  }
}

/** The error is clean of `key` and of any key-shaped text. */
function expectClean(e: unknown, key = KEY): void {
  expect(secretLeaks(e, key)).toEqual([]);
  expect(secretLeaks(e, "SECRET123")).toEqual([]);
}

describe("no Anthropic API key in any error", () => {
  it.each([false, true])(
    "a 401 echoing the key (stream %s): auth, status and request id kept, key nowhere",
    async (stream) => {
      const e = await providerError([echo(KEY, 401, "authentication_error")], { stream });
      expect([e.code, e.status, e.requestId]).toEqual(["auth", 401, "req_401echo"]);
      expectClean(e);
      // What is kept of the SDK's error: its class, status, request id, type, redacted message.
      expect(e.cause).toMatchObject({
        name: "AuthenticationError",
        status: 401,
        requestId: "req_401echo",
        type: "authentication_error",
      });
      expect((e.cause as Error).message).toContain("[redacted]");
      expect((e.cause as Error).stack).toContain("AuthenticationError");
    },
  );

  it("a 400 echoing the key", async () => {
    const e = await providerError([echo(KEY, 400, "invalid_request_error")]);
    expect([e.code, e.status]).toEqual(["bad_request", 400]);
    expectClean(e);
  });

  it("a 500 echoing the key", async () => {
    const e = await providerError([echo(KEY, 500, "api_error")]);
    expect([e.code, e.retryable]).toEqual(["server_error", true]);
    expectClean(e);
  });

  it("an error event inside a 200 stream echoing the key", async () => {
    const error = { type: "error", error: { type: "overloaded_error", message: `Overloaded for ${KEY}` } };
    const e = await providerError([sseExchange([messageStart, error], { named: true })], { stream: true });
    expect(e.code).toBe("overloaded");
    expectClean(e);
  });

  it("a key shaped like no key is removed by its exact string", async () => {
    const e = await providerError([echo(PLAIN_KEY, 401, "authentication_error")], { apiKey: PLAIN_KEY });
    expect(e.code).toBe("auth");
    expectClean(e, PLAIN_KEY);
  });

  it("a connection that cannot be made: network, with the cause's code kept", async () => {
    const replay = await startReplayServer([]);
    const url = replay.url;
    await replay.close();
    const provider = createAnthropicProvider({ model: "claude-haiku-4-5", apiKey: KEY, baseURL: url });
    const e = (await failedCall(provider, userRequest("hi"))) as ProviderError;
    expect([e.code, e.retryable]).toEqual(["network", true]);
    expectClean(e);
    expect(JSON.stringify(causeCodes(e))).toContain("ECONNREFUSED");
  });

  it("a connection dropped during the stream", async () => {
    const delta = { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "a" } };
    const e = await providerError(
      [sseExchange([messageStart, delta, delta], { named: true })],
      { stream: true },
      { cutAfterEvents: 1 },
    );
    expect(e.code).toBe("network");
    expectClean(e);
  });

  it("a timeout and an abort", async () => {
    const timedOut = await providerError([], { timeoutMs: 100 }, { hold: true });
    expect(timedOut.code).toBe("network");
    expectClean(timedOut);

    const replay = await startReplayServer([], { hold: true });
    try {
      const provider = createAnthropicProvider({
        model: "claude-haiku-4-5",
        apiKey: KEY,
        baseURL: replay.url,
      });
      const controller = new AbortController();
      const parts = provider.doStream(userRequest("hi"), { signal: controller.signal });
      const failed = (async () => {
        for await (const _ of parts);
      })().catch((e: unknown) => e);
      await replay.waitForCalls(1);
      controller.abort(new Error(`stopped by the user holding ${KEY}`));
      const e = (await failed) as ProviderError;
      expect(e.code).toBe("aborted");
      expectClean(e);
    } finally {
      await replay.close();
    }
  });

  it("a run that fails on a 401 echoing the key: not in the RunFailedError, not in the journal", async () => {
    const replay = await startReplayServer([echo(KEY, 401, "authentication_error")]);
    try {
      const journal = new MemoryJournal();
      const agent = createAgent({
        journal,
        retry: { maxRetries: 0 },
        provider: createAnthropicProvider({ model: "claude-haiku-4-5", apiKey: KEY, baseURL: replay.url }),
      });
      const error = await agent.run("hi", { threadId: "secret" }).catch((e: unknown) => e);
      expect(RunFailedError.isInstance(error)).toBe(true);
      expect((error as Error).message).toContain("ANTHROPIC_API_KEY");
      expectClean(error);
      const events = await readAll(journal, "secret");
      expect(events.some((e) => e.type === "llm.failed")).toBe(true);
      expect(JSON.stringify(events)).not.toContain(KEY);
      expect(secretLeaks(events, KEY)).toEqual([]);
    } finally {
      await replay.close();
    }
  });
});

function causeCodes(error: unknown): unknown[] {
  const codes: unknown[] = [];
  for (let e: unknown = error; e instanceof Error; e = e.cause) codes.push((e as { code?: unknown }).code);
  return codes;
}
