// A recorded request and a sent one are compared through a "shape" that makes equal only what the
// API treats as equal, each rule named beside it in recorded-requests.ts. These pin both sides:
// what the rules make equal, and that everything else, settings included, still differs.
import { describe, expect, it } from "vitest";
import {
  anthropicRequestShape,
  chatRequestFromBody,
  chatRequestShape,
  responsesRequestShape,
} from "../src/index.js";

const chat = {
  model: "gpt-4o",
  messages: [
    { role: "developer", content: "Be brief." },
    { role: "user", content: [{ type: "text", text: "Hi" }] },
    {
      role: "assistant",
      tool_calls: [{ id: "call_1", type: "function", function: { name: "f", arguments: '{"a": 1}' } }],
    },
    { role: "tool", tool_call_id: "call_1", content: "1" },
  ],
  tools: [{ type: "function", function: { name: "f", description: "F.", parameters: {}, strict: true } }],
  tool_choice: "auto",
  temperature: 0.5,
  max_completion_tokens: 100,
  stream: false,
};

describe("chatRequestShape", () => {
  it("makes equal what the API treats as equal, and only that", () => {
    const same = {
      ...chat,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hi" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "call_1", type: "function", function: { name: "f", arguments: '{"a":1}' } }],
        },
        { role: "tool", tool_call_id: "call_1", content: "1" },
      ],
      tools: [{ type: "function", function: { name: "f", description: "F.", parameters: {} } }],
      tool_choice: undefined,
      stream: undefined,
    };
    expect(chatRequestShape(same)).toEqual(chatRequestShape(chat));
  });

  it.each([
    ["temperature", { temperature: 0.7 }],
    ["max_completion_tokens", { max_completion_tokens: 10 }],
    ["an option passed through", { user: "someone" }],
    ["tool_choice", { tool_choice: "required" }],
    ["stream_options", { stream_options: { include_usage: true } }],
    ["the model", { model: "gpt-4o-mini" }],
    ["a message", { messages: chat.messages.slice(1) }],
  ])("still tells %s apart", (_what, change) => {
    expect(chatRequestShape({ ...chat, ...change })).not.toEqual(chatRequestShape(chat));
  });

  it("reads a developer message back as Loom's system message, settings and options included", () => {
    const request = chatRequestFromBody({ ...chat, user: "someone" });
    expect(request.messages[0]).toEqual({ role: "system", content: "Be brief." });
    expect(request.settings).toEqual({
      maxOutputTokens: 100,
      temperature: 0.5,
      providerOptions: { openai: { user: "someone" } },
    });
  });
});

describe("responsesRequestShape", () => {
  const body = {
    model: "gpt-4o",
    instructions: "",
    input: [
      { role: "user", content: [{ type: "input_text", text: "Hi" }] },
      { role: "assistant", content: "" },
      { type: "function_call", call_id: "c", name: "f", arguments: '{"a": 1}' },
    ],
    tools: [{ type: "function", name: "f", parameters: {}, strict: true }],
  };

  it("drops an assistant message without text, empty instructions and strict; reads arguments as JSON", () => {
    expect(
      responsesRequestShape({
        model: "gpt-4o",
        input: [
          { role: "user", content: "Hi" },
          { type: "function_call", call_id: "c", name: "f", arguments: '{"a":1}' },
        ],
        tools: [{ type: "function", name: "f", parameters: {}, strict: false }],
      }),
    ).toEqual(responsesRequestShape(body));
  });

  it("still tells max_output_tokens apart", () => {
    expect(responsesRequestShape({ ...body, max_output_tokens: 5 })).not.toEqual(responsesRequestShape(body));
  });
});

describe("anthropicRequestShape", () => {
  const body = {
    model: "claude-sonnet-4-5",
    max_tokens: 1024,
    messages: [
      { role: "user", content: [{ type: "text", text: "Hi" }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t", content: "1", is_error: false }] },
    ],
    tools: [{ type: "custom", name: "f", description: "F.", input_schema: {} }],
    tool_choice: { type: "auto" },
  };

  it("merges consecutive messages of one role and drops the defaults, not the model's max_tokens", () => {
    const same = {
      model: "claude-sonnet-4-6",
      max_tokens: 1024,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Hi" },
            { type: "tool_result", tool_use_id: "t", content: "1" },
          ],
        },
      ],
      tools: [{ name: "f", description: "F.", input_schema: {} }],
      stream: false,
    };
    expect(anthropicRequestShape(same)).toEqual(anthropicRequestShape(body));
    expect(anthropicRequestShape({ ...same, max_tokens: 4096 })).not.toEqual(anthropicRequestShape(body));
    expect(anthropicRequestShape({ ...same, temperature: 1 })).not.toEqual(anthropicRequestShape(body));
  });
});
