import type { ModelRequest } from "@loom/core";
import { collectParts, loadRecording, recordingPath, startReplayServer } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { type AnthropicProviderOptions, createAnthropicProvider } from "../src/index.js";

const conversation: ModelRequest = {
  messages: [
    { role: "system", content: "Be brief." },
    { role: "system", content: "Use tools." },
    { role: "user", content: "Weather in Paris and Rome?" },
    {
      role: "assistant",
      content: "Checking both.",
      toolCalls: [
        { id: "toolu_1", name: "weather", arguments: '{"city":"Paris"}' },
        { id: "toolu_2", name: "weather", arguments: "" },
      ],
      reasoning: [
        { text: "Two cities.", signature: "sig-1" },
        { text: "", redactedData: "opaque-redacted" },
        { text: "Not signed, so not sent." },
      ],
    },
    { role: "tool", callId: "toolu_1", name: "weather", content: "12°C" },
    { role: "tool", callId: "toolu_2", name: "weather", content: "no such city", isError: true },
    { role: "user", content: "And Oslo?" },
  ],
  tools: [
    {
      name: "weather",
      description: "Weather in a city.",
      inputSchema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    },
  ],
  settings: {
    temperature: 0.5,
    topP: 0.9,
    stopSequences: ["END"],
    providerOptions: { anthropic: { top_k: 5 } },
  },
};

async function sentBody(options: Partial<AnthropicProviderOptions> = {}, request = conversation) {
  const server = await startReplayServer(
    loadRecording(recordingPath("anthropic/messages-nonstream-text.vercel-ai.json")),
  );
  try {
    const provider = createAnthropicProvider({
      model: "claude-sonnet-4-6",
      apiKey: "k",
      baseURL: server.url,
      stream: false,
      ...options,
    });
    await collectParts(provider, request);
    return server.calls[0]?.body as Record<string, unknown>;
  } finally {
    await server.close();
  }
}

describe("Messages request", () => {
  it("puts system messages in `system`, signed thinking first, and tool results in one user message before its text", async () => {
    expect(await sentBody()).toEqual({
      model: "claude-sonnet-4-6",
      max_tokens: 4096,
      stream: false,
      system: "Be brief.\n\nUse tools.",
      messages: [
        { role: "user", content: "Weather in Paris and Rome?" },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "Two cities.", signature: "sig-1" },
            { type: "redacted_thinking", data: "opaque-redacted" },
            { type: "text", text: "Checking both." },
            { type: "tool_use", id: "toolu_1", name: "weather", input: { city: "Paris" } },
            { type: "tool_use", id: "toolu_2", name: "weather", input: {} },
          ],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_1", content: "12°C" },
            { type: "tool_result", tool_use_id: "toolu_2", content: "no such city", is_error: true },
            { type: "text", text: "And Oslo?" },
          ],
        },
      ],
      tools: [
        {
          name: "weather",
          description: "Weather in a city.",
          input_schema: conversation.tools[0]!.inputSchema,
        },
      ],
      temperature: 0.5,
      top_p: 0.9,
      stop_sequences: ["END"],
      top_k: 5,
    });
  });

  it("sends maxOutputTokens, else defaultMaxTokens, and the thinking option", async () => {
    const body = await sentBody({ defaultMaxTokens: 1000, thinking: { budgetTokens: 2048 } });
    expect(body.max_tokens).toBe(1000);
    expect(body.thinking).toEqual({ type: "enabled", budget_tokens: 2048 });
    const explicit = await sentBody({}, { ...conversation, settings: { maxOutputTokens: 64 } });
    expect(explicit.max_tokens).toBe(64);
  });
});
