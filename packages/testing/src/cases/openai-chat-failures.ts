import { jsonExchange } from "../provider-calls.js";
import type { RecordedExchange } from "../recording.js";
import { loadRecording } from "../recording.js";
import { recordingPath } from "../recording-path.js";

/**
 * Failures no recording holds, made by hand in the API's documented shapes, starting from a real
 * recorded stream where there is one: an error event inside a 200 stream, a rate limit, a body
 * that breaks off.
 */

const REQUEST_ID = "req_5f1c0a9e2b7d4c3e8a6b1d0f9e8c7b6a";

/** The first `count` events of the recorded text stream (one role chunk, then text). */
function recordedEvents(count: number): string {
  const [exchange] = loadRecording(recordingPath("openai/chat-stream-text.openai-python.sse")).exchanges;
  return exchange!.response.body
    .split(/(?<=\n\n)/)
    .slice(0, count)
    .join("");
}

const sse = (body: string): RecordedExchange => ({
  response: {
    status: 200,
    headers: { "content-type": "text/event-stream", "x-request-id": REQUEST_ID },
    body,
  },
});

/** A 200 stream that reports a server error after three text deltas, as the API does mid-answer. */
export const streamErrorEvent = (): RecordedExchange =>
  sse(
    recordedEvents(4) +
      `data: ${JSON.stringify({
        error: {
          message: "The server had an error while processing your request. Sorry about that!",
          type: "server_error",
          param: null,
          code: null,
        },
      })}\n\n`,
  );

/** A 429 for tokens per minute: the wait is named in the message only, as OpenAI words it. */
export const rateLimited = (): RecordedExchange =>
  jsonExchange(
    429,
    {
      error: {
        message:
          "Rate limit reached for gpt-4o in organization org-loomconformance on tokens per min (TPM): Limit 30000, Used 29643, Requested 1187. Please try again in 1.66s. Visit https://platform.openai.com/account/rate-limits to learn more.",
        type: "tokens",
        param: null,
        code: "rate_limit_exceeded",
      },
    },
    { "x-request-id": REQUEST_ID },
  );

/** A 200 JSON answer cut in the middle of its body. */
export const truncatedBody = (): RecordedExchange => ({
  response: {
    status: 200,
    headers: { "content-type": "application/json", "x-request-id": REQUEST_ID },
    body: '{"id":"chatcmpl-loom","object":"chat.completion","created":1727346168,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"The weather in San Fr',
  },
});

/** A 200 stream whose third event is not JSON. */
export const malformedStreamEvent = (): RecordedExchange =>
  sse(
    `${recordedEvents(2)}data: {"id":"chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL","choices":[{"index":0,"delta":{"content\n\n`,
  );

export { REQUEST_ID as FAILURE_REQUEST_ID };
