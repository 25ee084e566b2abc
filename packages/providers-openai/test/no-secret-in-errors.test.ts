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
import { createOpenAIProvider, type OpenAIProviderOptions } from "../src/index.js";

// Issue 12, "Secrets": no API key may be reachable from any error Loom throws, at any depth
// (message, cause, own properties, stack, what console.error prints), nor from the journal.
const KEY = "sk-test-SECRET123abcdefghijklmnop";
// A key that looks like no key (a gateway's token): only the exact string can find it.
const PLAIN_KEY = "gateway-token-PLAINSECRET987";

const echo = (key: string, status: number, type: string, code: string | null) =>
  jsonExchange(
    status,
    { error: { message: `Incorrect API key provided: ${key}.`, type, param: null, code } },
    { "x-request-id": `req_${status}echo`, "x-debug-authorization": `Bearer ${key}` },
  );

async function providerError(
  exchanges: readonly RecordedExchange[],
  options: Partial<OpenAIProviderOptions> = {},
  server: ReplayServerOptions = {},
): Promise<ProviderError> {
  const replay = await startReplayServer(exchanges, server);
  try {
    const provider = createOpenAIProvider({
      model: "gpt-4o",
      apiKey: KEY,
      baseURL: `${replay.url}/v1`,
      ...options,
    });
    const error = await failedCall(provider, userRequest("hi"));
    expect(ProviderError.isInstance(error)).toBe(true);
    return error as ProviderError;
  } finally {
    await replay.close();
  }
}

/** The error is clean of `key`, and still says what a user needs to debug it. */
function expectClean(e: ProviderError, key = KEY): void {
  expect(secretLeaks(e, key)).toEqual([]);
  // Key-shaped text of any key, not only the configured one.
  expect(secretLeaks(e, "SECRET123")).toEqual([]);
}

describe("no OpenAI API key in any error", () => {
  it.each([
    ["chat", false],
    ["chat", true],
    ["responses", false],
    ["responses", true],
  ] as const)(
    "a 401 echoing the key (%s, stream %s): auth, status and request id kept, key nowhere",
    async (api, stream) => {
      const e = await providerError([echo(KEY, 401, "invalid_request_error", "invalid_api_key")], {
        api,
        stream,
      });
      expect([e.code, e.status, e.requestId]).toEqual(["auth", 401, "req_401echo"]);
      expectClean(e);
      // What is kept of the SDK's error: its class, status, request id, type/code, redacted message.
      expect(e.cause).toMatchObject({
        name: "AuthenticationError",
        status: 401,
        requestId: "req_401echo",
        type: "invalid_request_error",
        code: "invalid_api_key",
      });
      expect((e.cause as Error).message).toContain("[redacted]");
      expect((e.cause as Error).stack).toContain("AuthenticationError");
    },
  );

  it("a 400 echoing the key", async () => {
    const e = await providerError([echo(KEY, 400, "invalid_request_error", null)]);
    expect([e.code, e.status]).toEqual(["bad_request", 400]);
    expectClean(e);
  });

  it("a 500 echoing the key", async () => {
    const e = await providerError([echo(KEY, 500, "server_error", null)]);
    expect([e.code, e.retryable]).toEqual(["server_error", true]);
    expectClean(e);
  });

  it("an error event inside a 200 Responses stream echoing the key", async () => {
    const events = [
      {
        type: "response.created",
        sequence_number: 0,
        response: { id: "r", status: "in_progress", output: [] },
      },
      { type: "error", sequence_number: 1, code: "server_error", message: `bad key ${KEY}`, param: null },
    ];
    const e = await providerError([sseExchange(events, { named: true })], { api: "responses" });
    expect(e.code).toBe("server_error");
    expectClean(e);
  });

  it("a key shaped like no key is removed by its exact string", async () => {
    const e = await providerError([echo(PLAIN_KEY, 401, "invalid_request_error", "invalid_api_key")], {
      apiKey: PLAIN_KEY,
    });
    expect(e.code).toBe("auth");
    expectClean(e, PLAIN_KEY);
  });

  it("a connection that cannot be made: network, with the cause's code kept", async () => {
    const replay = await startReplayServer([]);
    const url = replay.url;
    await replay.close();
    const provider = createOpenAIProvider({ model: "gpt-4o", apiKey: KEY, baseURL: `${url}/v1` });
    const e = (await failedCall(provider, userRequest("hi"))) as ProviderError;
    expect([e.code, e.retryable]).toEqual(["network", true]);
    expectClean(e);
    expect(JSON.stringify(causeCodes(e))).toContain("ECONNREFUSED");
  });

  it("a connection dropped during the stream", async () => {
    const events = [
      {
        id: "c",
        object: "chat.completion.chunk",
        created: 1,
        model: "gpt-4o",
        choices: [{ index: 0, delta: { content: "a" } }],
      },
      {
        id: "c",
        object: "chat.completion.chunk",
        created: 1,
        model: "gpt-4o",
        choices: [{ index: 0, delta: { content: "b" } }],
      },
    ];
    const e = await providerError([sseExchange(events)], {}, { cutAfterEvents: 1 });
    expect(e.code).toBe("network");
    expectClean(e);
  });

  it("a timeout and an abort", async () => {
    const timedOut = await providerError([], { timeoutMs: 100 }, { hold: true });
    expect(timedOut.code).toBe("network");
    expectClean(timedOut);

    const replay = await startReplayServer([], { hold: true });
    try {
      const provider = createOpenAIProvider({ model: "gpt-4o", apiKey: KEY, baseURL: `${replay.url}/v1` });
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
    const replay = await startReplayServer([echo(KEY, 401, "invalid_request_error", "invalid_api_key")]);
    try {
      const journal = new MemoryJournal();
      const agent = createAgent({
        journal,
        retry: { maxRetries: 0 },
        provider: createOpenAIProvider({ model: "gpt-4o", apiKey: KEY, baseURL: `${replay.url}/v1` }),
      });
      const error = await agent.run("hi", { threadId: "secret" }).catch((e: unknown) => e);
      expect(RunFailedError.isInstance(error)).toBe(true);
      expect(secretLeaks(error, KEY)).toEqual([]);
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
