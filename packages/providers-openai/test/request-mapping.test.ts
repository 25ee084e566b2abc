import type { ModelRequest } from "@loom/core";
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

const conversation: ModelRequest = {
  messages: [
    { role: "system", content: "Be brief." },
    { role: "user", content: "Weather in Paris and Rome?" },
    {
      role: "assistant",
      content: "Checking both.",
      toolCalls: [
        { id: "call_1", name: "weather", arguments: '{"city":"Paris"}' },
        { id: "call_2", name: "weather", arguments: '{"city":"Rome"}' },
      ],
      reasoning: [{ text: "Two cities, two calls.", id: "rs_1", encryptedContent: "gAAAA-encrypted" }],
    },
    { role: "tool", callId: "call_1", name: "weather", content: "12°C" },
    { role: "tool", callId: "call_2", name: "weather", content: "18°C", isError: false },
  ],
  tools: [
    {
      name: "weather",
      description: "Weather in a city.",
      inputSchema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    },
  ],
  settings: {
    maxOutputTokens: 200,
    temperature: 0.2,
    topP: 0.9,
    stopSequences: ["END"],
    providerOptions: { openai: { parallel_tool_calls: true }, anthropic: { ignored: true } },
  },
};

async function sentBody(
  file: string,
  options: { api: "chat" | "responses"; stream: boolean; store?: boolean; strictTools?: boolean },
  request: ModelRequest = conversation,
) {
  const server = await startReplayServer(loadRecording(recordingPath(file)));
  try {
    const provider = createOpenAIProvider({
      model: "gpt-4o",
      apiKey: "sk-test",
      baseURL: `${server.url}/v1`,
      ...options,
    });
    const parts = await collectParts(provider, request);
    return { body: server.calls[0]?.body as Record<string, unknown>, parts };
  } finally {
    await server.close();
  }
}

describe("Chat Completions request", () => {
  it("maps messages, tools and settings to the wire format", async () => {
    const { body } = await sentBody("openai/chat-stream-text.openai-python.sse", {
      api: "chat",
      stream: true,
    });
    expect(body).toEqual({
      model: "gpt-4o",
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Weather in Paris and Rome?" },
        {
          role: "assistant",
          content: "Checking both.",
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } },
            { id: "call_2", type: "function", function: { name: "weather", arguments: '{"city":"Rome"}' } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "12°C" },
        { role: "tool", tool_call_id: "call_2", content: "18°C" },
      ],
      tools: [
        {
          type: "function",
          function: {
            name: "weather",
            description: "Weather in a city.",
            parameters: conversation.tools[0]!.inputSchema,
          },
        },
      ],
      max_completion_tokens: 200,
      temperature: 0.2,
      top_p: 0.9,
      stop: ["END"],
      parallel_tool_calls: true,
    });
  });

  it("sends strict tool schemas when asked", async () => {
    const { body } = await sentBody("openai/chat-nonstream-text.vercel-ai.json", {
      api: "chat",
      stream: false,
      strictTools: true,
    });
    expect(body.stream).toBe(false);
    expect((body.tools as { function: { strict?: boolean } }[])[0]?.function.strict).toBe(true);
  });
});

describe("Responses request", () => {
  it("carries an encrypted reasoning item back before its calls when store is false", async () => {
    const { body, parts } = await sentBody("openai/responses-stream-text.simonw-llm.yaml", {
      api: "responses",
      stream: true,
      store: false,
    });
    expect(body.store).toBe(false);
    expect(body.include).toEqual(["reasoning.encrypted_content"]);
    expect(body.input).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Weather in Paris and Rome?" },
      {
        type: "reasoning",
        id: "rs_1",
        summary: [{ type: "summary_text", text: "Two cities, two calls." }],
        encrypted_content: "gAAAA-encrypted",
      },
      { role: "assistant", content: "Checking both." },
      { type: "function_call", call_id: "call_1", name: "weather", arguments: '{"city":"Paris"}' },
      { type: "function_call", call_id: "call_2", name: "weather", arguments: '{"city":"Rome"}' },
      { type: "function_call_output", call_id: "call_1", output: "12°C" },
      { type: "function_call_output", call_id: "call_2", output: "18°C" },
    ]);
    expect(body.tools).toEqual([
      {
        type: "function",
        name: "weather",
        description: "Weather in a city.",
        parameters: conversation.tools[0]!.inputSchema,
        strict: false,
      },
    ]);
    expect(body.max_output_tokens).toBe(200);
    expect(body.stop).toBeUndefined();
    const finish = parts.at(-1);
    expect(finish?.type === "finish" && finish.warnings).toEqual([
      "The Responses API has no stop sequences: settings.stopSequences was not sent.",
    ]);
  });

  it("sends a stored reasoning item by id, and drops one it cannot send", async () => {
    const stored = await sentBody("openai/responses-nonstream-text.simonw-llm.yaml", {
      api: "responses",
      stream: false,
    });
    expect(stored.body.store).toBeUndefined();
    expect((stored.body.input as { type?: string }[]).filter((i) => i.type === "reasoning")).toHaveLength(1);

    const withoutEncrypted: ModelRequest = {
      ...conversation,
      messages: conversation.messages.map((m) =>
        m.role === "assistant" ? { ...m, reasoning: [{ text: "Two cities.", id: "rs_1" }] } : m,
      ),
    };
    const unsendable = await sentBody(
      "openai/responses-nonstream-text.simonw-llm.yaml",
      { api: "responses", stream: false, store: false },
      withoutEncrypted,
    );
    expect((unsendable.body.input as { type?: string }[]).filter((i) => i.type === "reasoning")).toHaveLength(
      0,
    );
  });
});

describe("Chat Completions answers from compatible servers", () => {
  it("keeps a refusal and reports finishReason refusal", async () => {
    const chunk = (delta: object, finish: string | null = null) => ({
      id: "chatcmpl-x",
      object: "chat.completion.chunk",
      created: 1,
      model: "gpt-4o",
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    const server = await startReplayServer([
      sseExchange(
        [
          chunk({ role: "assistant", refusal: "" }),
          chunk({ refusal: "I can't" }),
          chunk({ refusal: " help." }),
          chunk({}, "stop"),
        ],
        {
          done: true,
        },
      ),
    ]);
    try {
      const provider = createOpenAIProvider({
        model: "gpt-4o",
        apiKey: "sk-test",
        baseURL: `${server.url}/v1`,
      });
      const finish = (await collectParts(provider, userRequest("x"))).at(-1);
      expect(finish?.type === "finish" && [finish.message.refusal, finish.finishReason]).toEqual([
        "I can't help.",
        { unified: "refusal", raw: "stop" },
      ]);
    } finally {
      await server.close();
    }
  });

  it("streams reasoning_content (DeepSeek-style servers) as reasoning", async () => {
    const chunk = (delta: object, finish: string | null = null) => ({
      id: "x",
      object: "chat.completion.chunk",
      created: 1,
      model: "deepseek-reasoner",
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    const server = await startReplayServer([
      sseExchange(
        [chunk({ reasoning_content: "Think." }), chunk({ content: "Answer." }), chunk({}, "stop")],
        { done: true },
      ),
    ]);
    try {
      const provider = createOpenAIProvider({
        model: "deepseek-reasoner",
        apiKey: "sk-test",
        baseURL: `${server.url}/v1`,
      });
      const parts = await collectParts(provider, userRequest("x"));
      expect(parts.map((p) => p.type)).toEqual(["reasoning-delta", "text-delta", "finish"]);
      const finish = parts.at(-1);
      expect(finish?.type === "finish" && finish.message).toEqual({
        role: "assistant",
        content: "Answer.",
        reasoning: [{ text: "Think." }],
      });
    } finally {
      await server.close();
    }
  });

  it("assembles parallel tool calls from servers that leave out the index", async () => {
    const chunk = (delta: object, finish: string | null = null) => ({
      id: "x",
      object: "chat.completion.chunk",
      created: 1,
      model: "m",
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    const call = (id: string | undefined, name: string | undefined, args: string) => ({
      tool_calls: [
        { ...(id ? { id, type: "function" } : {}), function: { ...(name ? { name } : {}), arguments: args } },
      ],
    });
    const server = await startReplayServer([
      sseExchange(
        [
          chunk(call("call_a", "weather", '{"city":')),
          chunk(call(undefined, undefined, '"Paris"}')),
          chunk(call("call_b", "weather", '{"city":"Rome"}')),
          chunk({}, "tool_calls"),
        ],
        { done: true },
      ),
    ]);
    try {
      const provider = createOpenAIProvider({ model: "m", apiKey: "sk-test", baseURL: `${server.url}/v1` });
      const finish = (await collectParts(provider, userRequest("x"))).at(-1);
      expect(finish?.type === "finish" && finish.message.toolCalls).toEqual([
        { id: "call_a", name: "weather", arguments: '{"city":"Paris"}' },
        { id: "call_b", name: "weather", arguments: '{"city":"Rome"}' },
      ]);
    } finally {
      await server.close();
    }
  });

  it("a stream that ends without a finish_reason is a retryable invalid_response", async () => {
    const server = await startReplayServer([
      sseExchange(
        [
          {
            id: "x",
            object: "chat.completion.chunk",
            created: 1,
            model: "m",
            choices: [{ index: 0, delta: { content: "Hal" }, finish_reason: null }],
          },
        ],
        { done: true },
      ),
    ]);
    try {
      const provider = createOpenAIProvider({ model: "m", apiKey: "sk-test", baseURL: `${server.url}/v1` });
      await expect(collectParts(provider, userRequest("x"))).rejects.toMatchObject({
        code: "invalid_response",
        retryable: true,
      });
    } finally {
      await server.close();
    }
  });
});

describe("Responses answers", () => {
  // The recorded "pong" stream, ended as the API ends a response cut short by max_output_tokens.
  const cutShort = () => {
    const { body } = loadRecording(recordingPath("openai/responses-stream-text.simonw-llm.yaml"))
      .exchanges[0]!.response;
    return body
      .split("\n\n")
      .map((event) =>
        event.startsWith("event: response.completed")
          ? event
              .replace("event: response.completed", "event: response.incomplete")
              .replace('"type":"response.completed"', '"type":"response.incomplete"')
              .replace('"status":"completed","background"', '"status":"incomplete","background"')
              .replace('"incomplete_details":null', '"incomplete_details":{"reason":"max_output_tokens"}')
          : event,
      )
      .join("\n\n");
  };

  it("response.incomplete for max_output_tokens finishes with length", async () => {
    const body = cutShort();
    expect(body).toContain("event: response.incomplete");
    const server = await startReplayServer([
      { response: { status: 200, headers: { "content-type": "text/event-stream" }, body } },
    ]);
    try {
      const provider = createOpenAIProvider({
        api: "responses",
        model: "gpt-5.5",
        apiKey: "sk-test",
        baseURL: `${server.url}/v1`,
      });
      const finish = (await collectParts(provider, userRequest("ping"))).at(-1);
      expect(finish?.type === "finish" && [finish.message.content, finish.finishReason]).toEqual([
        "pong",
        { unified: "length", raw: "max_output_tokens" },
      ]);
    } finally {
      await server.close();
    }
  });

  it("response.failed without an error event is a typed error", async () => {
    const { body } = loadRecording(recordingPath("openai/responses-stream-error-event.vercel-ai.chunks.txt"))
      .exchanges[0]!.response;
    const withoutErrorEvent = body
      .split("\n\n")
      .filter((event) => !event.startsWith("event: error"))
      .join("\n\n");
    const server = await startReplayServer([
      {
        response: { status: 200, headers: { "content-type": "text/event-stream" }, body: withoutErrorEvent },
      },
    ]);
    try {
      const provider = createOpenAIProvider({
        api: "responses",
        model: "gpt-5-nano",
        apiKey: "sk-test",
        baseURL: `${server.url}/v1`,
      });
      await expect(collectParts(provider, userRequest("hi"))).rejects.toMatchObject({
        code: "quota_exceeded",
        retryable: false,
      });
    } finally {
      await server.close();
    }
  });

  it("assembles two function calls streamed in one response, each by its output index", async () => {
    // No recording streams parallel Responses calls (recordings/README.md, "Known gaps"); these
    // events follow the shape of the recorded single-call stream, twice, interleaved.
    const item = (i: number, args: string, status: string) => ({
      type: "function_call",
      id: `fc_${i}`,
      call_id: `call_${i}`,
      name: "get_location",
      arguments: args,
      status,
    });
    const response = (status: string, output: unknown[]) => ({
      id: "resp_1",
      object: "response",
      created_at: 1,
      status,
      model: "gpt-4o-2024-08-06",
      output,
      usage:
        status === "completed"
          ? {
              input_tokens: 60,
              input_tokens_details: { cached_tokens: 0 },
              output_tokens: 40,
              output_tokens_details: { reasoning_tokens: 0 },
              total_tokens: 100,
            }
          : null,
    });
    const events = [
      { type: "response.created", response: response("in_progress", []) },
      { type: "response.output_item.added", output_index: 0, item: item(0, "", "in_progress") },
      { type: "response.output_item.added", output_index: 1, item: item(1, "", "in_progress") },
      {
        type: "response.function_call_arguments.delta",
        item_id: "fc_1",
        output_index: 1,
        delta: '{"loc_name":',
      },
      {
        type: "response.function_call_arguments.delta",
        item_id: "fc_0",
        output_index: 0,
        delta: '{"loc_name":"Londos"}',
      },
      {
        type: "response.function_call_arguments.delta",
        item_id: "fc_1",
        output_index: 1,
        delta: '"London"}',
      },
      {
        type: "response.completed",
        response: response("completed", [
          item(0, '{"loc_name":"Londos"}', "completed"),
          item(1, '{"loc_name":"London"}', "completed"),
        ]),
      },
    ];
    const server = await startReplayServer([sseExchange(events, { named: true })]);
    try {
      const provider = createOpenAIProvider({
        api: "responses",
        model: "gpt-4o",
        apiKey: "sk-test",
        baseURL: `${server.url}/v1`,
      });
      const parts = await collectParts(provider, userRequest("Where are Londos and London?"));
      expect(parts.filter((p) => p.type === "tool-call-delta")).toEqual([
        { type: "tool-call-delta", index: 0, callId: "call_0", name: "get_location", argsDelta: "" },
        { type: "tool-call-delta", index: 1, callId: "call_1", name: "get_location", argsDelta: "" },
        { type: "tool-call-delta", index: 1, argsDelta: '{"loc_name":' },
        { type: "tool-call-delta", index: 0, argsDelta: '{"loc_name":"Londos"}' },
        { type: "tool-call-delta", index: 1, argsDelta: '"London"}' },
      ]);
      const finish = parts.at(-1);
      expect(
        finish?.type === "finish" && [finish.message.toolCalls, finish.finishReason, finish.usage],
      ).toEqual([
        [
          { id: "call_0", name: "get_location", arguments: '{"loc_name":"Londos"}' },
          { id: "call_1", name: "get_location", arguments: '{"loc_name":"London"}' },
        ],
        { unified: "tool-calls", raw: "completed" },
        { inputTokens: 60, outputTokens: 40, reasoningTokens: 0, cachedInputTokens: 0 },
      ]);
    } finally {
      await server.close();
    }
  });
});
