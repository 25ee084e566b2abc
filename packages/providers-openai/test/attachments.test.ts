import { createAgent, MemoryJournal, type ModelRequest, ProviderError, tool, toolResult } from "@loom/core";
import { collectParts, loadRecording, recordingPath, startReplayServer } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createOpenAIProvider } from "../src/index.js";

// Images and files on user messages, as each API takes them; what an API cannot take is refused
// before any request, never dropped.

/** A 1x1 PNG, and the first bytes of a PDF. */
const PIXEL =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const PDF = Buffer.from("%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n").toString("base64");

const CHAT = "openai/chat-stream-text.openai-python.sse";
const RESPONSES = "openai/responses-stream-text.simonw-llm.yaml";

const withAttachments: ModelRequest = {
  messages: [
    {
      role: "user",
      content: "What is in these?",
      attachments: [
        { type: "image", mediaType: "image/png", data: PIXEL, hash: "ignored-by-providers" },
        { type: "image", mediaType: "image/jpeg", url: "https://example.com/cat.jpg" },
        { type: "file", mediaType: "application/pdf", data: PDF, filename: "spec.pdf" },
        { type: "file", mediaType: "application/pdf", data: PDF },
      ],
    },
  ],
  tools: [],
  settings: {},
};

async function send(file: string, api: "chat" | "responses", request: ModelRequest) {
  const server = await startReplayServer(loadRecording(recordingPath(file)));
  try {
    const provider = createOpenAIProvider({
      model: "gpt-4o",
      apiKey: "sk-test",
      baseURL: `${server.url}/v1`,
      api,
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

const fileAtUrl: ModelRequest = {
  messages: [
    {
      role: "user",
      content: "Summarize.",
      attachments: [{ type: "file", mediaType: "application/pdf", url: "https://example.com/spec.pdf" }],
    },
  ],
  tools: [],
  settings: {},
};

describe("Chat Completions attachments", () => {
  it("sends the text, then image_url parts (data URL or URL) and file parts (data URL and filename)", async () => {
    const { calls, parts, error } = await send(CHAT, "chat", withAttachments);
    expect(error).toBeUndefined();
    expect(parts.at(-1)?.type).toBe("finish");
    expect((calls[0]!.body as { messages: unknown }).messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "What is in these?" },
          { type: "image_url", image_url: { url: `data:image/png;base64,${PIXEL}` } },
          { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } },
          { type: "file", file: { file_data: `data:application/pdf;base64,${PDF}`, filename: "spec.pdf" } },
          { type: "file", file: { file_data: `data:application/pdf;base64,${PDF}`, filename: "file.pdf" } },
        ],
      },
    ]);
  });

  it("a user message without attachments keeps its plain string content", async () => {
    const { calls } = await send(CHAT, "chat", {
      messages: [{ role: "user", content: "Hi", attachments: [] }],
      tools: [],
      settings: {},
    });
    expect((calls[0]!.body as { messages: unknown }).messages).toEqual([{ role: "user", content: "Hi" }]);
  });

  it("refuses a file at a URL before any request, with a non-retryable bad_request that says what to do", async () => {
    const { calls, error } = await send(CHAT, "chat", fileAtUrl);
    expect(calls).toHaveLength(0);
    expect(error).toBeInstanceOf(ProviderError);
    const refused = error as ProviderError;
    expect(refused.code).toBe("bad_request");
    expect(refused.retryable).toBe(false);
    expect(refused.provider).toBe("openai");
    expect(refused.message).toMatch(/file \(application\/pdf\) at a URL/);
    expect(refused.message).toMatch(/Send the file's bytes as "data", or use api: "responses"/);
  });
});

describe("Responses API attachments", () => {
  it("sends input_text, input_image (data URL or URL) and input_file (data URL and filename)", async () => {
    const { calls, error } = await send(RESPONSES, "responses", withAttachments);
    expect(error).toBeUndefined();
    expect((calls[0]!.body as { input: unknown }).input).toEqual([
      {
        role: "user",
        content: [
          { type: "input_text", text: "What is in these?" },
          { type: "input_image", image_url: `data:image/png;base64,${PIXEL}`, detail: "auto" },
          { type: "input_image", image_url: "https://example.com/cat.jpg", detail: "auto" },
          { type: "input_file", file_data: `data:application/pdf;base64,${PDF}`, filename: "spec.pdf" },
          { type: "input_file", file_data: `data:application/pdf;base64,${PDF}`, filename: "file.pdf" },
        ],
      },
    ]);
  });

  it("sends a file at a URL as input_file's file_url", async () => {
    const { calls, error } = await send(RESPONSES, "responses", fileAtUrl);
    expect(error).toBeUndefined();
    expect((calls[0]!.body as { input: unknown }).input).toEqual([
      {
        role: "user",
        content: [
          { type: "input_text", text: "Summarize." },
          { type: "input_file", file_url: "https://example.com/spec.pdf" },
        ],
      },
    ]);
  });
});

describe("a Loom agent run with an image", () => {
  it("sends the image's bytes in the first turn and again, restored from the journal, in the next", async () => {
    const recording = loadRecording(recordingPath(CHAT));
    const server = await startReplayServer([...recording.exchanges, ...recording.exchanges]);
    try {
      const agent = createAgent({
        journal: new MemoryJournal(),
        provider: createOpenAIProvider({ model: "gpt-4o", apiKey: "sk-test", baseURL: `${server.url}/v1` }),
      });
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
      expect(server.calls).toHaveLength(2);
      const image = { type: "image_url", image_url: { url: `data:image/png;base64,${PIXEL}` } };
      const users = server.calls.map((call) =>
        (call.body as { messages: { role: string; content: unknown }[] }).messages.filter(
          (m) => m.role === "user",
        ),
      );
      expect(users[0]).toEqual([
        { role: "user", content: [{ type: "text", text: "What is in this image?" }, image] },
      ]);
      expect(users[1]).toEqual([
        { role: "user", content: [{ type: "text", text: "What is in this image?" }, image] },
        { role: "user", content: "And its colour?" },
      ]);
    } finally {
      await server.close();
    }
  });
});

/** A turn where the model called a tool, and the tool answered with text and a chart, a URL image and a PDF. */
const toolReturnedFiles: ModelRequest = {
  messages: [
    { role: "user", content: "Chart the sales." },
    {
      role: "assistant",
      content: "",
      toolCalls: [{ id: "call_1", name: "chart", arguments: "{}" }],
    },
    {
      role: "tool",
      callId: "call_1",
      name: "chart",
      content: "chart attached",
      attachments: [
        { type: "image", mediaType: "image/png", data: PIXEL, hash: "ignored-by-providers" },
        { type: "image", mediaType: "image/jpeg", url: "https://example.com/cat.jpg" },
        { type: "file", mediaType: "application/pdf", data: PDF, filename: "sales.pdf" },
      ],
    },
  ],
  tools: [],
  settings: {},
};

describe("tool results with images and files", () => {
  it("Responses: function_call_output's output is input_text, input_image and input_file items", async () => {
    const { calls, parts, error } = await send(RESPONSES, "responses", toolReturnedFiles);
    expect(error).toBeUndefined();
    expect(parts.at(-1)?.type).toBe("finish");
    expect((calls[0]!.body as { input: unknown[] }).input.at(-1)).toEqual({
      type: "function_call_output",
      call_id: "call_1",
      output: [
        { type: "input_text", text: "chart attached" },
        { type: "input_image", image_url: `data:image/png;base64,${PIXEL}`, detail: "auto" },
        { type: "input_image", image_url: "https://example.com/cat.jpg", detail: "auto" },
        { type: "input_file", file_data: `data:application/pdf;base64,${PDF}`, filename: "sales.pdf" },
      ],
    });
  });

  it("Responses: a tool result without attachments keeps its plain string output", async () => {
    const [user, assistant] = toolReturnedFiles.messages;
    const { calls } = await send(RESPONSES, "responses", {
      ...toolReturnedFiles,
      messages: [user!, assistant!, { role: "tool", callId: "call_1", name: "chart", content: "no chart" }],
    });
    expect((calls[0]!.body as { input: unknown[] }).input.at(-1)).toEqual({
      type: "function_call_output",
      call_id: "call_1",
      output: "no chart",
    });
  });

  it("Chat Completions: refused before any request, with a non-retryable bad_request that says what to do", async () => {
    const { calls, error } = await send(CHAT, "chat", toolReturnedFiles);
    expect(calls).toHaveLength(0);
    expect(error).toBeInstanceOf(ProviderError);
    const refused = error as ProviderError;
    expect(refused.code).toBe("bad_request");
    expect(refused.retryable).toBe(false);
    expect(refused.provider).toBe("openai");
    expect(refused.message).toMatch(/tool "chart" \(call call_1\) has 3 image or file attachments/);
    expect(refused.message).toMatch(/api: "responses"/);
    expect(refused.message).not.toContain(PIXEL);
  });
});

describe("a Loom agent run where a tool returns an image", () => {
  it("Responses: the chart the tool returned goes to the model in the next request", async () => {
    const server = await startReplayServer(
      loadRecording(recordingPath("openai/responses-stream-tool-then-text.pydantic-ai.yaml")),
    );
    try {
      const agent = createAgent({
        journal: new MemoryJournal(),
        provider: createOpenAIProvider({
          api: "responses",
          model: "gpt-4o",
          apiKey: "sk-test",
          baseURL: `${server.url}/v1`,
        }),
        tools: [
          tool({
            name: "get_capital",
            description: "The capital of a country.",
            input: z.object({ country: z.string() }),
            run: () =>
              toolResult({
                content: "chart attached",
                attachments: [{ type: "image", mediaType: "image/png", data: PIXEL }],
              }),
          }),
        ],
      });
      const result = await agent.run("What is the capital of France?");
      expect(result.status).toBe("completed");
      expect(server.calls).toHaveLength(2);
      expect((server.calls[1]!.body as { input: unknown[] }).input.at(-1)).toEqual({
        type: "function_call_output",
        call_id: "call_kL0PCQV7M2WMoVX8V8OtYSAL",
        output: [
          { type: "input_text", text: "chart attached" },
          { type: "input_image", image_url: `data:image/png;base64,${PIXEL}`, detail: "auto" },
        ],
      });
    } finally {
      await server.close();
    }
  });
});
