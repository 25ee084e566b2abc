import { createAgent, MemoryJournal, readAll } from "@loom/core";
import {
  collectParts,
  loadRecording,
  recordingPath,
  sseExchange,
  startReplayServer,
  userRequest,
} from "@loom/testing";
import { describe, expect, it } from "vitest";
import { createAnthropicProvider } from "../src/index.js";

type Exchanges = Parameters<typeof startReplayServer>[0];

async function over(exchanges: Exchanges, stream = true) {
  const server = await startReplayServer(exchanges);
  try {
    const provider = createAnthropicProvider({
      model: "claude-sonnet-4-6",
      apiKey: "k",
      baseURL: server.url,
      stream,
    });
    return await collectParts(provider, userRequest("Hi"));
  } finally {
    await server.close();
  }
}

const finishOf = (parts: Awaited<ReturnType<typeof collectParts>>) => {
  const finish = parts.at(-1);
  if (finish?.type !== "finish") throw new Error("no finish part");
  return finish;
};

const refusalStream = () =>
  sseExchange(
    [
      {
        type: "message_start",
        message: {
          id: "msg_refused",
          type: "message",
          role: "assistant",
          model: "claude-sonnet-4-6",
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 10, output_tokens: 1 },
        },
      },
      {
        type: "message_delta",
        delta: { stop_reason: "refusal", stop_sequence: null },
        usage: { output_tokens: 1 },
      },
      { type: "message_stop" },
    ],
    { named: true },
  );

describe("the answer's id", () => {
  it("the message id, streamed and whole", async () => {
    const streamed = await over(
      loadRecording(recordingPath("anthropic/messages-stream-text.vercel-ai.chunks.txt")),
    );
    expect(finishOf(streamed).responseId).toBe("msg_01QC4g3HwBThD4BaNtBckFDJ");
    const whole = await over(
      loadRecording(recordingPath("anthropic/messages-nonstream-text.vercel-ai.json")),
      false,
    );
    expect(finishOf(whole).responseId).toBe("msg_01VdEjxAP5ahtHKrrRdNBteQ");
  });
});

describe('stop_reason "refusal"', () => {
  it("is a refusal part of its own, then a finish with reason refusal", async () => {
    const parts = await over([refusalStream()]);
    expect(parts.map((p) => p.type)).toEqual(["refusal-delta", "finish"]);
    const finish = finishOf(parts);
    expect(finish.finishReason).toEqual({ unified: "refusal", raw: "refusal" });
    expect(finish.message.refusal).toBe("The model declined to answer.");
    expect(finish.responseId).toBe("msg_refused");
  });

  it("an agent run ends with result.refusal, not an empty answer; resume returns it from the journal", async () => {
    const server = await startReplayServer([refusalStream()]);
    try {
      const journal = new MemoryJournal();
      const provider = createAnthropicProvider({
        model: "claude-sonnet-4-6",
        apiKey: "k",
        baseURL: server.url,
      });
      const result = await createAgent({ provider, journal }).run("Something it refuses", { threadId: "t" });
      expect(result.status === "completed" && result.refusal).toBe("The model declined to answer.");
      const completed = (await readAll(journal, "t")).find((e) => e.type === "llm.completed");
      expect(completed?.data).toMatchObject({
        responseId: "msg_refused",
        finishReason: { unified: "refusal" },
      });
      const resumed = await createAgent({ provider, journal }).resume("t");
      expect(resumed.status === "completed" && resumed.refusal).toBe("The model declined to answer.");
      expect(server.calls).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});
