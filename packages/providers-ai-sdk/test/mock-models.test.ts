import {
  APICallError,
  type LanguageModelV2,
  type LanguageModelV2StreamPart,
  type LanguageModelV4StreamPart,
  type LanguageModelV4Usage,
} from "@ai-sdk/provider";
import { ConfigError, type ModelRequest, ProviderError, type ProviderStreamPart } from "@loom/core";
import { collectParts, userRequest } from "@loom/testing";
import { convertArrayToReadableStream, MockLanguageModelV3, MockLanguageModelV4 } from "ai/test";
import { describe, expect, it } from "vitest";
import { fromAiSdk } from "../src/index.js";

const usage: LanguageModelV4Usage = {
  inputTokens: { total: 120, noCache: 20, cacheRead: 90, cacheWrite: 10 },
  outputTokens: { total: 40, text: 25, reasoning: 15 },
};

function streaming(parts: LanguageModelV4StreamPart[], headers: Record<string, string> = {}) {
  return new MockLanguageModelV4({
    provider: "mock.chat",
    modelId: "mock-1",
    doStream: async () => ({ stream: convertArrayToReadableStream(parts), response: { headers } }),
  });
}

const finishOf = (parts: ProviderStreamPart[]) => {
  const finish = parts.at(-1);
  if (finish?.type !== "finish") throw new Error("no finish part");
  return finish;
};

const failureOf = (provider: ReturnType<typeof fromAiSdk>, request: ModelRequest = userRequest("hi")) =>
  collectParts(provider, request).then(
    () => {
      throw new Error("expected the call to fail");
    },
    (error: unknown) => error as ProviderError,
  );

describe("stream parts (MockLanguageModelV4)", () => {
  it("maps text, reasoning with its signature, tool calls by index, usage, finish reason, warnings and request id", async () => {
    const model = streaming(
      [
        { type: "stream-start", warnings: [{ type: "unsupported", feature: "topK", details: "not here" }] },
        { type: "response-metadata", id: "resp_1", modelId: "mock-1" },
        { type: "reasoning-start", id: "r0" },
        { type: "reasoning-delta", id: "r0", delta: "Think" },
        { type: "reasoning-delta", id: "r0", delta: "ing." },
        { type: "reasoning-delta", id: "r0", delta: "", providerMetadata: { mock: { signature: "sig-" } } },
        { type: "reasoning-delta", id: "r0", delta: "", providerMetadata: { mock: { signature: "1" } } },
        { type: "reasoning-end", id: "r0" },
        { type: "text-start", id: "t0" },
        { type: "text-delta", id: "t0", delta: "Checking " },
        { type: "text-delta", id: "t0", delta: "" },
        { type: "text-delta", id: "t0", delta: "both." },
        { type: "text-end", id: "t0" },
        { type: "tool-input-start", id: "call_a", toolName: "weather" },
        { type: "tool-input-delta", id: "call_a", delta: '{"city":' },
        { type: "tool-input-start", id: "call_b", toolName: "weather" },
        { type: "tool-input-delta", id: "call_a", delta: '"Paris"}' },
        { type: "tool-input-end", id: "call_a" },
        { type: "tool-call", toolCallId: "call_a", toolName: "weather", input: '{"city":"Paris"}' },
        // Arguments that only the complete call carries still reach the deltas.
        { type: "tool-call", toolCallId: "call_b", toolName: "weather", input: '{"city":"Rome"}' },
        // A call the model sent whole, without input deltas.
        { type: "tool-call", toolCallId: "call_c", toolName: "clock", input: "" },
        { type: "finish", usage, finishReason: { unified: "tool-calls", raw: "tool_use" } },
      ],
      { "x-request-id": "req_123" },
    );
    const parts = await collectParts(fromAiSdk(model), userRequest("Weather in Paris and Rome?"));
    expect(parts.slice(0, -1)).toEqual([
      { type: "reasoning-delta", delta: "Think" },
      { type: "reasoning-delta", delta: "ing." },
      { type: "text-delta", delta: "Checking " },
      { type: "text-delta", delta: "both." },
      { type: "tool-call-delta", index: 0, callId: "call_a", name: "weather", argsDelta: "" },
      { type: "tool-call-delta", index: 0, argsDelta: '{"city":' },
      { type: "tool-call-delta", index: 1, callId: "call_b", name: "weather", argsDelta: "" },
      { type: "tool-call-delta", index: 0, argsDelta: '"Paris"}' },
      { type: "tool-call-delta", index: 1, argsDelta: '{"city":"Rome"}' },
      { type: "tool-call-delta", index: 2, callId: "call_c", name: "clock", argsDelta: "{}" },
    ]);
    expect(finishOf(parts)).toEqual({
      type: "finish",
      message: {
        role: "assistant",
        content: "Checking both.",
        reasoning: [{ text: "Thinking.", signature: "sig-1" }],
        toolCalls: [
          { id: "call_a", name: "weather", arguments: '{"city":"Paris"}' },
          { id: "call_b", name: "weather", arguments: '{"city":"Rome"}' },
          { id: "call_c", name: "clock", arguments: "{}" },
        ],
      },
      usage: {
        inputTokens: 120,
        outputTokens: 40,
        reasoningTokens: 15,
        cachedInputTokens: 90,
        cacheWriteTokens: 10,
      },
      finishReason: { unified: "tool-calls", raw: "tool_use" },
      warnings: ["unsupported: topK: not here"],
      requestId: "req_123",
      responseId: "resp_1",
    });
  });

  it("keeps a redacted block and an encrypted reasoning item, final values from the end of the block", async () => {
    const model = streaming([
      { type: "reasoning-start", id: "0", providerMetadata: { anthropic: { redactedData: "opaque" } } },
      { type: "reasoning-end", id: "0" },
      {
        type: "reasoning-start",
        id: "1",
        providerMetadata: { openai: { itemId: "rs_1", reasoningEncryptedContent: "added" } },
      },
      { type: "reasoning-delta", id: "1", delta: "Summary." },
      {
        type: "reasoning-end",
        id: "1",
        providerMetadata: { openai: { itemId: "rs_1", reasoningEncryptedContent: "done" } },
      },
      { type: "finish", usage, finishReason: { unified: "stop", raw: "stop" } },
    ]);
    const finish = finishOf(await collectParts(fromAiSdk(model), userRequest("hi")));
    expect(finish.message.reasoning).toEqual([
      { text: "", redactedData: "opaque" },
      { text: "Summary.", id: "rs_1", encryptedContent: "done" },
    ]);
  });

  it("counts usage the way Loom does: every input token in inputTokens, parts only when reported", async () => {
    const model = streaming([
      {
        type: "finish",
        usage: {
          inputTokens: { total: undefined, noCache: 7, cacheRead: undefined, cacheWrite: undefined },
          outputTokens: { total: undefined, text: 3, reasoning: undefined },
        },
        finishReason: { unified: "stop", raw: undefined },
      },
    ]);
    const finish = finishOf(await collectParts(fromAiSdk(model), userRequest("hi")));
    expect(finish.usage).toEqual({ inputTokens: 7, outputTokens: 3 });
    expect(finish.finishReason).toEqual({ unified: "stop" });
  });

  it.each([
    [
      { unified: "stop", raw: "end_turn" },
      { unified: "stop", raw: "end_turn" },
    ],
    [
      { unified: "length", raw: "max_tokens" },
      { unified: "length", raw: "max_tokens" },
    ],
    [
      { unified: "content-filter", raw: "content_filter" },
      { unified: "content-filter", raw: "content_filter" },
    ],
    [
      { unified: "content-filter", raw: "refusal" },
      { unified: "refusal", raw: "refusal" },
    ],
    [
      { unified: "error", raw: "error" },
      { unified: "error", raw: "error" },
    ],
    [
      { unified: "other", raw: "pause_turn" },
      { unified: "other", raw: "pause_turn" },
    ],
  ] as const)("maps finish reason %j to %j", async (reason, expected) => {
    const model = streaming([{ type: "finish", usage, finishReason: reason }]);
    const finish = finishOf(await collectParts(fromAiSdk(model), userRequest("hi")));
    expect(finish.finishReason).toEqual(expected);
    if (expected.unified === "refusal") expect(finish.message.refusal).toBe("The model declined to answer.");
    else expect(finish.message.refusal).toBeUndefined();
  });

  it("fails a v4 stream the provider reports as interrupted as a retryable invalid_response", async () => {
    const model = streaming([
      { type: "text-delta", id: "0", delta: "Half an ans" },
      { type: "finish", usage, finishReason: { unified: "interrupted", raw: undefined } },
    ]);
    const error = await failureOf(fromAiSdk(model));
    expect(error).toBeInstanceOf(ProviderError);
    expect({ code: error.code, retryable: error.retryable }).toEqual({
      code: "invalid_response",
      retryable: true,
    });
  });

  it("fails a stream that ends without a finish part as a retryable invalid_response", async () => {
    const error = await failureOf(fromAiSdk(streaming([{ type: "text-delta", id: "0", delta: "cut" }])));
    expect({ code: error.code, retryable: error.retryable }).toEqual({
      code: "invalid_response",
      retryable: true,
    });
  });

  it("leaves out what a Loom message cannot hold, with a warning: provider-executed tools, sources, files", async () => {
    const model = streaming([
      { type: "tool-call", toolCallId: "srv_1", toolName: "web_search", input: "{}", providerExecuted: true },
      { type: "source", sourceType: "url", id: "s1", url: "https://example.com" },
      { type: "text-delta", id: "0", delta: "Found it." },
      { type: "finish", usage, finishReason: { unified: "stop", raw: "end_turn" } },
    ]);
    const finish = finishOf(await collectParts(fromAiSdk(model), userRequest("search")));
    expect(finish.message).toEqual({ role: "assistant", content: "Found it." });
    expect(finish.warnings).toEqual([
      'The provider ran its own tool "web_search"; Loom keeps no record of it.',
      'A "source" part of the model\'s answer has no place in a Loom message and was left out.',
    ]);
  });
});

describe("the call the model gets", () => {
  const conversation: ModelRequest = {
    messages: [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Weather in Paris and Rome?" },
      {
        role: "assistant",
        content: "Checking.",
        reasoning: [
          { text: "Two cities.", signature: "sig-1" },
          { text: "", redactedData: "opaque" },
          { text: "Plain." },
        ],
        toolCalls: [
          { id: "call_a", name: "weather", arguments: '{"city":"Paris"}' },
          { id: "call_b", name: "weather", arguments: "not json" },
        ],
      },
      { role: "tool", callId: "call_a", name: "weather", content: "12°C" },
      { role: "tool", callId: "call_b", name: "", content: "bad arguments", isError: true },
      { role: "user", content: "Thanks." },
    ],
    tools: [
      {
        name: "weather",
        description: "Weather in a city.",
        inputSchema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
      },
    ],
    settings: {
      maxOutputTokens: 100,
      temperature: 0.5,
      topP: 0.9,
      stopSequences: ["END"],
      providerOptions: { anthropic: { sendReasoning: true }, ignored: "not an object" },
    },
  };

  it("holds the prompt, the tools and the settings; providerOptions go to the model as its own", async () => {
    const model = streaming([{ type: "finish", usage, finishReason: { unified: "stop", raw: "stop" } }]);
    const controller = new AbortController();
    await collectParts(fromAiSdk(model), conversation, controller.signal);
    expect(model.doStreamCalls).toHaveLength(1);
    const { abortSignal, ...call } = model.doStreamCalls[0]!;
    expect(abortSignal).toBeInstanceOf(AbortSignal);
    expect(call).toEqual({
      prompt: [
        { role: "system", content: "Be brief." },
        { role: "user", content: [{ type: "text", text: "Weather in Paris and Rome?" }] },
        {
          role: "assistant",
          content: [
            { type: "reasoning", text: "Two cities.", providerOptions: { mock: { signature: "sig-1" } } },
            { type: "reasoning", text: "", providerOptions: { mock: { redactedData: "opaque" } } },
            { type: "reasoning", text: "Plain." },
            { type: "text", text: "Checking." },
            { type: "tool-call", toolCallId: "call_a", toolName: "weather", input: { city: "Paris" } },
            { type: "tool-call", toolCallId: "call_b", toolName: "weather", input: "not json" },
          ],
        },
        {
          role: "tool",
          content: [
            {
              type: "tool-result",
              toolCallId: "call_a",
              toolName: "weather",
              output: { type: "text", value: "12°C" },
            },
            {
              type: "tool-result",
              toolCallId: "call_b",
              toolName: "weather",
              output: { type: "error-text", value: "bad arguments" },
            },
          ],
        },
        { role: "user", content: [{ type: "text", text: "Thanks." }] },
      ],
      tools: [
        {
          type: "function",
          name: "weather",
          description: "Weather in a city.",
          inputSchema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
        },
      ],
      maxOutputTokens: 100,
      temperature: 0.5,
      topP: 0.9,
      stopSequences: ["END"],
      providerOptions: { anthropic: { sendReasoning: true } },
    });
  });

  it("calls doGenerate once with stream: false, and maps the whole answer to the same parts", async () => {
    const model = new MockLanguageModelV4({
      provider: "mock.chat",
      modelId: "mock-1",
      doGenerate: {
        content: [
          { type: "reasoning", text: "Hmm.", providerMetadata: { anthropic: { signature: "sig" } } },
          { type: "text", text: "Calling." },
          { type: "tool-call", toolCallId: "c1", toolName: "weather", input: '{"city":"Oslo"}' },
        ],
        finishReason: { unified: "tool-calls", raw: "tool_use" },
        usage,
        warnings: [],
        response: { headers: { "request-id": "req_9" } },
      },
    });
    const parts = await collectParts(fromAiSdk(model, { stream: false }), userRequest("Oslo?"));
    expect(model.doGenerateCalls).toHaveLength(1);
    expect(model.doStreamCalls).toHaveLength(0);
    expect(parts).toEqual([
      { type: "reasoning-delta", delta: "Hmm." },
      { type: "text-delta", delta: "Calling." },
      { type: "tool-call-delta", index: 0, callId: "c1", name: "weather", argsDelta: '{"city":"Oslo"}' },
      {
        type: "finish",
        message: {
          role: "assistant",
          content: "Calling.",
          reasoning: [{ text: "Hmm.", signature: "sig" }],
          toolCalls: [{ id: "c1", name: "weather", arguments: '{"city":"Oslo"}' }],
        },
        usage: {
          inputTokens: 120,
          outputTokens: 40,
          reasoningTokens: 15,
          cachedInputTokens: 90,
          cacheWriteTokens: 10,
        },
        finishReason: { unified: "tool-calls", raw: "tool_use" },
        requestId: "req_9",
      },
    ]);
  });
});

describe("errors", () => {
  const apiError = (
    statusCode: number,
    body: unknown,
    headers: Record<string, string> = {},
    isRetryable?: boolean,
  ) =>
    new APICallError({
      message: "the AI SDK's message",
      url: "https://api.example.com/v1/chat/completions",
      requestBodyValues: { model: "mock-1", api_key_echo: "sk-secret-0123456789" },
      statusCode,
      responseHeaders: headers,
      responseBody: JSON.stringify(body),
      ...(isRetryable !== undefined ? { isRetryable } : {}),
    });
  const throwing = (error: unknown) =>
    new MockLanguageModelV4({
      provider: "mock.chat",
      modelId: "mock-1",
      doStream: async () => {
        throw error;
      },
    });

  it.each([
    [
      "429 rate limit with retry-after",
      apiError(429, { error: { type: "rate_limit_error", message: "Slow down." } }, { "retry-after": "7" }),
      { code: "rate_limited", retryable: true, status: 429, retryAfterMs: 7000 },
    ],
    [
      "429 with retry-after-ms",
      apiError(429, { error: { message: "Slow down." } }, { "retry-after-ms": "250" }),
      { code: "rate_limited", retryable: true, status: 429, retryAfterMs: 250 },
    ],
    [
      "429 exhausted quota (the AI SDK says retryable; it is not)",
      apiError(429, {
        error: {
          type: "insufficient_quota",
          code: "insufficient_quota",
          message: "You exceeded your current quota.",
        },
      }),
      { code: "quota_exceeded", retryable: false, status: 429, retryAfterMs: undefined },
    ],
    [
      "401",
      apiError(401, {
        error: {
          type: "invalid_request_error",
          code: "invalid_api_key",
          message: "Incorrect API key provided: sk-secret-0123456789.",
        },
      }),
      { code: "auth", retryable: false, status: 401, retryAfterMs: undefined },
    ],
    [
      "404 model",
      apiError(404, {
        type: "error",
        error: { type: "not_found_error", message: "model: nope" },
        request_id: "req_body",
      }),
      { code: "not_found", retryable: false, status: 404, retryAfterMs: undefined },
    ],
    [
      "400 context",
      apiError(400, {
        error: {
          type: "invalid_request_error",
          message: "prompt is too long: 300000 tokens > 200000 maximum",
        },
      }),
      { code: "context_length", retryable: false, status: 400, retryAfterMs: undefined },
    ],
    [
      "529 overloaded",
      apiError(529, { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }),
      { code: "overloaded", retryable: true, status: 529, retryAfterMs: undefined },
    ],
    [
      "500",
      apiError(500, { error: { message: "boom" } }),
      { code: "server_error", retryable: true, status: 500, retryAfterMs: undefined },
    ],
    [
      "409 the AI SDK calls retryable",
      apiError(409, { error: { message: "conflict" } }),
      { code: "unknown", retryable: true, status: 409, retryAfterMs: undefined },
    ],
    [
      "x-should-retry: false wins",
      apiError(500, { error: { message: "no" } }, { "x-should-retry": "false" }),
      { code: "server_error", retryable: false, status: 500, retryAfterMs: undefined },
    ],
    [
      "isRetryable: false wins over the status",
      apiError(503, { error: { message: "no" } }, {}, false),
      { code: "overloaded", retryable: false, status: 503, retryAfterMs: undefined },
    ],
  ] as const)("maps APICallError %s", async (_name, error, expected) => {
    const mapped = await failureOf(fromAiSdk(throwing(error)));
    expect(ProviderError.isInstance(mapped)).toBe(true);
    expect({
      code: mapped.code,
      retryable: mapped.retryable,
      status: mapped.status,
      retryAfterMs: mapped.retryAfterMs,
    }).toEqual(expected);
    expect(mapped.provider).toBe("mock.chat");
  });

  it("keeps the request id from the error body, and no secret anywhere in the error", async () => {
    const error = apiError(401, {
      type: "error",
      error: { type: "authentication_error", message: "invalid x-api-key: sk-secret-0123456789" },
      request_id: "req_body",
    });
    const mapped = await failureOf(fromAiSdk(throwing(error), { secrets: ["custom-secret"] }));
    expect(mapped.requestId).toBe("req_body");
    const everything = JSON.stringify(mapped, Object.getOwnPropertyNames(mapped)) + String(mapped.stack);
    let cause: unknown = mapped.cause;
    let all = everything + mapped.message;
    while (cause instanceof Error) {
      all += cause.message + String(cause.stack) + JSON.stringify(cause);
      cause = cause.cause;
    }
    expect(all).not.toContain("sk-secret-0123456789");
    expect(mapped.cause).not.toBe(error);
  });

  it("removes the configured secrets from a connection error", async () => {
    const error = new APICallError({
      message: "Cannot connect to API: custom-secret refused",
      url: "http://127.0.0.1:1/v1",
      requestBodyValues: {},
      isRetryable: true,
    });
    const mapped = await failureOf(fromAiSdk(throwing(error), { secrets: ["custom-secret"] }));
    expect({ code: mapped.code, retryable: mapped.retryable }).toEqual({ code: "network", retryable: true });
    expect(mapped.message).not.toContain("custom-secret");
    expect(String((mapped.cause as Error).message)).not.toContain("custom-secret");
  });

  it.each([
    [
      "overloaded",
      { type: "overloaded_error", message: "Overloaded" },
      { code: "overloaded", retryable: true },
    ],
    ["server error", { type: "api_error", message: "Internal" }, { code: "server_error", retryable: true }],
    [
      "an AI SDK stream error it calls not retryable",
      { message: "quota", code: "insufficient_quota", statusCode: 429, isRetryable: false },
      { code: "quota_exceeded", retryable: false },
    ],
  ] as const)("maps a stream error part (%s), without an HTTP status", async (_name, error, expected) => {
    const model = streaming([
      { type: "text-delta", id: "0", delta: "Part" },
      { type: "error", error },
    ]);
    const mapped = await failureOf(fromAiSdk(model));
    expect({ code: mapped.code, retryable: mapped.retryable, status: mapped.status }).toEqual({
      ...expected,
      status: undefined,
    });
  });

  it("turns an abort before the answer into ProviderError(aborted), and passes the signal to the model", async () => {
    let seen: AbortSignal | undefined;
    const model = new MockLanguageModelV4({
      doStream: async ({ abortSignal }) => {
        seen = abortSignal;
        return new Promise((_resolve, reject) => {
          abortSignal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
        });
      },
    });
    const controller = new AbortController();
    const call = collectParts(fromAiSdk(model), userRequest("hi"), controller.signal).catch(
      (e: unknown) => e,
    );
    await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    const error = (await call) as ProviderError;
    expect(seen?.aborted).toBe(true);
    expect({ code: error.code, retryable: error.retryable }).toEqual({ code: "aborted", retryable: false });
  });

  it("turns a stream that ends quietly after an abort into ProviderError(aborted)", async () => {
    const controller = new AbortController();
    const model = new MockLanguageModelV4({
      doStream: async () => ({
        stream: new ReadableStream<LanguageModelV4StreamPart>({
          start(c) {
            c.enqueue({ type: "text-delta", id: "0", delta: "Hel" });
            controller.abort();
            c.close();
          },
        }),
      }),
    });
    const error = (await collectParts(fromAiSdk(model), userRequest("hi"), controller.signal).catch(
      (e: unknown) => e,
    )) as ProviderError;
    expect(error.code).toBe("aborted");
  });

  it("times out a model that sends nothing for timeoutMs, as a retryable network error", async () => {
    const model = new MockLanguageModelV4({
      doStream: async ({ abortSignal }) =>
        new Promise((_resolve, reject) => {
          abortSignal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
        }),
    });
    const started = Date.now();
    const error = await failureOf(fromAiSdk(model, { timeoutMs: 50 }));
    expect({ code: error.code, retryable: error.retryable }).toEqual({ code: "network", retryable: true });
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe("specification versions", () => {
  it("takes a v3 model (MockLanguageModelV3) the same way", async () => {
    const model = new MockLanguageModelV3({
      provider: "mock3.chat",
      modelId: "m3",
      doStream: async () => ({
        stream: convertArrayToReadableStream([
          { type: "text-delta", id: "0", delta: "v3" },
          {
            type: "finish",
            usage: {
              inputTokens: { total: 5, noCache: 5, cacheRead: 0, cacheWrite: undefined },
              outputTokens: { total: 2, text: 2, reasoning: undefined },
            },
            finishReason: { unified: "stop", raw: "stop" },
          },
        ]),
      }),
    });
    const provider = fromAiSdk(model);
    expect([provider.provider, provider.modelId]).toEqual(["mock3.chat", "m3"]);
    const finish = finishOf(await collectParts(provider, userRequest("hi")));
    expect(finish.message.content).toBe("v3");
    expect(finish.usage).toEqual({ inputTokens: 5, outputTokens: 2, cachedInputTokens: 0 });
  });

  it("takes a v2 model: bare finish reasons and flat usage", async () => {
    const calls: unknown[] = [];
    const parts: LanguageModelV2StreamPart[] = [
      { type: "stream-start", warnings: [{ type: "unsupported-setting", setting: "topK", details: "no" }] },
      { type: "text-delta", id: "0", delta: "v2" },
      {
        type: "finish",
        usage: { inputTokens: 9, outputTokens: 4, totalTokens: 13, reasoningTokens: 1, cachedInputTokens: 3 },
        finishReason: "unknown",
      },
    ];
    const model: LanguageModelV2 = {
      specificationVersion: "v2",
      provider: "mock2.chat",
      modelId: "m2",
      supportedUrls: {},
      doGenerate: async () => {
        throw new Error("not used");
      },
      doStream: async (options) => {
        calls.push(options);
        return { stream: convertArrayToReadableStream(parts) };
      },
    };
    const finish = finishOf(await collectParts(fromAiSdk(model), userRequest("hi")));
    expect(calls).toHaveLength(1);
    expect(finish).toMatchObject({
      message: { content: "v2" },
      usage: { inputTokens: 9, outputTokens: 4, reasoningTokens: 1, cachedInputTokens: 3 },
      finishReason: { unified: "other" },
      warnings: ["unsupported-setting: topK: no"],
    });
  });

  it("refuses what is not a v2, v3 or v4 language model with a ConfigError", () => {
    const notAModel = {
      specificationVersion: "v1",
      provider: "old",
      modelId: "x",
    } as unknown as LanguageModelV2;
    expect(() => fromAiSdk(notAModel)).toThrow(ConfigError);
    expect(() => fromAiSdk("gpt-5" as unknown as LanguageModelV2)).toThrow(/v2, v3 and v4/);
  });
});
