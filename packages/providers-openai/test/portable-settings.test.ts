import type { ModelRequest, ModelSettings } from "@loom/core";
import { collectParts, loadRecording, recordingPath, startReplayServer } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { createOpenAIProvider } from "../src/index.js";

const weather = {
  name: "weather",
  description: "Weather in a city.",
  inputSchema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

const portable: ModelSettings = {
  toolChoice: { tool: "weather" },
  parallelToolCalls: false,
  reasoning: { effort: "low", summary: "concise" },
  seed: 7,
  stopSequences: ["END"],
  headers: { "x-trace": "t-1" },
  cache: { system: true, tools: true, messages: "last" },
};

async function send(file: string, api: "chat" | "responses", settings: ModelSettings, tools = [weather]) {
  const server = await startReplayServer(loadRecording(recordingPath(file)));
  try {
    const provider = createOpenAIProvider({
      model: "gpt-5",
      apiKey: "sk-test",
      baseURL: `${server.url}/v1`,
      api,
    });
    const request: ModelRequest = {
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Weather in Paris?" },
      ],
      tools,
      settings,
    };
    const parts = await collectParts(provider, request);
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

describe("portable settings on the OpenAI APIs", () => {
  it("Chat Completions: tool_choice, parallel_tool_calls, reasoning_effort, seed, stop and headers sent; the summary is a warning", async () => {
    const { body, headers, warnings } = await send(
      "openai/chat-stream-text.openai-python.sse",
      "chat",
      portable,
    );
    expect(body).toMatchObject({
      tool_choice: { type: "function", function: { name: "weather" } },
      parallel_tool_calls: false,
      reasoning_effort: "low",
      seed: 7,
      stop: ["END"],
    });
    expect(headers["x-trace"]).toBe("t-1");
    // Caching is automatic on OpenAI: the hint needs nothing sent and is no warning.
    expect(JSON.stringify(body)).not.toContain("cache");
    expect(warnings).toEqual([
      "Chat Completions returns no reasoning summary: settings.reasoning.summary was not sent.",
    ]);
  });

  it("Chat Completions: the string tool choices go as they are", async () => {
    for (const toolChoice of ["auto", "none", "required"] as const) {
      const { body } = await send("openai/chat-stream-text.openai-python.sse", "chat", { toolChoice });
      expect(body.tool_choice).toBe(toolChoice);
    }
  });

  it("Chat Completions: a tool choice without tools is not sent (the API refuses it) and says so", async () => {
    const { body, warnings } = await send(
      "openai/chat-stream-text.openai-python.sse",
      "chat",
      { toolChoice: "required", parallelToolCalls: true },
      [],
    );
    expect(body).not.toHaveProperty("tool_choice");
    expect(body).not.toHaveProperty("parallel_tool_calls");
    expect(warnings).toEqual(["The request has no tools: settings.toolChoice was not sent."]);
  });

  it("Responses: tool_choice, parallel_tool_calls and reasoning { effort, summary } sent; seed and stop are warnings", async () => {
    const { body, headers, warnings } = await send(
      "openai/responses-stream-text.simonw-llm.yaml",
      "responses",
      portable,
    );
    expect(body).toMatchObject({
      tool_choice: { type: "function", name: "weather" },
      parallel_tool_calls: false,
      reasoning: { effort: "low", summary: "concise" },
    });
    expect(body).not.toHaveProperty("seed");
    expect(body).not.toHaveProperty("stop");
    expect(headers["x-trace"]).toBe("t-1");
    expect(warnings).toEqual([
      "The Responses API has no stop sequences: settings.stopSequences was not sent.",
      "The Responses API has no seed: settings.seed was not sent.",
    ]);
  });
});
