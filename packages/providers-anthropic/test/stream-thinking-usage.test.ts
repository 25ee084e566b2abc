import type { ProviderStreamPart } from "@loom/core";
import {
  collectParts,
  loadRecording,
  type Recording,
  recordingPath,
  startReplayServer,
  userRequest,
} from "@loom/testing";
import { describe, expect, it } from "vitest";
import { createAnthropicProvider } from "../src/index.js";

// The recorded streamed thinking answer (vercel-ai). Its `message_delta` carries no
// `output_tokens_details`; the non-streamed thinking recording shows the API's shape,
// `usage.output_tokens_details.thinking_tokens`, which the stream sends in `message_delta` only.
const STREAM = recordingPath("anthropic/messages-stream-thinking.vercel-ai.chunks.txt");

/** The recorded stream with `thinking_tokens` added to its `message_delta` usage, nothing else changed. */
function withThinkingTokens(recording: Recording, thinkingTokens: number): Recording {
  const exchange = recording.exchanges[0]!;
  const body = exchange.response.body.replace(
    /^data: (\{"type":"message_delta".*)$/m,
    (_line, json: string) => {
      const event = JSON.parse(json) as { usage: Record<string, unknown> };
      event.usage.output_tokens_details = { thinking_tokens: thinkingTokens };
      return `data: ${JSON.stringify(event)}`;
    },
  );
  expect(body, "the recording has a message_delta to extend").not.toBe(exchange.response.body);
  return { name: recording.name, exchanges: [{ ...exchange, response: { ...exchange.response, body } }] };
}

async function finishOf(recording: Recording) {
  const server = await startReplayServer(recording);
  try {
    const provider = createAnthropicProvider({
      model: "claude-sonnet-4-6",
      apiKey: "k",
      baseURL: server.url,
    });
    const parts = await collectParts(provider, userRequest("Divide by 5."));
    const finish = parts.at(-1) as Extract<ProviderStreamPart, { type: "finish" }>;
    expect(finish.type).toBe("finish");
    return finish;
  } finally {
    await server.close();
  }
}

describe("streamed thinking usage", () => {
  it("reports reasoningTokens from message_delta's output_tokens_details, like a non-streamed answer", async () => {
    const finish = await finishOf(withThinkingTokens(loadRecording(STREAM), 37));
    expect(finish.usage).toEqual({
      inputTokens: 69,
      outputTokens: 53,
      reasoningTokens: 37,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
    });
  });

  it("leaves reasoningTokens absent when the stream does not report them (the recording as is)", async () => {
    const finish = await finishOf(loadRecording(STREAM));
    expect(finish.usage).toEqual({
      inputTokens: 69,
      outputTokens: 53,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
    });
  });
});
