import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import type { LanguageModelV4StreamPart } from "@ai-sdk/provider";
import type { ModelRequest, ModelSettings, Provider } from "@loom/core";
import { collectParts, loadRecording, recordingPath, startReplayServer } from "@loom/testing";
import { convertArrayToReadableStream, MockLanguageModelV3, MockLanguageModelV4 } from "ai/test";
import { describe, expect, it } from "vitest";
import { fromAiSdk } from "../src/index.js";

const weather = {
  name: "weather",
  description: "Weather in a city.",
  inputSchema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

const request = (settings: ModelSettings): ModelRequest => ({
  messages: [
    { role: "system", content: "Be brief." },
    { role: "user", content: "Weather in Paris?" },
  ],
  tools: [weather],
  settings,
});

async function overRecording(file: string, provider: (baseURL: string) => Provider, settings: ModelSettings) {
  const server = await startReplayServer(loadRecording(recordingPath(file)));
  try {
    const parts = await collectParts(provider(server.url), request(settings));
    const finish = parts.at(-1);
    const call = server.calls[0]!;
    return {
      body: call.body as Record<string, unknown>,
      headers: call.headers,
      warnings: finish?.type === "finish" ? (finish.warnings ?? []) : [],
    };
  } finally {
    await server.close();
  }
}

const anthropic = (baseURL: string) =>
  fromAiSdk(createAnthropic({ apiKey: "k", baseURL: `${baseURL}/v1` })("claude-sonnet-4-5"));
const openaiChat = (baseURL: string) =>
  fromAiSdk(createOpenAI({ apiKey: "sk-test", baseURL: `${baseURL}/v1` }).chat("gpt-5"));

const finished: LanguageModelV4StreamPart[] = [
  { type: "stream-start", warnings: [] },
  {
    type: "finish",
    finishReason: { unified: "stop", raw: "stop" },
    usage: {
      inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
      outputTokens: { total: 1, text: 1, reasoning: 0 },
    },
  },
];

describe("portable settings through the AI SDK", () => {
  it("@ai-sdk/anthropic: tool choice, serial tool use, headers and cache breakpoints reach the Messages API", async () => {
    const { body, headers, warnings } = await overRecording(
      "anthropic/messages-stream-text.vercel-ai.chunks.txt",
      anthropic,
      {
        toolChoice: { tool: "weather" },
        parallelToolCalls: false,
        headers: { "x-trace": "t-3" },
        cache: { system: true, tools: true, messages: "last" },
      },
    );
    const ephemeral = { type: "ephemeral" };
    expect(body.tool_choice).toEqual({ type: "tool", name: "weather", disable_parallel_tool_use: true });
    expect(headers["x-trace"]).toBe("t-3");
    expect(body.system).toEqual([{ type: "text", text: "Be brief.", cache_control: ephemeral }]);
    expect((body.tools as Record<string, unknown>[])[0]).toMatchObject({
      name: "weather",
      cache_control: ephemeral,
    });
    expect(body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "Weather in Paris?", cache_control: ephemeral }] },
    ]);
    expect(warnings).toEqual([]);
  });

  it("@ai-sdk/openai chat: tool choice, parallel tool calls, seed, stop and reasoning effort sent", async () => {
    const { body, warnings } = await overRecording(
      "openai/chat-stream-text-usage.vercel-ai.chunks.txt",
      openaiChat,
      {
        toolChoice: "required",
        parallelToolCalls: false,
        seed: 11,
        stopSequences: ["END"],
        reasoning: { effort: "low" },
      },
    );
    expect(body).toMatchObject({
      tool_choice: "required",
      parallel_tool_calls: false,
      seed: 11,
      stop: ["END"],
      reasoning_effort: "low",
    });
    expect(warnings).toEqual([]);
  });

  it("a provider Loom knows no option name for: parallel tool calls, summary and cache become warnings", async () => {
    let seen: Record<string, unknown> = {};
    const model = new MockLanguageModelV4({
      provider: "mistral.chat",
      modelId: "m",
      doStream: async (options) => {
        seen = options as unknown as Record<string, unknown>;
        return { stream: convertArrayToReadableStream(finished) };
      },
    });
    const parts = await collectParts(
      fromAiSdk(model),
      request({
        parallelToolCalls: false,
        reasoning: { effort: "high", summary: "auto" },
        cache: { system: true },
        seed: 1,
        toolChoice: "none",
      }),
    );
    expect(seen).toMatchObject({ reasoning: "high", seed: 1, toolChoice: { type: "none" } });
    expect(seen).not.toHaveProperty("providerOptions");
    const finish = parts.at(-1);
    expect(finish?.type === "finish" && finish.warnings).toEqual([
      'The AI SDK has no common option for parallel tool calls and Loom knows no "mistral" option for it: settings.parallelToolCalls was not sent.',
      "The AI SDK has no common reasoning summary option: settings.reasoning.summary was not sent.",
      'Loom maps cache breakpoints only for Anthropic models: settings.cache was not sent to "mistral".',
    ]);
  });

  it("a v3 model has no reasoning option: the effort is a warning, not sent", async () => {
    let seen: Record<string, unknown> = {};
    const model = new MockLanguageModelV3({
      provider: "mistral.chat",
      modelId: "m",
      doStream: async (options) => {
        seen = options as unknown as Record<string, unknown>;
        return { stream: convertArrayToReadableStream(finished as never[]) };
      },
    });
    const parts = await collectParts(fromAiSdk(model), request({ reasoning: { effort: "low" } }));
    expect(seen).not.toHaveProperty("reasoning");
    const finish = parts.at(-1);
    expect(finish?.type === "finish" && finish.warnings).toEqual([
      "A v3 AI SDK model has no reasoning option: settings.reasoning.effort was not sent.",
    ]);
  });
});
