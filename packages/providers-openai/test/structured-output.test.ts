import { createAgent } from "@loom/core";
import {
  collectParts,
  loadRecording,
  recordingPath,
  sseExchange,
  startReplayServer,
  userRequest,
} from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createOpenAIProvider } from "../src/index.js";

const Weather = z.object({ city: z.string(), celsius: z.number() });
const { $schema: _ignored, ...weatherSchema } = z.toJSONSchema(Weather, { io: "output" }) as Record<
  string,
  unknown
>;

const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
  id: "chatcmpl-so",
  object: "chat.completion.chunk",
  created: 1,
  model: "gpt-4o",
  choices: [{ index: 0, delta, finish_reason: finish }],
});

describe("structured output on the OpenAI APIs", () => {
  it("Chat Completions: response_format json_schema (strict when the schema allows), and a bad answer fed back", async () => {
    const server = await startReplayServer([
      sseExchange([chunk({ role: "assistant", content: '{"city":"Lisbon"}' }), chunk({}, "stop")], {
        done: true,
      }),
      sseExchange(
        [chunk({ role: "assistant", content: '{"city":"Lisbon","celsius":21}' }), chunk({}, "stop")],
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
      const result = await createAgent({ provider, output: Weather, name: "weather agent" }).run("Weather?");
      expect(result.status === "completed" && result.output).toEqual({ city: "Lisbon", celsius: 21 });
      const first = server.calls[0]?.body as Record<string, unknown>;
      expect(first.response_format).toEqual({
        type: "json_schema",
        json_schema: { name: "weather_agent", schema: weatherSchema, strict: true },
      });
      const second = server.calls[1]?.body as { messages: { role: string; content: string }[] };
      expect(second.messages.slice(-2)).toEqual([
        { role: "assistant", content: '{"city":"Lisbon"}' },
        {
          role: "user",
          content: expect.stringMatching(/^Your answer does not match the required JSON Schema:\n- celsius/),
        },
      ]);
    } finally {
      await server.close();
    }
  });

  it("Chat Completions: an optional field makes the schema non-strict", async () => {
    const server = await startReplayServer(
      loadRecording(recordingPath("openai/chat-stream-text.openai-python.sse")),
    );
    try {
      const provider = createOpenAIProvider({
        model: "gpt-4o",
        apiKey: "sk-test",
        baseURL: `${server.url}/v1`,
      });
      await collectParts(
        provider,
        userRequest("Hi", {
          settings: {
            responseFormat: { type: "json", name: "o", schema: { type: "object", properties: { a: {} } } },
          },
        }),
      );
      const body = server.calls[0]?.body as { response_format: { json_schema: { strict: boolean } } };
      expect(body.response_format.json_schema.strict).toBe(false);
    } finally {
      await server.close();
    }
  });

  it("Responses: text.format json_schema", async () => {
    const server = await startReplayServer(
      loadRecording(recordingPath("openai/responses-stream-text.simonw-llm.yaml")),
    );
    try {
      const provider = createOpenAIProvider({
        model: "gpt-4o",
        apiKey: "sk-test",
        baseURL: `${server.url}/v1`,
        api: "responses",
      });
      await collectParts(
        provider,
        userRequest("Hi", {
          settings: {
            responseFormat: { type: "json", name: "weather", description: "W.", schema: weatherSchema },
          },
        }),
      );
      expect((server.calls[0]!.body as Record<string, unknown>).text).toEqual({
        format: {
          type: "json_schema",
          name: "weather",
          description: "W.",
          schema: weatherSchema,
          strict: true,
        },
      });
    } finally {
      await server.close();
    }
  });
});
