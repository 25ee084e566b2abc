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
import { createOpenAIProvider } from "../src/index.js";

const finishOf = (parts: Awaited<ReturnType<typeof collectParts>>) => {
  const finish = parts.at(-1);
  if (finish?.type !== "finish") throw new Error("no finish part");
  return finish;
};

async function over(
  exchanges: Parameters<typeof startReplayServer>[0],
  api: "chat" | "responses",
  stream = true,
) {
  const server = await startReplayServer(exchanges);
  try {
    const provider = createOpenAIProvider({
      model: "gpt-4o",
      apiKey: "sk-test",
      baseURL: `${server.url}/v1`,
      api,
      stream,
    });
    return await collectParts(provider, userRequest("Hi"));
  } finally {
    await server.close();
  }
}

const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
  id: "chatcmpl-refused-1",
  object: "chat.completion.chunk",
  created: 1,
  model: "gpt-4o",
  choices: [{ index: 0, delta, finish_reason: finish }],
});

describe("the answer's id", () => {
  it("Chat Completions: the chatcmpl id, streamed and whole", async () => {
    const streamed = await over(
      loadRecording(recordingPath("openai/chat-stream-text.openai-python.sse")),
      "chat",
    );
    expect(finishOf(streamed).responseId).toBe("chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL");
    const whole = await over(
      loadRecording(recordingPath("openai/chat-nonstream-text.vercel-ai.json")),
      "chat",
      false,
    );
    expect(finishOf(whole).responseId).toMatch(/^chatcmpl-/);
  });

  it("Responses: response.id, streamed and whole", async () => {
    const streamed = await over(
      loadRecording(recordingPath("openai/responses-stream-text.simonw-llm.yaml")),
      "responses",
    );
    expect(finishOf(streamed).responseId).toBe("resp_00592e63e61b66660169fab1b9f8e481a2b321356198d7ac1b");
    const whole = await over(
      loadRecording(recordingPath("openai/responses-nonstream-text.simonw-llm.yaml")),
      "responses",
      false,
    );
    expect(finishOf(whole).responseId).toMatch(/^resp_/);
  });
});

describe("a refusal", () => {
  it("Chat Completions: streamed as refusal deltas, finishing with reason refusal and the words in message.refusal", async () => {
    const parts = await over(
      [
        sseExchange(
          [
            chunk({ role: "assistant", refusal: "I can't help " }),
            chunk({ refusal: "with that." }),
            chunk({}, "stop"),
          ],
          { done: true },
        ),
      ],
      "chat",
    );
    expect(parts.filter((p) => p.type === "refusal-delta")).toEqual([
      { type: "refusal-delta", delta: "I can't help " },
      { type: "refusal-delta", delta: "with that." },
    ]);
    const finish = finishOf(parts);
    expect(finish.finishReason).toEqual({ unified: "refusal", raw: "stop" });
    expect(finish.message).toEqual({ role: "assistant", content: "", refusal: "I can't help with that." });
  });

  it("Responses: response.refusal.delta events become refusal deltas; the refusal part is the message's refusal", async () => {
    const response = {
      id: "resp_refused",
      object: "response",
      status: "completed",
      model: "gpt-4o",
      output: [
        {
          type: "message",
          id: "msg_1",
          role: "assistant",
          status: "completed",
          content: [{ type: "refusal", refusal: "No." }],
        },
      ],
      usage: { input_tokens: 5, output_tokens: 1, total_tokens: 6 },
    };
    const parts = await over(
      [
        sseExchange(
          [
            {
              type: "response.created",
              sequence_number: 0,
              response: { ...response, status: "in_progress", output: [] },
            },
            {
              type: "response.refusal.delta",
              sequence_number: 1,
              item_id: "msg_1",
              output_index: 0,
              content_index: 0,
              delta: "No.",
            },
            { type: "response.completed", sequence_number: 2, response },
          ],
          { named: true },
        ),
      ],
      "responses",
    );
    expect(parts.filter((p) => p.type === "refusal-delta")).toEqual([
      { type: "refusal-delta", delta: "No." },
    ]);
    const finish = finishOf(parts);
    expect(finish.finishReason.unified).toBe("refusal");
    expect(finish.message.refusal).toBe("No.");
    expect(finish.responseId).toBe("resp_refused");
  });

  it("an agent run: result.refusal says so, llm.completed keeps the id, the stream shows it, resume returns the same", async () => {
    const server = await startReplayServer([
      sseExchange([chunk({ role: "assistant", refusal: "I can't help with that." }), chunk({}, "stop")], {
        done: true,
      }),
    ]);
    try {
      const journal = new MemoryJournal();
      const provider = createOpenAIProvider({
        model: "gpt-4o",
        apiKey: "sk-test",
        baseURL: `${server.url}/v1`,
      });
      const agent = createAgent({ provider, journal });
      const stream = agent.stream("Something it refuses", { threadId: "t" });
      const deltas: string[] = [];
      for await (const event of stream)
        if (event.type === "llm.delta") deltas.push(`${event.data.kind}:${event.data.delta}`);
      const result = await stream.result;
      expect(deltas).toEqual(["refusal:I can't help with that."]);
      expect(result.status === "completed" && result.refusal).toBe("I can't help with that.");
      const completed = (await readAll(journal, "t")).find((e) => e.type === "llm.completed");
      expect(completed?.data).toMatchObject({
        responseId: "chatcmpl-refused-1",
        finishReason: { unified: "refusal" },
      });
      const resumed = await createAgent({ provider, journal }).resume("t");
      expect(resumed.status === "completed" && resumed.refusal).toBe("I can't help with that.");
      expect(server.calls).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});
