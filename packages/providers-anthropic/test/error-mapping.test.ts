import { ProviderError } from "@loom/core";
import {
  collectParts,
  failedCall,
  jsonExchange,
  type RecordedExchange,
  startReplayServer,
  userRequest,
} from "@loom/testing";
import { describe, expect, it } from "vitest";
import { createAnthropicProvider } from "../src/index.js";

// The recordings hold no Anthropic 529 or mid-stream error; these follow the real wire shape
// quoted in recordings/README.md ("Known gaps"), `details: null` included.
const KEY = "sk-ant-api03-SECRETsecretSECRET0123456789";
const overloaded = {
  type: "error",
  error: { details: null, type: "overloaded_error", message: "Overloaded" },
  request_id: "req_011CWoverloaded123456789",
};

async function errorFrom(exchange: RecordedExchange, stream = false): Promise<ProviderError> {
  const server = await startReplayServer([exchange]);
  try {
    const provider = createAnthropicProvider({
      model: "claude-haiku-4-5",
      apiKey: KEY,
      baseURL: server.url,
      stream,
    });
    const error = await failedCall(provider, userRequest("hi"));
    expect(ProviderError.isInstance(error)).toBe(true);
    const e = error as ProviderError;
    expect(e.provider).toBe("anthropic");
    expect(e.message).not.toContain(KEY);
    return e;
  } finally {
    await server.close();
  }
}

describe("Anthropic errors", () => {
  it("529 overloaded_error → overloaded, retryable, with the body's request id", async () => {
    const e = await errorFrom(jsonExchange(529, overloaded));
    expect([e.code, e.retryable, e.status, e.requestId]).toEqual([
      "overloaded",
      true,
      529,
      overloaded.request_id,
    ]);
  });

  it("an error event in the middle of a 200 stream → overloaded, after the parts before it", async () => {
    const events = [
      `event: message_start\ndata: {"type":"message_start","message":{"model":"claude-haiku-4-5-20251001","id":"msg_01X","type":"message","role":"assistant","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":1}}}\n\n`,
      `event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n`,
      `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}\n\n`,
      `event: error\ndata: ${JSON.stringify(overloaded)}\n\n`,
    ];
    const server = await startReplayServer([
      {
        response: {
          status: 200,
          headers: { "content-type": "text/event-stream", "request-id": "req_stream1" },
          body: events.join(""),
        },
      },
    ]);
    try {
      const provider = createAnthropicProvider({
        model: "claude-haiku-4-5",
        apiKey: KEY,
        baseURL: server.url,
      });
      const parts: unknown[] = [];
      const error = await (async () => {
        for await (const part of provider.doStream(userRequest("hi"), {
          signal: new AbortController().signal,
        }))
          parts.push(part);
      })().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(parts).toEqual([{ type: "text-delta", delta: "Hel" }]);
      expect(error).toMatchObject({ code: "overloaded", retryable: true });
    } finally {
      await server.close();
    }
  });

  it("429 with retry-after → rate_limited with retryAfterMs, and the request-id header", async () => {
    const e = await errorFrom(
      jsonExchange(
        429,
        {
          type: "error",
          error: {
            type: "rate_limit_error",
            message: "Number of request tokens has exceeded your per-minute rate limit",
          },
        },
        { "retry-after": "7", "request-id": "req_011CWratelimit" },
      ),
      true,
    );
    expect([e.code, e.retryable, e.retryAfterMs, e.requestId]).toEqual([
      "rate_limited",
      true,
      7000,
      "req_011CWratelimit",
    ]);
  });

  it("401 → auth, naming the option and the environment variable", async () => {
    const e = await errorFrom(
      jsonExchange(401, {
        type: "error",
        error: { type: "authentication_error", message: `invalid x-api-key ${KEY}` },
      }),
    );
    expect([e.code, e.retryable]).toEqual(["auth", false]);
    expect(e.message).toContain("ANTHROPIC_API_KEY");
  });

  it("500 api_error → server_error, retryable", async () => {
    const e = await errorFrom(
      jsonExchange(500, {
        type: "error",
        error: { type: "api_error", message: "Internal server error" },
        request_id: "req_011CWservererror12345678",
      }),
    );
    expect([e.code, e.retryable, e.status]).toEqual(["server_error", true, 500]);
    expect(e.message).toMatch(/retries with backoff/);
  });

  it("400 prompt is too long → context_length", async () => {
    const e = await errorFrom(
      jsonExchange(400, {
        type: "error",
        error: {
          type: "invalid_request_error",
          message: "prompt is too long: 210000 tokens > 200000 maximum",
        },
      }),
    );
    expect([e.code, e.retryable]).toEqual(["context_length", false]);
  });

  it("a stream that stops before message_stop is a retryable invalid_response", async () => {
    const server = await startReplayServer([
      {
        response: {
          status: 200,
          headers: { "content-type": "text/event-stream" },
          body: `event: message_start\ndata: {"type":"message_start","message":{"model":"m","id":"msg_01X","type":"message","role":"assistant","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}}\n\n`,
        },
      },
    ]);
    try {
      const provider = createAnthropicProvider({
        model: "claude-haiku-4-5",
        apiKey: KEY,
        baseURL: server.url,
      });
      await expect(collectParts(provider, userRequest("x"))).rejects.toMatchObject({
        code: "invalid_response",
        retryable: true,
      });
    } finally {
      await server.close();
    }
  });

  it("a request that outlives timeoutMs → network, retryable", async () => {
    const server = await startReplayServer([], { hold: true });
    try {
      const provider = createAnthropicProvider({
        model: "claude-haiku-4-5",
        apiKey: KEY,
        baseURL: server.url,
        timeoutMs: 100,
      });
      const error = await failedCall(provider, userRequest("hi"));
      expect(error).toMatchObject({ code: "network", retryable: true });
      expect((error as Error).message).toContain("timed out");
    } finally {
      await server.close();
    }
  });
});
