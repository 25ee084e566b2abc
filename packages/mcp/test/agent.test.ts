import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AgentEvent, createAgent, MemoryJournal, readAll } from "@loom/core";
import { HITLHook } from "@loom/hooks";
import { FsJournal } from "@loom/journal-fs";
import { ScriptedProvider } from "@loom/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectMcp, type McpConnection, mcpApprovalPolicy } from "../src/index.js";
import { everythingStdio, filesystemStdio } from "./servers.js";

const dir = mkdtempSync(join(tmpdir(), "loom-mcp-agent-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function collect(stream: AsyncIterable<AgentEvent>): Promise<AgentEvent[]> {
  const events: AgentEvent[] = [];
  for await (const e of stream) events.push(e);
  return events;
}

describe("an agent using server-everything's tools (stdio)", () => {
  let mcp: McpConnection;
  beforeAll(async () => {
    mcp = await connectMcp(everythingStdio(), {
      only: ["echo", "trigger-long-running-operation", "get-tiny-image", "get-structured-content"],
    });
  });
  afterAll(() => mcp.close());

  it("streams tool.progress events, journals results, and bad arguments become a tool error the model sees", async () => {
    const journal = new MemoryJournal();
    const provider = new ScriptedProvider([
      {
        toolCalls: [
          { id: "p1", name: "trigger-long-running-operation", args: { duration: 0.3, steps: 3 } },
          { id: "e1", name: "echo", args: { message: "hi" } },
          { id: "bad", name: "echo", args: { message: 7 } },
        ],
      },
      { text: "done" },
    ]);
    const agent = createAgent({ journal, provider, tools: mcp.tools });
    const events = await collect(agent.stream("go", { threadId: "everything" }));

    const progress = events.filter((e) => e.type === "tool.progress").map((e) => e.data);
    // The SDK drops a progress notification that arrives in the same read as the result (its
    // handler is gone by then), so the last one may be missing.
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.slice(0, 2)).toEqual([
      { callId: "p1", name: "trigger-long-running-operation", progress: { progress: 1, total: 3 } },
      { callId: "p1", name: "trigger-long-running-operation", progress: { progress: 2, total: 3 } },
    ]);
    const stored = await readAll(journal, "everything");
    expect(stored.some((e) => (e.type as string) === "tool.progress")).toBe(false); // transient
    const completed = Object.fromEntries(
      stored.filter((e) => e.type === "tool.completed").map((e) => [e.data.callId, e.data]),
    );
    expect(completed.e1).toMatchObject({ content: "Echo: hi", output: "Echo: hi" });
    expect(completed.p1).toMatchObject({
      content: expect.stringMatching(/Long running operation completed/),
    });
    expect(completed.bad).toMatchObject({ error: { code: "invalid_arguments" } });
    expect(completed.bad?.content).toMatch(/do not match its schema: .*arguments\/message must be string/);
    // The model saw all three results in the next request.
    const toolMessages = provider.requests[1]!.messages.filter((m) => m.role === "tool");
    expect(toolMessages).toHaveLength(3);
  });

  it("with mcp.hook, an image's data is kept as output while the model sees its description", async () => {
    const journal = new MemoryJournal();
    const agent = createAgent({
      journal,
      tools: mcp.tools,
      hooks: [mcp.hook],
      provider: new ScriptedProvider([
        {
          toolCalls: [
            { id: "img", name: "get-tiny-image", args: {} },
            { id: "w", name: "get-structured-content", args: { location: "New York" } },
          ],
        },
        { text: "ok" },
      ]),
    });
    await agent.run("image please", { threadId: "image" });
    const completed = Object.fromEntries(
      (await readAll(journal, "image"))
        .filter((e) => e.type === "tool.completed")
        .map((e) => [e.data.callId, e.data]),
    );
    expect(completed.img?.content).toMatch(
      /^Here's the image you requested:\n\n\[image: image\/png, \d+ bytes\]/,
    );
    const output = completed.img?.output as { content: { type: string; data?: string }[] };
    expect(output.content.find((b) => b.type === "image")?.data).toMatch(/^iVBOR/);
    expect(completed.w?.output).toMatchObject({ temperature: expect.any(Number) });
  });

  it("without the hook, the model still sees the description (the data is not kept)", async () => {
    const journal = new MemoryJournal();
    const agent = createAgent({
      journal,
      tools: mcp.tools,
      provider: new ScriptedProvider([
        { toolCalls: [{ id: "img", name: "get-tiny-image", args: {} }] },
        { text: "ok" },
      ]),
    });
    await agent.run("image please", { threadId: "image-plain" });
    const done = (await readAll(journal, "image-plain")).find((e) => e.type === "tool.completed");
    expect(done?.data.content).toMatch(/\[image: image\/png, \d+ bytes\]/);
    expect(JSON.stringify(done?.data)).not.toMatch(/iVBOR/);
  });

  it("with imagesAsAttachments, the model gets the image itself in the tool's result, journaled once", async () => {
    const withImages = await connectMcp(everythingStdio(), {
      only: ["get-tiny-image"],
      imagesAsAttachments: true,
    });
    try {
      const journal = new MemoryJournal();
      const provider = new ScriptedProvider([
        { toolCalls: [{ id: "a", name: "get-tiny-image", args: {} }] },
        { toolCalls: [{ id: "b", name: "get-tiny-image", args: {} }] },
        { text: "two images" },
      ]);
      await createAgent({ journal, tools: withImages.tools, provider }).run("image please", {
        threadId: "attached",
      });
      const tools = provider.requests[2]!.messages.filter((m) => m.role === "tool");
      expect(tools).toHaveLength(2);
      for (const m of tools) {
        expect(m.role === "tool" && m.attachments?.[0]).toMatchObject({
          type: "image",
          mediaType: "image/png",
          data: expect.stringMatching(/^iVBOR/),
        });
      }
      const data = tools[0]!.role === "tool" ? tools[0]!.attachments![0]!.data! : "";
      expect(JSON.stringify(await readAll(journal, "attached")).split(data).length - 1).toBe(1);
    } finally {
      await withImages.close();
    }
  });

  it("cancelling the run aborts the MCP call at once", async () => {
    const controller = new AbortController();
    const agent = createAgent({
      journal: new MemoryJournal(),
      tools: mcp.tools,
      provider: new ScriptedProvider([
        {
          toolCalls: [
            { id: "p1", name: "trigger-long-running-operation", args: { duration: 20, steps: 20 } },
          ],
        },
        { text: "never" },
      ]),
    });
    const started = Date.now();
    const events: AgentEvent[] = [];
    const run = (async () => {
      for await (const e of agent.stream("slow", { threadId: "cancel", signal: controller.signal })) {
        events.push(e);
        if (e.type === "tool.progress") controller.abort();
      }
    })();
    await run.catch(() => {});
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(events.some((e) => e.type === "run.cancelled")).toBe(true);
  });
});

describe("server-filesystem in a temp folder, approval for destructive tools", () => {
  it("writes a file after a human approves, then reads it back (journal-fs)", async () => {
    const folder = mkdtempSync(join(dir, "files-"));
    writeFileSync(join(folder, "hello.txt"), "hello from disk");
    const mcp = await connectMcp(filesystemStdio(folder), { prefix: "fs_" });
    const journal = new FsJournal({ dir: join(dir, "journal") });
    try {
      const write = mcp.tools.find((t) => t.mcp.name === "write_file")!;
      expect(write.name).toBe("fs_write_file");
      // idempotentHint: true and destructiveHint: true → runs again after a crash, needs approval.
      expect(write.mcp.policy).toMatchObject({ idempotent: true, needsApproval: true, destructive: true });
      expect(mcp.tools.find((t) => t.mcp.name === "read_text_file")!.mcp.policy.needsApproval).toBe(false);
      expect(mcpApprovalPolicy(mcp.tools)).toEqual(mcp.approvalTools);
      expect(mcp.approvalTools).toEqual(
        expect.arrayContaining(["fs_write_file", "fs_edit_file", "fs_move_file"]),
      );

      const target = join(folder, "note.txt");
      const agent = () =>
        createAgent({
          journal,
          tools: mcp.tools,
          hooks: [HITLHook({ tools: mcp.needsApproval })],
          provider: new ScriptedProvider({
            mode: "conversation",
            turns: [
              {
                toolCalls: [
                  { id: "r0", name: "fs_read_text_file", args: { path: join(folder, "hello.txt") } },
                  { id: "w1", name: "fs_write_file", args: { path: target, content: "written by an agent" } },
                ],
              },
              { toolCalls: [{ id: "r1", name: "fs_read_text_file", args: { path: target } }] },
              {
                toolCalls: [
                  { id: "r2", name: "fs_read_text_file", args: { path: join(folder, "missing.txt") } },
                ],
              },
              { text: "done" },
            ],
          }),
        });
      const paused = await agent().run("write a note", { threadId: "fs" });
      expect(paused.status).toBe("interrupted");
      if (paused.status !== "interrupted") return;
      expect(paused.pending.map((p) => p.name)).toEqual(["fs_write_file"]);
      const done = await agent().resume("fs", { decisions: { [paused.pending[0]!.ref]: { approve: true } } });
      expect(done.status).toBe("completed");
      expect(readFileSync(target, "utf8")).toBe("written by an agent");

      const completed = Object.fromEntries(
        (await readAll(journal, "fs"))
          .filter((e) => e.type === "tool.completed")
          .map((e) => [e.data.callId, e.data]),
      );
      expect(completed.r0?.content).toBe("hello from disk");
      expect(completed.r1?.content).toBe("written by an agent");
      // A file the server cannot read: its isError result is a tool error the model sees.
      expect(completed.r2).toMatchObject({ error: { code: "tool_error" } });
      expect(completed.r2?.content).toMatch(/failed: .*(ENOENT|no such file)/i);
    } finally {
      await journal.close();
      await mcp.close();
    }
  });
});
