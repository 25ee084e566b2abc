import { createAgent, MemoryJournal, type ModelRequest, ProviderError, tool, toolResult } from "@loom/core";
import { collectParts, loadRecording, recordingPath, startReplayServer } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createAnthropicProvider } from "../src/index.js";

// Images and files on user messages as Messages API blocks; what the API cannot take is refused
// before any request, never dropped.

/** A 1x1 PNG, the first bytes of a PDF, and a text file. */
const PIXEL =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const PDF = Buffer.from("%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n").toString("base64");
const NOTES = "Ship on Friday.\nRéunion à 10h.";

const NONSTREAM = "anthropic/messages-nonstream-text.vercel-ai.json";
const STREAM = "anthropic/messages-stream-text.vercel-ai.chunks.txt";

const userWith = (
  attachments: NonNullable<Extract<ModelRequest["messages"][number], { role: "user" }>["attachments"]>,
  settings: ModelRequest["settings"] = {},
): ModelRequest => ({
  messages: [{ role: "user", content: "What is in these?", attachments }],
  tools: [],
  settings,
});

async function send(request: ModelRequest) {
  const server = await startReplayServer(loadRecording(recordingPath(NONSTREAM)));
  try {
    const provider = createAnthropicProvider({
      model: "claude-sonnet-4-6",
      apiKey: "k",
      baseURL: server.url,
      stream: false,
    });
    const outcome = await collectParts(provider, request).then(
      (parts) => ({ parts, error: undefined }),
      (error: unknown) => ({ parts: [], error }),
    );
    return { ...outcome, calls: server.calls };
  } finally {
    await server.close();
  }
}

async function refusal(request: ModelRequest): Promise<ProviderError> {
  const { calls, error } = await send(request);
  expect(calls).toHaveLength(0);
  expect(error).toBeInstanceOf(ProviderError);
  const refused = error as ProviderError;
  expect(refused.code).toBe("bad_request");
  expect(refused.retryable).toBe(false);
  expect(refused.provider).toBe("anthropic");
  return refused;
}

describe("Messages API attachments", () => {
  it("sends the text, then image blocks (base64 or URL) and documents (PDF base64 or URL, text as a text source)", async () => {
    const { calls, parts, error } = await send(
      userWith([
        { type: "image", mediaType: "image/png", data: PIXEL, hash: "ignored-by-providers" },
        { type: "image", mediaType: "image/jpeg", url: "https://example.com/cat.jpg" },
        { type: "file", mediaType: "application/pdf", data: PDF, filename: "spec.pdf" },
        { type: "file", mediaType: "application/pdf", url: "https://example.com/spec.pdf" },
        {
          type: "file",
          mediaType: "text/markdown",
          data: Buffer.from(NOTES).toString("base64"),
          filename: "notes.md",
        },
      ]),
    );
    expect(error).toBeUndefined();
    expect(parts.at(-1)?.type).toBe("finish");
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
          { type: "document", source: { type: "url", url: "https://example.com/spec.pdf" } },
          {
            type: "document",
            source: { type: "text", media_type: "text/plain", data: NOTES },
            title: "notes.md",
          },
        ],
      },
    ]);
  });

  it("a cache breakpoint on the message goes on its last block, the attachment", async () => {
    const { calls } = await send(
      userWith([{ type: "image", mediaType: "image/png", data: PIXEL }], { cache: { messages: "last" } }),
    );
    const content = (calls[0]!.body as { messages: { content: { cache_control?: unknown }[] }[] })
      .messages[0]!.content;
    expect(content.map((block) => block.cache_control)).toEqual([undefined, { type: "ephemeral" }]);
  });

  it("refuses an image type the API does not take, before any request", async () => {
    const refused = await refusal(userWith([{ type: "image", mediaType: "image/bmp", data: PIXEL }]));
    expect(refused.message).toMatch(/attachment 0 \(image\/bmp\)/);
    expect(refused.message).toMatch(/JPEG, PNG, GIF or WebP/);
  });

  it("refuses a text file at a URL, and says to send its bytes", async () => {
    const refused = await refusal(
      userWith([{ type: "file", mediaType: "text/plain", url: "https://example.com/a.txt" }]),
    );
    expect(refused.message).toMatch(/text file at a URL/);
    expect(refused.message).toMatch(/Send the file's bytes as "data"/);
  });

  it("refuses a file type the API does not take", async () => {
    const refused = await refusal(userWith([{ type: "file", mediaType: "application/zip", data: PDF }]));
    expect(refused.message).toMatch(/attachment 0 \(application\/zip\)/);
    expect(refused.message).toMatch(/images \(JPEG, PNG, GIF, WebP\), PDFs and text files only/);
  });
});

describe("a Loom agent run with an image and a PDF", () => {
  it("sends them in the first turn and again, restored from the journal, in the next", async () => {
    const recording = loadRecording(recordingPath(STREAM));
    const server = await startReplayServer([...recording.exchanges, ...recording.exchanges]);
    try {
      const agent = createAgent({
        journal: new MemoryJournal(),
        provider: createAnthropicProvider({ model: "claude-sonnet-4-6", apiKey: "k", baseURL: server.url }),
      });
      const first = await agent.run(
        [
          { type: "text", text: "What is in these?" },
          { type: "image", mediaType: "image/png", data: Buffer.from(PIXEL, "base64") },
          { type: "file", mediaType: "application/pdf", data: PDF, filename: "spec.pdf" },
        ],
        { threadId: "t" },
      );
      expect(first.status).toBe("completed");
      const second = await agent.run("And the PDF's title?", { threadId: "t" });
      expect(second.status).toBe("completed");
      expect(server.calls).toHaveLength(2);
      const sent = {
        role: "user",
        content: [
          { type: "text", text: "What is in these?" },
          { type: "image", source: { type: "base64", media_type: "image/png", data: PIXEL } },
          {
            type: "document",
            source: { type: "base64", media_type: "application/pdf", data: PDF },
            title: "spec.pdf",
          },
        ],
      };
      const messages = server.calls.map((call) => (call.body as { messages: { role: string }[] }).messages);
      expect(messages[0]).toEqual([sent]);
      expect(messages[1]?.[0]).toEqual(sent);
      expect(messages[1]?.at(-1)).toEqual({ role: "user", content: "And the PDF's title?" });
    } finally {
      await server.close();
    }
  });
});

type ToolAttachments = NonNullable<
  Extract<ModelRequest["messages"][number], { role: "tool" }>["attachments"]
>;

/** A turn where the model called a tool, and the tool answered with text and `attachments`. */
const toolReturned = (attachments: ToolAttachments, isError?: boolean): ModelRequest => ({
  messages: [
    { role: "user", content: "Chart the sales." },
    { role: "assistant", content: "", toolCalls: [{ id: "toolu_1", name: "chart", arguments: "{}" }] },
    {
      role: "tool",
      callId: "toolu_1",
      name: "chart",
      content: "chart attached",
      attachments,
      ...(isError !== undefined ? { isError } : {}),
    },
  ],
  tools: [],
  settings: {},
});

describe("tool results with images and files", () => {
  it("the tool_result's content is a text block, then the same image and document blocks a user message gets", async () => {
    const { calls, parts, error } = await send(
      toolReturned(
        [
          { type: "image", mediaType: "image/png", data: PIXEL, hash: "ignored-by-providers" },
          { type: "image", mediaType: "image/jpeg", url: "https://example.com/cat.jpg" },
          { type: "file", mediaType: "application/pdf", data: PDF, filename: "sales.pdf" },
          {
            type: "file",
            mediaType: "text/plain",
            data: Buffer.from(NOTES).toString("base64"),
            filename: "notes.txt",
          },
        ],
        true,
      ),
    );
    expect(error).toBeUndefined();
    expect(parts.at(-1)?.type).toBe("finish");
    expect((calls[0]!.body as { messages: unknown[] }).messages.at(-1)).toEqual({
      role: "user",
      content: [
        {
          type: "tool_result",
          tool_use_id: "toolu_1",
          is_error: true,
          content: [
            { type: "text", text: "chart attached" },
            { type: "image", source: { type: "base64", media_type: "image/png", data: PIXEL } },
            { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
            {
              type: "document",
              source: { type: "base64", media_type: "application/pdf", data: PDF },
              title: "sales.pdf",
            },
            {
              type: "document",
              source: { type: "text", media_type: "text/plain", data: NOTES },
              title: "notes.txt",
            },
          ],
        },
      ],
    });
  });

  it("a tool result without attachments keeps its plain string content", async () => {
    const { calls } = await send(toolReturned([]));
    expect((calls[0]!.body as { messages: unknown[] }).messages.at(-1)).toEqual({
      role: "user",
      content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "chart attached" }],
    });
  });

  it("refuses what a user message would refuse (an image type the API does not take), before any request", async () => {
    const refused = await refusal(toolReturned([{ type: "image", mediaType: "image/tiff", data: PIXEL }]));
    expect(refused.message).toMatch(/attachment 0 \(image\/tiff\)/);
    expect(refused.message).not.toContain(PIXEL);
  });
});

describe("a Loom agent run where a tool returns an image", () => {
  it("the chart the tool returned goes to the model in the next request's tool_result", async () => {
    const file = "anthropic/messages-stream-tool-use-then-text.anthropic-sdk-python.json";
    const server = await startReplayServer(loadRecording(recordingPath(file)));
    try {
      const agent = createAgent({
        journal: new MemoryJournal(),
        provider: createAnthropicProvider({ model: "claude-haiku-4-5", apiKey: "k", baseURL: server.url }),
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
