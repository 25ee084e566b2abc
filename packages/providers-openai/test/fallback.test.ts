import { createAgent, fallbackProviders, MemoryJournal, readAll } from "@loom/core";
import { loadRecording, recordingPath, startReplayServer } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { createOpenAIProvider } from "../src/index.js";

describe("fallbackProviders over the OpenAI APIs (replayed)", () => {
  it("a recorded 429 insufficient_quota on Responses: Chat Completions on another server answers the turn", async () => {
    const primary = await startReplayServer(
      loadRecording(recordingPath("openai/responses-error-429-insufficient-quota.vercel-ai.json")),
    );
    const secondary = await startReplayServer(
      loadRecording(recordingPath("openai/chat-stream-text.openai-python.sse")),
    );
    try {
      const journal = new MemoryJournal();
      const agent = createAgent({
        provider: fallbackProviders([
          createOpenAIProvider({
            model: "gpt-5",
            apiKey: "sk-a",
            baseURL: `${primary.url}/v1`,
            api: "responses",
          }),
          createOpenAIProvider({ model: "gpt-4o-mini", apiKey: "sk-b", baseURL: `${secondary.url}/v1` }),
        ]),
        journal,
        retry: { maxRetries: 3, initialDelayMs: 1, maxDelayMs: 1 },
      });
      const result = await agent.run("Hi", { threadId: "t" });
      expect(result.status).toBe("completed");
      // insufficient_quota is not retryable: no retries on the primary, the secondary takes the turn.
      expect(primary.calls).toHaveLength(1);
      const events = await readAll(journal, "t");
      expect(events.find((e) => e.type === "llm.failed")?.data).toMatchObject({
        error: { code: "quota_exceeded", retryable: false },
        willRetry: true,
      });
      expect(events.find((e) => e.type === "llm.completed")?.data).toMatchObject({
        provider: "openai",
        model: "gpt-4o-mini",
        responseId: "chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL",
      });
    } finally {
      await primary.close();
      await secondary.close();
    }
  });
});
