import {
  ConfigError,
  createAgent,
  estimateAttachmentTokens,
  imageSize,
  MemoryJournal,
  readAll,
  tool,
  toolResult,
} from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { chartTool, PIXEL, unsealed } from "./helpers.js";

// Images and files in a run's input: validated, journaled once per thread by content address, sent
// whole to the model, restored exactly on resume, and counted in the context budget.

/** A 1024x768 PNG header (only the header matters for its size). */
function pngOf(width: number, height: number): string {
  const header = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(header, 0);
  header.writeUInt32BE(13, 8);
  header.write("IHDR", 12, "ascii");
  header.writeUInt32BE(width, 16);
  header.writeUInt32BE(height, 20);
  return header.toString("base64");
}

describe("images and files in a run's input", () => {
  it("reach the model with the text, and the journal holds each one's bytes once per thread", async () => {
    const journal = new MemoryJournal();
    const provider = new ScriptedProvider({
      mode: "conversation",
      turns: [{ text: "A pixel." }, { text: "Same pixel." }],
    });
    const agent = createAgent({ journal, provider });
    const input = [
      { type: "text" as const, text: "What is in this image?" },
      { type: "image" as const, mediaType: "image/png", data: PIXEL },
      {
        type: "file" as const,
        mediaType: "application/pdf",
        url: "https://example.com/spec.pdf",
        filename: "spec.pdf",
      },
    ];
    await agent.run(input, { threadId: "t" });
    await agent.run(
      [
        { type: "text", text: "And now?" },
        { type: "image", mediaType: "image/png", data: PIXEL },
      ],
      { threadId: "t" },
    );
    const user = provider.requests[1]!.messages.filter((m) => m.role === "user");
    expect(user).toEqual([
      {
        role: "user",
        content: "What is in this image?",
        attachments: [
          { type: "image", mediaType: "image/png", data: PIXEL, hash: expect.any(String) },
          {
            type: "file",
            mediaType: "application/pdf",
            url: "https://example.com/spec.pdf",
            filename: "spec.pdf",
          },
        ],
      },
      {
        role: "user",
        content: "And now?",
        attachments: [{ type: "image", mediaType: "image/png", data: PIXEL, hash: expect.any(String) }],
      },
    ]);
    const serialized = JSON.stringify(await readAll(journal, "t"));
    expect(serialized.split(PIXEL).length - 1).toBe(1);
  });

  it("accepts bytes, and restores them exactly when another process resumes", async () => {
    const journal = new MemoryJournal();
    const bytes = new Uint8Array(Buffer.from(PIXEL, "base64"));
    const first = createAgent({ journal, provider: new ScriptedProvider([{ text: "" }]) });
    await first.run(
      [
        { type: "text", text: "Look." },
        { type: "image", mediaType: "image/png", data: bytes },
      ],
      {
        threadId: "t",
      },
    );
    const events = await readAll(journal, "t");
    // A crash right after the model was asked: another process resumes and asks again.
    const cut = new MemoryJournal();
    const upTo = events.findIndex((e) => e.type === "llm.requested");
    await cut.append("t", events.slice(0, upTo + 1).map(unsealed), -1);
    const provider = new ScriptedProvider([{ text: "A pixel." }]);
    await createAgent({ journal: cut, provider }).resume("t");
    const message = provider.requests[0]!.messages.find((m) => m.role === "user");
    expect(message?.role === "user" && message.attachments?.[0]?.data).toBe(PIXEL);
  });

  it("refuses a malformed part with a ConfigError naming it, before anything is journaled", async () => {
    const journal = new MemoryJournal();
    const agent = createAgent({ journal, provider: new ScriptedProvider([{ text: "" }]) });
    const cases: unknown[] = [
      [{ type: "image", mediaType: "image/png" }],
      [{ type: "image", mediaType: "image/png", data: PIXEL, url: "https://x.example/a.png" }],
      [{ type: "image", mediaType: "png", data: PIXEL }],
      [{ type: "video", url: "https://x.example/a.mp4" }],
      42,
    ];
    for (const input of cases) {
      const error = await Promise.resolve()
        .then(() => agent.run(input as never, { threadId: "t" }))
        .catch((e: unknown) => e);
      expect(ConfigError.isInstance(error), JSON.stringify(input)).toBe(true);
    }
    expect(await journal.head("t")).toBe(-1);
  });
});

describe("attachment tokens", () => {
  it("reads image sizes from the bytes and counts them as OpenAI documents", () => {
    expect(imageSize(PIXEL)).toEqual({ width: 1, height: 1 });
    expect(imageSize(pngOf(1024, 768))).toEqual({ width: 1024, height: 768 });
    // 1024x768 -> shortest side to 768 stays: 2 x 2 tiles of 512 -> 85 + 170 * 4.
    expect(estimateAttachmentTokens({ type: "image", mediaType: "image/png", data: pngOf(1024, 768) })).toBe(
      765,
    );
    // 4096x2048 -> fit to 2048x1024 -> shortest side 768: 1536x768 -> 3 x 2 tiles.
    expect(estimateAttachmentTokens({ type: "image", mediaType: "image/png", data: pngOf(4096, 2048) })).toBe(
      1105,
    );
    expect(
      estimateAttachmentTokens({ type: "image", mediaType: "image/png", url: "https://x.example/a.png" }),
    ).toBe(765);
    expect(estimateAttachmentTokens({ type: "image", mediaType: "image/png", data: PIXEL, tokens: 12 })).toBe(
      12,
    );
  });

  it("are part of the context budget", async () => {
    const journal = new MemoryJournal();
    const agent = createAgent({ journal, provider: new ScriptedProvider([{ text: "ok" }]) });
    await agent.run(
      [
        { type: "text", text: "Hi" },
        { type: "image", mediaType: "image/png", data: pngOf(1024, 768) },
      ],
      {
        threadId: "t",
      },
    );
    const assembled = (await readAll(journal, "t")).find((e) => e.type === "context.assembled");
    const history =
      assembled?.type === "context.assembled"
        ? assembled.data.included.find((c) => c.id === "history")
        : undefined;
    expect(history?.tokens).toBeGreaterThan(765);
  });
});

describe("images and files in a tool's result", () => {
  const chart = chartTool();
  const turns = [
    { toolCalls: [{ id: "c1", name: "chart", args: { of: "sales" } }] },
    { toolCalls: [{ id: "c2", name: "chart", args: { of: "costs" } }] },
    { text: "Two charts." },
  ];

  it("reach the model in the tool's message, and the journal holds the bytes once", async () => {
    const journal = new MemoryJournal();
    const provider = new ScriptedProvider(turns);
    await createAgent({ journal, provider, tools: [chart] }).run("Chart it", { threadId: "t" });
    const tools = provider.requests[2]!.messages.filter((m) => m.role === "tool");
    expect(tools.map((m) => m.role === "tool" && [m.content, m.attachments?.[0]?.data])).toEqual([
      ["chart of sales attached", PIXEL],
      ["chart of costs attached", PIXEL],
    ]);
    const events = await readAll(journal, "t");
    expect(JSON.stringify(events).split(PIXEL).length - 1).toBe(1);
    const completed = events.filter((e) => e.type === "tool.completed");
    expect(completed.map((e) => e.type === "tool.completed" && e.data.attachments?.[0]?.hash)).toEqual([
      expect.any(String),
      expect.any(String),
    ]);

    // Resumed after the second call's result, in a fresh agent: the model gets both charts, from the journal.
    const cut = new MemoryJournal();
    const upTo = events.findLastIndex((e) => e.type === "tool.completed");
    await cut.append("t", events.slice(0, upTo + 1).map(unsealed), -1);
    const resumed = new ScriptedProvider(turns.slice(2));
    await createAgent({ journal: cut, provider: resumed, tools: [chart] }).resume("t");
    const again = resumed.requests[0]!.messages.filter((m) => m.role === "tool");
    expect(again.map((m) => m.role === "tool" && m.attachments?.[0]?.data)).toEqual([PIXEL, PIXEL]);
  });

  it("count in the budget like the input's", async () => {
    const journal = new MemoryJournal();
    const big = tool({
      name: "screenshot",
      description: "Takes a screenshot",
      input: z.object({}),
      run: () =>
        toolResult({
          content: "here",
          attachments: [{ type: "image", mediaType: "image/png", data: pngOf(1024, 768) }],
        }),
    });
    const provider = new ScriptedProvider([
      { toolCalls: [{ name: "screenshot", args: {} }] },
      { text: "ok" },
    ]);
    await createAgent({ journal, provider, tools: [big] }).run("look", { threadId: "t" });
    const assembled = (await readAll(journal, "t")).filter((e) => e.type === "context.assembled");
    const history = (i: number) => {
      const a = assembled[i]!;
      return a.type === "context.assembled" ? a.data.included.find((c) => c.id === "history")!.tokens : 0;
    };
    expect(history(1) - history(0)).toBeGreaterThan(765);
  });

  it("refuses a malformed attachment with a ConfigError the model is told of", async () => {
    expect(() =>
      toolResult({ content: "x", attachments: [{ type: "image", mediaType: "image/png" } as never] }),
    ).toThrow(ConfigError);
    expect(() => toolResult({ content: "x", attachments: [{ type: "text", text: "no" } as never] })).toThrow(
      /not an image or file part/,
    );
  });
});
