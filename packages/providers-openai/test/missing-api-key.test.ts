import { ConfigError } from "@loom/core";
import { loadRecording, recordingPath, startReplayServer } from "@loom/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createOpenAIProvider } from "../src/index.js";

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("API key", () => {
  it("is a ConfigError at construction, naming the option and the environment variable", () => {
    vi.stubEnv("OPENAI_API_KEY", "");
    vi.stubEnv("OPENAI_BASE_URL", "");
    const attempt = () => createOpenAIProvider({ model: "gpt-4o" });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/apiKey.*OPENAI_API_KEY/);
  });

  it("comes from OPENAI_API_KEY when no option is given, and is sent as a bearer token", async () => {
    vi.stubEnv("OPENAI_API_KEY", "sk-from-the-environment-123");
    const server = await startReplayServer(
      loadRecording(recordingPath("openai/chat-nonstream-text.vercel-ai.json")),
    );
    try {
      const provider = createOpenAIProvider({
        model: "gpt-4.1-nano",
        baseURL: `${server.url}/v1`,
        stream: false,
      });
      for await (const _ of provider.doStream(
        { messages: [{ role: "user", content: "hi" }], tools: [], settings: {} },
        { signal: new AbortController().signal },
      )) {
        // drain
      }
      expect(server.calls[0]?.headers.authorization).toBe("Bearer sk-from-the-environment-123");
    } finally {
      await server.close();
    }
  });

  it("a wrong option is a ConfigError that names it", () => {
    expect(() =>
      createOpenAIProvider({ model: "gpt-4o", apiKey: "sk-x", api: "completions" as never }),
    ).toThrow(/option "api"/);
    expect(() => createOpenAIProvider({ model: "", apiKey: "sk-x" })).toThrow(/option "model"/);
  });
});
