import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import type { LanguageModelV4StreamPart } from "@ai-sdk/provider";
import { createAgent, MemoryJournal } from "@loom/core";
import { collectParts, loadRecording, recordingPath, startReplayServer, userRequest } from "@loom/testing";
import { convertArrayToReadableStream, MockLanguageModelV4 } from "ai/test";
import { describe, expect, it } from "vitest";
import { fromAiSdk } from "../src/index.js";

const finishOf = (parts: Awaited<ReturnType<typeof collectParts>>) => {
  const finish = parts.at(-1);
  if (finish?.type !== "finish") throw new Error("no finish part");
  return finish;
};

describe("the answer's id through the AI SDK (response-metadata)", () => {
  it("@ai-sdk/openai chat and @ai-sdk/anthropic on recorded answers", async () => {
    const chat = await startReplayServer(
      loadRecording(recordingPath("openai/chat-stream-text.openai-python.sse")),
    );
    const messages = await startReplayServer(
      loadRecording(recordingPath("anthropic/messages-stream-text.vercel-ai.chunks.txt")),
    );
    try {
      const openai = fromAiSdk(createOpenAI({ apiKey: "sk-test", baseURL: `${chat.url}/v1` }).chat("gpt-4o"));
      expect(finishOf(await collectParts(openai, userRequest("Hi"))).responseId).toBe(
        "chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL",
      );
      const anthropic = fromAiSdk(
        createAnthropic({ apiKey: "k", baseURL: `${messages.url}/v1` })("claude-sonnet-4-6"),
      );
      expect(finishOf(await collectParts(anthropic, userRequest("Hi"))).responseId).toBe(
        "msg_01QC4g3HwBThD4BaNtBckFDJ",
      );
    } finally {
      await chat.close();
      await messages.close();
    }
  });
});

describe("a refusal through the AI SDK", () => {
  const refused: LanguageModelV4StreamPart[] = [
    { type: "stream-start", warnings: [] },
    { type: "response-metadata", id: "resp-9" },
    {
      type: "finish",
      finishReason: { unified: "other", raw: "refusal" },
      usage: {
        inputTokens: { total: 3, noCache: 3, cacheRead: 0, cacheWrite: 0 },
        outputTokens: { total: 1, text: 1, reasoning: 0 },
      },
    },
  ];
  const model = () =>
    new MockLanguageModelV4({
      provider: "mock.chat",
      modelId: "m",
      doStream: async () => ({ stream: convertArrayToReadableStream(refused) }),
    });

  it("is a refusal part before the finish, and the agent's result says so", async () => {
    const parts = await collectParts(fromAiSdk(model()), userRequest("Hi"));
    expect(parts.map((p) => p.type)).toEqual(["refusal-delta", "finish"]);
    expect(finishOf(parts)).toMatchObject({ finishReason: { unified: "refusal" }, responseId: "resp-9" });
    const result = await createAgent({ provider: fromAiSdk(model()), journal: new MemoryJournal() }).run(
      "Hi",
    );
    expect(result.status === "completed" && result.refusal).toBe("The model declined to answer.");
  });
});
