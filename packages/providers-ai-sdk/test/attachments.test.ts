import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import type { LanguageModelV2, LanguageModelV2StreamPart, LanguageModelV3StreamPart } from "@ai-sdk/provider";
import {
  createAgent,
  MemoryJournal,
  type ModelRequest,
  type Provider,
  ProviderError,
  tool,
  toolResult,
} from "@loom/core";
import { collectParts, loadRecording, recordingPath, startReplayServer } from "@loom/testing";
import { convertArrayToReadableStream, MockLanguageModelV3 } from "ai/test";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { fromAiSdk } from "../src/index.js";

// Images and files on user messages as the AI SDK's file parts, written for the model's
// specification version; what the model cannot take is refused before any request, never dropped.

/** A 1x1 PNG, and the first bytes of a PDF. */
const PIXEL =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const PDF = Buffer.from("%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n").toString("base64");

type Attachments = NonNullable<Extract<ModelRequest["messages"][number], { role: "user" }>["attachments"]>;
const userWith = (attachments: Attachments): ModelRequest => ({
  messages: [{ role: "user", content: "What is in these?", attachments }],
  tools: [],
  settings: {},
});

const imageAndPdf: Attachments = [
  { type: "image", mediaType: "image/png", data: PIXEL, hash: "ignored-by-providers" },
  { type: "image", mediaType: "image/jpeg", url: "https://example.com/cat.jpg" },
  { type: "file", mediaType: "application/pdf", data: PDF, filename: "spec.pdf" },
];
const pdfAtUrl: Attachments = [
  { type: "file", mediaType: "application/pdf", url: "https://example.com/spec.pdf", filename: "spec.pdf" },
];

async function send(file: string, provider: (baseURL: string) => Provider, request: ModelRequest) {
  const server = await startReplayServer(loadRecording(recordingPath(file)));
  try {
    const outcome = await collectParts(provider(server.url), request).then(
      (parts) => ({ parts, error: undefined }),
      (error: unknown) => ({ parts: [], error }),
    );
    return { ...outcome, calls: server.calls };
  } finally {
    await server.close();
  }
}

const openaiChat = (baseURL: string) =>
  fromAiSdk(createOpenAI({ apiKey: "sk-test", baseURL: `${baseURL}/v1` }).chat("gpt-4o"));
const openaiResponses = (baseURL: string) =>
  fromAiSdk(createOpenAI({ apiKey: "sk-test", baseURL: `${baseURL}/v1` }).responses("gpt-4o"));
const anthropic = (baseURL: string) =>
  fromAiSdk(createAnthropic({ apiKey: "k", baseURL: `${baseURL}/v1` })("claude-sonnet-4-5"));

const CHAT = "openai/chat-stream-text-usage.vercel-ai.chunks.txt";
const RESPONSES = "openai/responses-stream-text.simonw-llm.yaml";
const MESSAGES = "anthropic/messages-stream-text.vercel-ai.chunks.txt";

describe("attachments through @ai-sdk/openai and @ai-sdk/anthropic (v4 models)", () => {
  it("OpenAI Chat: image_url parts (data URL or URL) and a file part with the PDF's bytes", async () => {
    const { calls, parts, error } = await send(CHAT, openaiChat, userWith(imageAndPdf));
    expect(error).toBeUndefined();
    expect(parts.at(-1)?.type).toBe("finish");
    expect((calls[0]!.body as { messages: unknown }).messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "What is in these?" },
          { type: "image_url", image_url: { url: `data:image/png;base64,${PIXEL}` } },
          { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } },
          { type: "file", file: { filename: "spec.pdf", file_data: `data:application/pdf;base64,${PDF}` } },
        ],
      },
    ]);
  });

  it("OpenAI Responses: input_image and input_file", async () => {
    const { calls, error } = await send(RESPONSES, openaiResponses, userWith(imageAndPdf));
    expect(error).toBeUndefined();
    expect((calls[0]!.body as { input: unknown }).input).toEqual([
      {
        role: "user",
        content: [
          { type: "input_text", text: "What is in these?" },
          { type: "input_image", image_url: `data:image/png;base64,${PIXEL}` },
          { type: "input_image", image_url: "https://example.com/cat.jpg" },
          { type: "input_file", filename: "spec.pdf", file_data: `data:application/pdf;base64,${PDF}` },
        ],
      },
    ]);
  });

  it("Anthropic: image and document blocks", async () => {
    const { calls, error } = await send(MESSAGES, anthropic, userWith(imageAndPdf));
    expect(error).toBeUndefined();
    expect((calls[0]!.body as { messages: unknown }).messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "What is in these?" },
          { type: "image", source: { type: "base64", media_type: "image/png", data: PIXEL } },
          { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
          {
            type: "document",
            source: { type: "base64", media_type: "application/pdf", data: PDF },
            title: "spec.pdf",
          },
        ],
      },
    ]);
  });

  it("a PDF at a URL, which OpenAI Chat cannot take, is a non-retryable bad_request before any request", async () => {
    const { calls, error } = await send(CHAT, openaiChat, userWith(pdfAtUrl));
    expect(calls).toHaveLength(0);
    expect(error).toBeInstanceOf(ProviderError);
    const refused = error as ProviderError;
    expect(refused.code).toBe("bad_request");
    expect(refused.retryable).toBe(false);
    expect(refused.provider).toBe("openai.chat");
    expect(refused.message).toMatch(/PDF file parts with URLs/);
    expect(refused.message).toMatch(/send its bytes as "data" instead of a URL/);
  });
});

describe("attachments for a v3 model (MockLanguageModelV3)", () => {
  it("writes the file parts as v3 takes them: base64 text, or a URL object", async () => {
    const finish: LanguageModelV3StreamPart[] = [
      {
        type: "finish",
        finishReason: { unified: "stop", raw: "stop" },
        usage: {
          inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
          outputTokens: { total: 1, text: 1, reasoning: 0 },
        },
      },
    ];
    const model = new MockLanguageModelV3({
      doStream: async () => ({ stream: convertArrayToReadableStream(finish) }),
    });
    await collectParts(fromAiSdk(model), userWith([...imageAndPdf, ...pdfAtUrl]));
    expect(model.doStreamCalls[0]?.prompt).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "What is in these?" },
          { type: "file", mediaType: "image/png", data: PIXEL },
          { type: "file", mediaType: "image/jpeg", data: new URL("https://example.com/cat.jpg") },
          { type: "file", mediaType: "application/pdf", filename: "spec.pdf", data: PDF },
          {
            type: "file",
            mediaType: "application/pdf",
            filename: "spec.pdf",
            data: new URL("https://example.com/spec.pdf"),
          },
        ],
      },
    ]);
  });
});

describe("a Loom agent run with an image through @ai-sdk/openai", () => {
  it("sends the image's bytes in the first turn and again, restored from the journal, in the next", async () => {
    const recording = loadRecording(recordingPath(CHAT));
    const server = await startReplayServer([...recording.exchanges, ...recording.exchanges]);
    try {
      const agent = createAgent({ journal: new MemoryJournal(), provider: openaiChat(server.url) });
      const first = await agent.run(
        [
          { type: "text", text: "What is in this image?" },
          { type: "image", mediaType: "image/png", data: Buffer.from(PIXEL, "base64") },
        ],
        { threadId: "t" },
      );
      expect(first.status).toBe("completed");
      const second = await agent.run("And its colour?", { threadId: "t" });
      expect(second.status).toBe("completed");
      const image = { type: "image_url", image_url: { url: `data:image/png;base64,${PIXEL}` } };
      const users = server.calls.map((call) =>
        (call.body as { messages: { role: string }[] }).messages.filter((m) => m.role === "user"),
      );
      expect(users).toEqual([
        [{ role: "user", content: [{ type: "text", text: "What is in this image?" }, image] }],
        [
          { role: "user", content: [{ type: "text", text: "What is in this image?" }, image] },
          { role: "user", content: "And its colour?" },
        ],
      ]);
    } finally {
      await server.close();
    }
  });
});

type ToolAttachments = NonNullable<
  Extract<ModelRequest["messages"][number], { role: "tool" }>["attachments"]
>;

/** A turn where the model called a tool, and the tool answered with text and `attachments`. */
const toolReturned = (attachments: ToolAttachments): ModelRequest => ({
  messages: [
    { role: "user", content: "Chart the sales." },
    { role: "assistant", content: "", toolCalls: [{ id: "call_1", name: "chart", arguments: "{}" }] },
    { role: "tool", callId: "call_1", name: "chart", content: "chart attached", attachments },
  ],
  tools: [],
  settings: {},
});

const chartAndPdf: ToolAttachments = [
  { type: "image", mediaType: "image/png", data: PIXEL, hash: "ignored-by-providers" },
  { type: "image", mediaType: "image/jpeg", url: "https://example.com/cat.jpg" },
  { type: "file", mediaType: "application/pdf", data: PDF, filename: "sales.pdf" },
];

describe("tool results with images and files through @ai-sdk/openai and @ai-sdk/anthropic (v4 models)", () => {
  it("Anthropic: the tool_result's content is a text block, then image and document blocks", async () => {
    const { calls, parts, error } = await send(MESSAGES, anthropic, toolReturned(chartAndPdf));
    expect(error).toBeUndefined();
    expect(parts.at(-1)?.type).toBe("finish");
    expect((calls[0]!.body as { messages: unknown[] }).messages.at(-1)).toEqual({
      role: "user",
      content: [
        {
          type: "tool_result",
          tool_use_id: "call_1",
          content: [
            { type: "text", text: "chart attached" },
            { type: "image", source: { type: "base64", media_type: "image/png", data: PIXEL } },
            { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
            { type: "document", source: { type: "base64", media_type: "application/pdf", data: PDF } },
          ],
        },
      ],
    });
  });

  it("OpenAI Responses: function_call_output's output is input_text, input_image and input_file items", async () => {
    const { calls, error } = await send(RESPONSES, openaiResponses, toolReturned(chartAndPdf));
    expect(error).toBeUndefined();
    expect((calls[0]!.body as { input: unknown[] }).input.at(-1)).toEqual({
      type: "function_call_output",
      call_id: "call_1",
      output: [
        { type: "input_text", text: "chart attached" },
        { type: "input_image", image_url: `data:image/png;base64,${PIXEL}` },
        { type: "input_image", image_url: "https://example.com/cat.jpg" },
        { type: "input_file", filename: "sales.pdf", file_data: `data:application/pdf;base64,${PDF}` },
      ],
    });
  });

  it("OpenAI Chat, whose tool messages are text only: a non-retryable bad_request before any request", async () => {
    const { calls, error } = await send(CHAT, openaiChat, toolReturned(chartAndPdf));
    expect(calls).toHaveLength(0);
    expect(error).toBeInstanceOf(ProviderError);
    const refused = error as ProviderError;
    expect(refused.code).toBe("bad_request");
    expect(refused.retryable).toBe(false);
    expect(refused.provider).toBe("openai.chat");
    expect(refused.message).toMatch(/tool result attachment 0 \(image\/png\)/);
    expect(refused.message).toMatch(/Use a Responses model/);
    expect(refused.message).not.toContain(PIXEL);
  });
});

describe("tool results with images and files for v3 and v2 models", () => {
  const finishV3: LanguageModelV3StreamPart[] = [
    {
      type: "finish",
      finishReason: { unified: "stop", raw: "stop" },
      usage: {
        inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
        outputTokens: { total: 1, text: 1, reasoning: 0 },
      },
    },
  ];
  const v2Model = (calls: unknown[]): LanguageModelV2 => {
    const parts: LanguageModelV2StreamPart[] = [
      { type: "finish", usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 }, finishReason: "stop" },
    ];
    return {
      specificationVersion: "v2",
      provider: "mock2.messages",
      modelId: "m2",
      supportedUrls: {},
      doGenerate: async () => {
        throw new Error("not used");
      },
      doStream: async (options) => {
        calls.push(options.prompt);
        return { stream: convertArrayToReadableStream(parts) };
      },
    };
  };

  it("v3: image-data, image-url, file-data and file-url items", async () => {
    const model = new MockLanguageModelV3({
      doStream: async () => ({ stream: convertArrayToReadableStream(finishV3) }),
    });
    await collectParts(fromAiSdk(model), toolReturned([...chartAndPdf, ...pdfAtUrl]));
    expect(model.doStreamCalls[0]?.prompt.at(-1)).toEqual({
      role: "tool",
      content: [
        {
          type: "tool-result",
          toolCallId: "call_1",
          toolName: "chart",
          output: {
            type: "content",
            value: [
              { type: "text", text: "chart attached" },
              { type: "image-data", data: PIXEL, mediaType: "image/png" },
              { type: "image-url", url: "https://example.com/cat.jpg" },
              { type: "file-data", data: PDF, mediaType: "application/pdf", filename: "sales.pdf" },
              { type: "file-url", url: "https://example.com/spec.pdf" },
            ],
          },
        },
      ],
    });
  });

  it("v2: media items with the base64 data", async () => {
    const calls: unknown[] = [];
    await collectParts(fromAiSdk(v2Model(calls)), toolReturned([chartAndPdf[0]!, chartAndPdf[2]!]));
    expect((calls[0] as unknown[]).at(-1)).toEqual({
      role: "tool",
      content: [
        {
          type: "tool-result",
          toolCallId: "call_1",
          toolName: "chart",
          output: {
            type: "content",
            value: [
              { type: "text", text: "chart attached" },
              { type: "media", data: PIXEL, mediaType: "image/png" },
              { type: "media", data: PDF, mediaType: "application/pdf" },
            ],
          },
        },
      ],
    });
  });

  it("v2: an image at a URL, which v2 tool results cannot carry, is refused before the model is called", async () => {
    const calls: unknown[] = [];
    const error = await collectParts(fromAiSdk(v2Model(calls)), toolReturned([chartAndPdf[1]!])).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(calls).toHaveLength(0);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe("bad_request");
    expect((error as ProviderError).retryable).toBe(false);
    expect((error as ProviderError).message).toMatch(/at a URL, and a v2 model takes/);
  });
});

describe("a Loom agent run where a tool returns an image, through @ai-sdk/anthropic", () => {
  it("the chart the tool returned goes to the model in the next request's tool_result", async () => {
    const file = "anthropic/messages-stream-tool-use-then-text.anthropic-sdk-python.json";
    const server = await startReplayServer(loadRecording(recordingPath(file)));
    try {
      const agent = createAgent({
        journal: new MemoryJournal(),
        provider: anthropic(server.url),
        tools: [
          tool({
            name: "get_weather",
            description: "Lookup the weather for a given city in either celsius or fahrenheit",
            input: z.object({ location: z.string(), units: z.enum(["c", "f"]) }),
            run: () =>
              toolResult({
                content: "chart attached",
                attachments: [{ type: "image", mediaType: "image/png", data: PIXEL }],
              }),
          }),
        ],
      });
      const result = await agent.run("What is the weather in SF?");
      expect(result.status).toBe("completed");
      expect(server.calls).toHaveLength(2);
      const last = (server.calls[1]!.body as { messages: { content: unknown[] }[] }).messages.at(-1);
      expect(last?.content).toEqual([
        {
          type: "tool_result",
          tool_use_id: expect.stringMatching(/^toolu_/),
          content: [
            { type: "text", text: "chart attached" },
            { type: "image", source: { type: "base64", media_type: "image/png", data: PIXEL } },
          ],
        },
      ]);
    } finally {
      await server.close();
    }
  });
});
