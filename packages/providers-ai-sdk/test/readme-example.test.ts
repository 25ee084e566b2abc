import { loadRecording, recordingPath, startReplayServer } from "@loom/testing";
import { runReadmeExample } from "@loom/testing/vitest";
import { afterAll, expect, it, vi } from "vitest";

afterAll(() => vi.unstubAllEnvs());

it("the README's first example runs on a recorded OpenAI answer, with OPENAI_BASE_URL as the AI SDK reads it", async () => {
  const server = await startReplayServer(
    loadRecording(recordingPath("openai/chat-stream-text.openai-python.sse")),
  );
  vi.stubEnv("OPENAI_API_KEY", "sk-test-readme");
  vi.stubEnv("OPENAI_BASE_URL", `${server.url}/v1`);
  let logs: string[];
  try {
    logs = await runReadmeExample(new URL("../README.md", import.meta.url));
  } finally {
    await server.close();
  }
  // The recording's answer, printed by the example.
  expect(logs).toEqual([
    "I'm unable to provide real-time weather updates. To get the current weather in San Francisco, I recommend checking a reliable weather website or a weather app.",
  ]);
  expect(server.calls).toHaveLength(1);
  expect(server.calls[0]!.path).toBe("/v1/chat/completions");
});
