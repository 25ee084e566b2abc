import { createAgent, MemoryJournal, readAll, tool, toolResult } from "@loom/core";
import { ContextDebugger, formatIteration } from "@loom/debugger";
import { ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";

/** A PNG header saying 1024x768 (only the header matters for its size). */
function pngOf(width: number, height: number): string {
  const header = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(header, 0);
  header.writeUInt32BE(13, 8);
  header.write("IHDR", 12, "ascii");
  header.writeUInt32BE(width, 16);
  header.writeUInt32BE(height, 20);
  return header.toString("base64");
}

describe("images and files in the context explanation", () => {
  it("lists each attachment of the history with its tokens, and whether it was sent", async () => {
    const journal = new MemoryJournal();
    const shot = tool({
      name: "screenshot",
      description: "Takes a screenshot",
      input: z.object({ n: z.number() }),
      run: ({ n }) =>
        toolResult({
          content: `screenshot ${n}`,
          attachments: [{ type: "image", mediaType: "image/png", data: pngOf(1024, 768) }],
        }),
    });
    const agent = createAgent({
      journal,
      tools: [shot],
      // Room for the newest screenshot only: older ones are left out.
      context: { windowTokens: 1_300, reservedOutputTokens: 0 },
      provider: new ScriptedProvider([
        { toolCalls: [{ name: "screenshot", args: { n: 1 } }] },
        { toolCalls: [{ name: "screenshot", args: { n: 2 } }] },
        { text: "Two screenshots." },
      ]),
    });
    await agent.run(
      [
        { type: "text", text: "Compare these." },
        {
          type: "file",
          mediaType: "application/pdf",
          url: "https://example.com/spec.pdf",
          filename: "spec.pdf",
        },
      ],
      { threadId: "t" },
    );
    const debug = ContextDebugger.fromEvents(await readAll(journal, "t"));
    const last = debug.explainIteration(3);
    expect(last.attachments.map((a) => [a.role, a.mediaType, a.tokens, a.sent])).toEqual([
      ["user", "application/pdf", 1_000, true],
      ["tool", "image/png", 765, false],
      ["tool", "image/png", 765, true],
    ]);
    expect(debug.explainIteration(1).attachments).toHaveLength(1);
    const text = formatIteration(last);
    expect(text).toMatch(/attachments:\n {4}application\/pdf +1,000 tok {2}user message 0 {2}sent/);
    expect(text).toContain("not sent (its message was left out)");
  });
});
