import { ProviderError } from "@loom/core";
import {
  failedCall,
  jsonExchange,
  type RecordedExchange,
  sseExchange,
  startReplayServer,
  userRequest,
} from "@loom/testing";
import { describe, expect, it } from "vitest";
import { createOpenAIProvider } from "../src/index.js";

// The recordings hold no OpenAI 429 rate_limit_exceeded, 401 or 5xx; these bodies follow the
// real wire shape (quoted in recordings/README.md, "Known gaps").
const KEY = "sk-proj-SECRETsecretSECRET0123456789";

async function errorFrom(
  exchange: RecordedExchange,
  api: "chat" | "responses" = "chat",
): Promise<ProviderError> {
  const server = await startReplayServer([exchange]);
  try {
    const provider = createOpenAIProvider({ model: "gpt-4o", api, apiKey: KEY, baseURL: `${server.url}/v1` });
    const error = await failedCall(provider, userRequest("hi"));
    expect(ProviderError.isInstance(error)).toBe(true);
    const e = error as ProviderError;
    expect(e.provider).toBe("openai");
    expect(e.message).not.toContain(KEY);
    return e;
  } finally {
    await server.close();
  }
}

const rateLimitBody = {
  error: {
    message:
      "Rate limit reached for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, Used 29000, Requested 2000. Please try again in 1.146s.",
    type: "tokens",
    param: null,
    code: "rate_limit_exceeded",
  },
};

describe("OpenAI errors", () => {
  it("429 rate_limit_exceeded → rate_limited, retryable, with retry-after-ms and the request id", async () => {
    const e = await errorFrom(
      jsonExchange(429, rateLimitBody, { "retry-after-ms": "1146", "x-request-id": "req_ratelimited1" }),
    );
    expect([e.code, e.retryable, e.retryAfterMs, e.status, e.requestId]).toEqual([
      "rate_limited",
      true,
      1146,
      429,
      "req_ratelimited1",
    ]);
  });

  it("retry-after in seconds becomes milliseconds", async () => {
    const e = await errorFrom(jsonExchange(429, rateLimitBody, { "retry-after": "2" }), "responses");
    expect(e.retryAfterMs).toBe(2000);
  });

  it("x-should-retry: false wins over the status", async () => {
    const e = await errorFrom(
      jsonExchange(500, { error: { message: "boom", type: "server_error" } }, { "x-should-retry": "false" }),
    );
    expect([e.code, e.retryable]).toEqual(["server_error", false]);
  });

  it("x-should-retry: true makes an error retryable", async () => {
    const e = await errorFrom(
      jsonExchange(
        409,
        { error: { message: "conflict", type: "invalid_request_error" } },
        { "x-should-retry": "true" },
      ),
    );
    expect(e.retryable).toBe(true);
  });

  it("503 → overloaded, retryable", async () => {
    const e = await errorFrom(
      jsonExchange(503, { error: { message: "The engine is currently overloaded", type: "server_error" } }),
    );
    expect([e.code, e.retryable]).toEqual(["overloaded", true]);
  });

  it("500 server_error → server_error, retryable", async () => {
    const e = await errorFrom(jsonExchange(500, { error: { message: "boom", type: "server_error" } }));
    expect([e.code, e.retryable, e.status]).toEqual(["server_error", true, 500]);
  });

  it("401 → auth; the key the API echoes back is not in the message", async () => {
    const e = await errorFrom(
      jsonExchange(401, {
        error: {
          message: `Incorrect API key provided: ${KEY}. You can find your API key at https://platform.openai.com/account/api-keys.`,
          type: "invalid_request_error",
          param: null,
          code: "invalid_api_key",
        },
      }),
    );
    expect([e.code, e.retryable]).toEqual(["auth", false]);
    expect(e.message).toContain("OPENAI_API_KEY");
    expect(e.message).toContain("[redacted]");
  });

  it("400 context_length_exceeded → context_length", async () => {
    const e = await errorFrom(
      jsonExchange(400, {
        error: {
          message:
            "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.",
          type: "invalid_request_error",
          param: "messages",
          code: "context_length_exceeded",
        },
      }),
    );
    expect([e.code, e.retryable]).toEqual(["context_length", false]);
  });

  it("a body that is not an OpenAI answer → invalid_response", async () => {
    const e = await errorFrom({
      response: {
        status: 200,
        headers: { "content-type": "text/event-stream" },
        body: "data: {not json\n\n",
      },
    });
    expect(e.code).toBe("invalid_response");
  });

  it("a request that outlives timeoutMs → network, retryable", async () => {
    const server = await startReplayServer([], { hold: true });
    try {
      const provider = createOpenAIProvider({
        model: "gpt-4o",
        apiKey: KEY,
        baseURL: `${server.url}/v1`,
        timeoutMs: 100,
      });
      const error = await failedCall(provider, userRequest("hi"));
      expect(error).toMatchObject({ code: "network", retryable: true });
      expect((error as Error).message).toContain("timed out");
    } finally {
      await server.close();
    }
  });

  it("a 429 without retry headers takes the wait its message names", async () => {
    const e = await errorFrom(jsonExchange(429, rateLimitBody));
    expect([e.code, e.retryAfterMs]).toEqual(["rate_limited", 1146]);
  });

  it("a server_error event inside a 200 Responses stream → server_error, retryable", async () => {
    const events = [
      {
        type: "response.created",
        sequence_number: 0,
        response: { id: "resp_x", object: "response", status: "in_progress", output: [] },
      },
      {
        type: "error",
        sequence_number: 1,
        code: "server_error",
        message: "The server had an error processing your request.",
        param: null,
      },
    ];
    const e = await errorFrom(sseExchange(events, { named: true }), "responses");
    expect([e.code, e.retryable, e.status]).toEqual(["server_error", true, undefined]);
  });
});
