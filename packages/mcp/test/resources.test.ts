import { fileURLToPath } from "node:url";
import { ConfigError, createAgent, MemoryJournal, readAll, type StoredEvent } from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { afterEach, describe, expect, it } from "vitest";
import { connectMcp, McpError, promptInput } from "../src/index.js";
import { closeOpened, connectForTest, everythingStdio } from "./servers.js";

// The official SDK's McpServer with resources (text, a PNG, a PDF, a template) and prompts.
const LIBRARY = fileURLToPath(new URL("./fixtures/library-server.mjs", import.meta.url));
const CHANGING = fileURLToPath(new URL("./fixtures/changing-server.mjs", import.meta.url));
const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
const PDF = Buffer.from("%PDF-1.4\n% a tiny file\n").toString("base64");

afterEach(closeOpened);
const connect = connectForTest;
const library = (env: Record<string, string> = {}) => ({ command: process.execPath, args: [LIBRARY], env });

describe("resources", () => {
  it("lists a server's resources and templates, and reads each kind as a run's input parts", async () => {
    const mcp = await connect(library());
    expect(await mcp.listResources()).toEqual([
      {
        uri: "library://docs/readme.txt",
        name: "readme",
        title: "Read me",
        description: "What the library holds",
        mimeType: "text/plain",
      },
      { uri: "library://images/cover.png", name: "cover", mimeType: "image/png" },
      { uri: "library://files/user%20manual.pdf", name: "manual", mimeType: "application/pdf; version=1.4" },
    ]);
    expect(await mcp.listResourceTemplates()).toEqual([
      {
        uriTemplate: "library://books/{book}/chapters/{n}",
        name: "chapter",
        description: "A chapter of a book",
        mimeType: "text/markdown",
      },
    ]);

    const text = await mcp.readResource("library://docs/readme.txt");
    expect(text.parts).toEqual([{ type: "text", text: "The library holds one book." }]);
    expect(text.contents).toEqual([
      { uri: "library://docs/readme.txt", mimeType: "text/plain", text: "The library holds one book." },
    ]);
    expect((await mcp.readResource("library://images/cover.png")).parts).toEqual([
      { type: "image", mediaType: "image/png", data: PNG },
    ]);
    // A blob that is not an image is a file; its media type without parameters, its name from the URI.
    expect((await mcp.readResource("library://files/user%20manual.pdf")).parts).toEqual([
      { type: "file", mediaType: "application/pdf", data: PDF, filename: "user manual.pdf" },
    ]);
    const chapter = await mcp.readResource("library://books/dune/chapters/1");
    expect(chapter.parts).toEqual([
      { type: "text", text: "# Chapter 1\nA beginning is a very delicate time." },
      { type: "text", text: "notes on chapter 1" },
    ]);
  });

  it("reads a resource into an agent's run: the image reaches the model as an attachment", async () => {
    const mcp = await connect(library());
    const cover = await mcp.readResource("library://images/cover.png");
    const provider = new ScriptedProvider([{ text: "A white pixel." }]);
    const agent = createAgent({ journal: new MemoryJournal(), provider });
    const result = await agent.run([{ type: "text", text: "Describe the cover." }, ...cover.parts], {
      threadId: "t",
    });
    expect(result.status).toBe("completed");
    const user = provider.requests[0]!.messages.find((m) => m.role === "user");
    expect(user).toMatchObject({
      content: "Describe the cover.",
      attachments: [{ type: "image", mediaType: "image/png" }],
    });
  });

  it("a resource the server does not have, or a bad URI, is an error saying so", async () => {
    const mcp = await connect(library());
    const missing = await mcp.readResource("library://books/emma/chapters/1").catch((e: unknown) => e);
    expect(McpError.isInstance(missing) && missing.code).toBe("mcp_request_failed");
    expect((missing as Error).message).toContain('No book "emma" in the library');
    await expect(mcp.readResource("")).rejects.toThrow(ConfigError);
    await expect(mcp.readResource("library://docs/readme.txt", { timeoutMs: -1 })).rejects.toThrow(
      /^readResource: timeoutMs must be a positive number of milliseconds, got -1\.$/,
    );
  });

  it("a request a signal aborts rejects with the signal's reason", async () => {
    const mcp = await connect(library());
    const controller = new AbortController();
    const reason = new Error("stop");
    controller.abort(reason);
    await expect(mcp.readResource("library://docs/readme.txt", { signal: controller.signal })).rejects.toBe(
      reason,
    );
  });

  it("a server that declares no resources or prompts lists none, and refuses reads with an error naming what it has", async () => {
    const mcp = await connect({ command: process.execPath, args: [CHANGING] });
    expect(await mcp.listResources()).toEqual([]);
    expect(await mcp.listResourceTemplates()).toEqual([]);
    expect(await mcp.listPrompts()).toEqual([]);
    const read = await mcp.readResource("library://docs/readme.txt").catch((e: unknown) => e);
    expect(McpError.isInstance(read) && read.code).toBe("mcp_request_failed");
    expect((read as Error).message).toMatch(/declares no resources \(its capabilities: .*tools.*\)/);
    await expect(mcp.getPrompt("review")).rejects.toThrow(/declares no prompts/);
    await expect(
      connectMcp({ command: process.execPath, args: [CHANGING] }, { resourceTools: true }),
    ).rejects.toThrow(/resourceTools needs a server that declares resources/);
  });

  it("server-everything: its documents, templates and prompts, read through the SDK", async () => {
    const mcp = await connect(everythingStdio());
    const resources = await mcp.listResources();
    expect(resources.length).toBeGreaterThan(0);
    expect(resources.every((r) => r.uri.startsWith("demo://resource/static/document/"))).toBe(true);
    const doc = resources[0]!;
    const read = await mcp.readResource(doc.uri);
    expect(read.contents[0]!.uri).toBe(doc.uri);
    expect(read.parts).toHaveLength(1);
    expect(read.parts[0]!.type).toBe("text");
    expect((read.parts[0] as { text: string }).text.length).toBeGreaterThan(0);
    const templates = await mcp.listResourceTemplates();
    expect(templates.map((t) => t.name)).toEqual(
      expect.arrayContaining(["Dynamic Text Resource", "Dynamic Blob Resource"]),
    );
    const prompts = await mcp.listPrompts();
    expect(prompts.find((p) => p.name === "args-prompt")?.arguments).toEqual([
      { name: "city", description: "Name of the city", required: true },
      // The server declares the description on the inner schema of `.optional()`: it does not reach the list.
      { name: "state", required: false },
    ]);
    expect(promptInput(await mcp.getPrompt("args-prompt", { city: "Paris" }))).toEqual([
      { type: "text", text: "What's weather in Paris?" },
    ]);
  });
});

describe("prompts", () => {
  it("lists prompts with their arguments, and fills one in as a run's input", async () => {
    const mcp = await connect(library());
    expect(await mcp.listPrompts()).toEqual([
      {
        name: "review",
        title: "Review a chapter",
        description: "Asks for a review",
        arguments: [
          { name: "book", required: true },
          { name: "tone", required: false },
        ],
      },
      { name: "dialogue", description: "A conversation to continue", arguments: [] },
    ]);
    const review = await mcp.getPrompt("review", { book: "Dune", tone: "kind" });
    expect(review.messages.map((m) => m.role)).toEqual(["user", "user", "user"]);
    expect(promptInput(review)).toEqual([
      { type: "text", text: "Review Dune in a kind tone." },
      { type: "image", mediaType: "image/png", data: PNG },
      { type: "text", text: "The library holds one book." },
    ]);
    const provider = new ScriptedProvider([{ text: "A fine book." }]);
    const agent = createAgent({ journal: new MemoryJournal(), provider });
    expect((await agent.run(promptInput(review), { threadId: "t" })).status).toBe("completed");
    expect(provider.requests[0]!.messages.find((m) => m.role === "user")).toMatchObject({
      content: "Review Dune in a kind tone.\n\nThe library holds one book.",
      attachments: [{ type: "image", mediaType: "image/png" }],
    });
  });

  it("a conversation is not one input: promptInput says which message is the assistant's", async () => {
    const mcp = await connect(library());
    const dialogue = await mcp.getPrompt("dialogue");
    expect(dialogue.messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(() => promptInput(dialogue)).toThrow(ConfigError);
    expect(() => promptInput(dialogue)).toThrow(
      /"dialogue" is a conversation \(message 1 is the assistant's\)/,
    );
  });

  it("a missing required argument or an unknown prompt is the server's error, typed", async () => {
    const mcp = await connect(library());
    const missing = await mcp.getPrompt("review").catch((e: unknown) => e);
    expect(McpError.isInstance(missing) && missing.code).toBe("mcp_request_failed");
    expect((missing as Error).message).toMatch(/prompts\/get "review"/);
    await expect(mcp.getPrompt("nope")).rejects.toThrow(/Prompt nope not found/);
  });
});

describe("resourceTools: the model reads resources", () => {
  function results(events: readonly StoredEvent[]): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of events) if (e.type === "tool.completed") out[e.data.callId] = e.data.content;
    return out;
  }

  it("lists and reads through two read-only tools; a blob is described, and kept whole by the hook", async () => {
    const mcp = await connect(library(), { prefix: "lib_", resourceTools: true });
    const names = mcp.tools.map((t) => t.name);
    expect(names).toEqual(["lib_list_resources", "lib_read_resource"]);
    for (const t of mcp.tools) {
      expect(t).toMatchObject({
        readOnly: true,
        idempotent: true,
        mcp: { policy: { needsApproval: false } },
      });
    }
    expect(mcp.approvalTools).toEqual([]);
    const journal = new MemoryJournal();
    const agent = createAgent({
      journal,
      tools: [mcp.toolSet],
      hooks: [mcp.hook],
      provider: new ScriptedProvider({
        mode: "conversation",
        turns: [
          { toolCalls: [{ id: "l", name: "lib_list_resources", args: {} }] },
          {
            toolCalls: [
              { id: "c", name: "lib_read_resource", args: { uri: "library://books/dune/chapters/2" } },
              { id: "m", name: "lib_read_resource", args: { uri: "library://files/user%20manual.pdf" } },
              { id: "x", name: "lib_read_resource", args: { uri: "library://books/emma/chapters/1" } },
            ],
          },
          { text: "Read." },
        ],
      }),
    });
    const result = await agent.run("What is in the library?", { threadId: "t" });
    expect(result.status).toBe("completed");
    const events = await readAll(journal, "t");
    const requested = events.find((e) => e.type === "llm.requested");
    expect(requested?.type === "llm.requested" && requested.data.tools).toEqual(names);
    const out = results(events);
    expect(out["l"]).toContain("- library://docs/readme.txt: Read me (text/plain) - What the library holds");
    expect(out["l"]).toContain(
      "- library://books/{book}/chapters/{n}: chapter (text/markdown) - A chapter of a book",
    );
    expect(out["c"]).toBe(
      "--- library://books/dune/chapters/2\n# Chapter 2\nA beginning is a very delicate time.\n\n--- library://books/dune/chapters/2/notes\nnotes on chapter 2",
    );
    expect(out["m"]).toBe(
      "[resource: library://files/user%20manual.pdf, application/pdf; version=1.4, 23 bytes]",
    );
    expect(out["x"]).toContain('No book "emma" in the library');
    const manual = events.find((e) => e.type === "tool.completed" && e.data.callId === "m");
    expect(manual?.type === "tool.completed" && manual.data.output).toEqual({
      contents: [
        { uri: "library://files/user%20manual.pdf", mimeType: "application/pdf; version=1.4", blob: PDF },
      ],
    });
  });

  it("with imagesAsAttachments, an image resource reaches the model as an attachment of the result", async () => {
    const mcp = await connect(library(), { resourceTools: true, imagesAsAttachments: true });
    const provider = new ScriptedProvider({
      mode: "conversation",
      turns: [
        { toolCalls: [{ id: "i", name: "read_resource", args: { uri: "library://images/cover.png" } }] },
        { text: "A pixel." },
      ],
    });
    const agent = createAgent({ journal: new MemoryJournal(), tools: mcp.tools, provider });
    expect((await agent.run("Show me the cover", { threadId: "t" })).status).toBe("completed");
    const tool = provider.requests[1]!.messages.find((m) => m.role === "tool");
    expect(tool).toMatchObject({ attachments: [{ type: "image", mediaType: "image/png" }] });
  });

  it("a server tool of the same name is a ConfigError saying how to rename it", async () => {
    await expect(connectMcp(library({ CLASH: "1" }), { resourceTools: true })).rejects.toThrow(
      /resourceTools' "read_resource" and MCP tool "read_resource" .* tools: \{ "read_resource": \{ name: "\.\.\." \} \}/,
    );
    const mcp = await connect(library({ CLASH: "1" }), {
      resourceTools: true,
      tools: { read_resource: { name: "server_read_resource" } },
    });
    expect(mcp.tools.map((t) => t.name)).toEqual(["server_read_resource", "list_resources", "read_resource"]);
  });
});
