import { createAgent, fallbackProviders, MemoryJournal, readAll } from "@loom/core";
import { jsonExchange, loadRecording, recordingPath, startReplayServer } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { createAnthropicProvider } from "../src/index.js";

type Server = Awaited<ReturnType<typeof startReplayServer>>;

async function withServers(
  primaryExchanges: Parameters<typeof startReplayServer>[0],
  test: (primary: Server, secondary: Server) => Promise<void>,
) {
  const primary = await startReplayServer(primaryExchanges);
  const secondary = await startReplayServer(
    loadRecording(recordingPath("anthropic/messages-stream-text.vercel-ai.chunks.txt")),
  );
  try {
    await test(primary, secondary);
  } finally {
    await primary.close();
    await secondary.close();
  }
}

const agentOver = (primary: Server, secondary: Server, journal: MemoryJournal) =>
  createAgent({
    provider: fallbackProviders([
      createAnthropicProvider({
        model: "claude-sonnet-4-6",
        apiKey: "k",
        baseURL: primary.url,
        stream: false,
      }),
      createAnthropicProvider({ model: "claude-haiku-4-5", apiKey: "k", baseURL: secondary.url }),
    ]),
    journal,
    retry: { maxRetries: 1, initialDelayMs: 1, maxDelayMs: 1 },
  });

describe("fallbackProviders over the Messages API (replayed)", () => {
  it("a recorded 429 twice: the primary is retried once, then the secondary answers the turn", async () => {
    await withServers(
      loadRecording(recordingPath("anthropic/messages-error-429-429-then-200.anthropic-sdk-python.json")),
      async (primary, secondary) => {
        const journal = new MemoryJournal();
        const result = await agentOver(primary, secondary, journal).run("Hi", { threadId: "t" });
        expect(result.status).toBe("completed");
        expect(primary.calls).toHaveLength(2);
        expect(secondary.calls).toHaveLength(1);
        const events = await readAll(journal, "t");
        expect(events.filter((e) => e.type === "llm.failed").map((e) => e.data)).toMatchObject([
          { error: { code: "rate_limited" }, requestId: "req_011CYK5mje9HkutJtmfPzzNC", willRetry: true },
          {
            error: { code: "rate_limited" },
            requestId: "req_011CYK5mnscLpxFuMxiDHt26",
            willRetry: true,
            retryInMs: 0,
          },
        ]);
        expect(events.find((e) => e.type === "llm.completed")?.data).toMatchObject({
          provider: "anthropic",
          model: "claude-haiku-4-5",
          responseId: "msg_01QC4g3HwBThD4BaNtBckFDJ",
        });
      },
    );
  });

  it("529 overloaded_error: the secondary takes the turn without retrying the primary", async () => {
    await withServers(
      [
        jsonExchange(529, {
          type: "error",
          error: { type: "overloaded_error", message: "Overloaded" },
          request_id: "req_overloaded",
        }),
      ],
      async (primary, secondary) => {
        const journal = new MemoryJournal();
        const result = await agentOver(primary, secondary, journal).run("Hi", { threadId: "t" });
        expect(result.status).toBe("completed");
        expect(primary.calls).toHaveLength(1);
        const failed = (await readAll(journal, "t")).find((e) => e.type === "llm.failed");
        expect(failed?.data).toMatchObject({
          error: { code: "overloaded" },
          status: 529,
          willRetry: true,
          retryInMs: 0,
        });
      },
    );
  });
});
