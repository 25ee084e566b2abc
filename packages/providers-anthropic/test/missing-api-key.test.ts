import { ConfigError } from "@loom/core";
import { collectParts, loadRecording, recordingPath, startReplayServer, userRequest } from "@loom/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createAnthropicProvider } from "../src/index.js";

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("API key", () => {
  it("is a ConfigError at construction, naming the option and the environment variable", () => {
    vi.stubEnv("ANTHROPIC_API_KEY", "");
    const attempt = () => createAnthropicProvider({ model: "claude-sonnet-4-6" });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/apiKey.*ANTHROPIC_API_KEY/);
  });

  it("comes from ANTHROPIC_API_KEY when no option is given, and is sent with the request", async () => {
    vi.stubEnv("ANTHROPIC_API_KEY", "sk-ant-from-the-environment");
    const server = await startReplayServer(
      loadRecording(recordingPath("anthropic/messages-nonstream-text.vercel-ai.json")),
    );
    try {
      const provider = createAnthropicProvider({
        model: "claude-sonnet-4-6",
        baseURL: server.url,
        stream: false,
      });
      await collectParts(provider, userRequest("hi"));
      // This SDK version sends the key as a bearer token.
      expect(server.calls[0]?.headers.authorization).toBe("Bearer sk-ant-from-the-environment");
    } finally {
      await server.close();
    }
  });

  it("a wrong option is a ConfigError that names it", () => {
    expect(() =>
      createAnthropicProvider({ model: "claude-sonnet-4-6", apiKey: "k", thinking: { budgetTokens: 10 } }),
    ).toThrow(/option "thinking.budgetTokens"/);
  });
});
