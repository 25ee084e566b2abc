import { mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigError, createAgent, MemoryJournal, type Provider, readAll } from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { afterEach, describe, expect, it } from "vitest";
import {
  connectMcp,
  type McpConnection,
  type McpElicitationRequest,
  type McpSamplingRequest,
} from "../src/index.js";
import { closeOpened, connectForTest, everythingHttp, everythingStdio, filesystemStdio } from "./servers.js";
import { runTool } from "./tool-context.js";

afterEach(closeOpened);
const connect = connectForTest;
const tool = (mcp: McpConnection, name: string) => {
  const found = mcp.tools.find((t) => t.name === name);
  if (!found) throw new Error(`no tool ${name}: ${mcp.tools.map((t) => t.name).join(", ")}`);
  return found;
};

describe("sampling: the server asks the client's model", () => {
  it("is answered by the provider given, with the server's system prompt, message and settings", async () => {
    const model = new ScriptedProvider({
      turns: [{ text: "Hello from the client's model" }],
      modelId: "m-1",
    });
    const mcp = await connect(everythingStdio(), { sampling: model });
    const result = await runTool(tool(mcp, "trigger-sampling-request"), { prompt: "say hi", maxTokens: 50 });
    expect(result).toContain("Hello from the client's model");
    expect(result).toContain('"model": "m-1"');
    expect(result).toContain('"stopReason": "endTurn"');
    const request = model.requests[0]!;
    expect(request.messages).toEqual([
      { role: "system", content: "You are a helpful test server." },
      { role: "user", content: "Resource trigger-sampling-request context: say hi" },
    ]);
    expect(request.settings).toEqual({ maxOutputTokens: 50, temperature: 0.7 });
    expect(request.tools).toEqual([]);
  });

  it("is not offered without the option: the server lists no tool that needs it", async () => {
    const mcp = await connect(everythingStdio());
    expect(mcp.tools.map((t) => t.name)).not.toContain("trigger-sampling-request");
  });

  it("approve sees each request and can decline it; maxTokens caps what the server asks", async () => {
    const model = new ScriptedProvider({ turns: [{ text: "capped" }] });
    const seen: McpSamplingRequest[] = [];
    let allow = false;
    const mcp = await connect(everythingStdio(), {
      name: "everything",
      sampling: {
        provider: model,
        maxTokens: 20,
        approve: (request) => {
          seen.push(request);
          return allow;
        },
      },
    });
    const sampling = tool(mcp, "trigger-sampling-request");
    await expect(runTool(sampling, { prompt: "spend", maxTokens: 500 })).rejects.toThrow(
      /declined the sampling request/,
    );
    expect(model.requests).toHaveLength(0);
    expect(seen[0]).toMatchObject({ server: "everything", request: { settings: { maxOutputTokens: 20 } } });
    allow = true;
    expect(await runTool(sampling, { prompt: "spend", maxTokens: 500 })).toContain("capped");
    expect(model.requests[0]!.settings.maxOutputTokens).toBe(20);
  });

  it("a model that fails tells the server only its code, not its message", async () => {
    const model = new ScriptedProvider({
      turns: [
        {
          text: "never sent",
          failFirst: [{ code: "auth", message: "401 from https://api.example.com with key sk-secret-123" }],
        },
      ],
    });
    const mcp = await connect(everythingStdio(), { sampling: model });
    const failed = await runTool(tool(mcp, "trigger-sampling-request"), { prompt: "x" }).catch(
      (e: unknown) => e,
    );
    expect((failed as Error).message).toContain("The client's model failed (auth)");
    expect((failed as Error).message).not.toContain("sk-secret-123");
  });

  it("its tokens count in the run of the tool call it served, by the model that answered", async () => {
    const spent = { inputTokens: 400, outputTokens: 60 };
    const model = new ScriptedProvider({
      provider: "openai",
      modelId: "gpt-mini",
      turns: [
        { text: "one", usage: spent },
        { text: "two", usage: spent },
      ],
    });
    const mcp = await connect(everythingStdio(), { sampling: model });
    const journal = new MemoryJournal();
    const agentTurn = { inputTokens: 10, outputTokens: 1 };
    const result = await createAgent({
      journal,
      tools: mcp.tools,
      provider: new ScriptedProvider({
        mode: "conversation",
        turns: [
          {
            // Two calls in one turn: both in flight while the server samples, so each sampling
            // request is counted to one of them, never lost and never twice.
            toolCalls: [
              { id: "a", name: "trigger-sampling-request", args: { prompt: "first" } },
              { id: "b", name: "trigger-sampling-request", args: { prompt: "second" } },
            ],
            usage: agentTurn,
          },
          { text: "done", usage: agentTurn },
        ],
      }),
    }).run("sample twice", { threadId: "sampling-usage" });
    expect(result.status).toBe("completed");
    const reported = (await readAll(journal, "sampling-usage")).flatMap((e) =>
      e.type === "tool.completed" ? (e.data.modelUsage ?? []) : [],
    );
    expect(reported.every((r) => r.provider === "openai" && r.model === "gpt-mini")).toBe(true);
    const input = reported.reduce((sum, r) => sum + r.usage.inputTokens, 0);
    expect(input).toBe(800);
    expect(result.frame.usage).toEqual({ inputTokens: 820, outputTokens: 122 });
  });

  it("over HTTP, each call gets the tokens of the sampling requests its own stream carried", async () => {
    // The first call's answer is slow: the second call's request comes while both are in flight.
    const model: Provider = {
      specificationVersion: "v1",
      provider: "openai",
      modelId: "gpt-mini",
      async *doStream(request) {
        const first = JSON.stringify(request.messages).includes("first");
        if (first) await new Promise((resolve) => setTimeout(resolve, 400));
        yield {
          type: "finish",
          message: { role: "assistant", content: "ok" },
          usage: { inputTokens: first ? 100 : 1, outputTokens: 0 },
          finishReason: { unified: "stop", raw: "stop" },
        };
      },
    };
    const http = await everythingHttp();
    try {
      const mcp = await connect({ url: http.url }, { sampling: model });
      const sampling = tool(mcp, "trigger-sampling-request");
      const spent = { first: [] as number[], second: [] as number[] };
      const first = runTool(
        sampling,
        { prompt: "first" },
        { reportUsage: (u) => spent.first.push(u.inputTokens) },
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      const second = runTool(
        sampling,
        { prompt: "second" },
        { reportUsage: (u) => spent.second.push(u.inputTokens) },
      );
      await Promise.all([first, second]);
      expect(spent).toEqual({ first: [100], second: [1] });
    } finally {
      await http.stop();
    }
  });

  it("a call alone in flight gets its sampling's tokens", async () => {
    const model = new ScriptedProvider({
      turns: [{ text: "hi", usage: { inputTokens: 7, outputTokens: 3 } }],
    });
    const mcp = await connect(everythingStdio(), { sampling: model });
    const seen: unknown[] = [];
    await runTool(
      tool(mcp, "trigger-sampling-request"),
      { prompt: "x" },
      { reportUsage: (usage, spentOn) => seen.push({ usage, spentOn }) },
    );
    expect(seen).toEqual([
      {
        usage: { inputTokens: 7, outputTokens: 3 },
        spentOn: { provider: "scripted", model: "scripted-model" },
      },
    ]);
  });

  it("bad sampling options are a ConfigError", async () => {
    await expect(connectMcp(everythingStdio(), { sampling: {} as never })).rejects.toThrow(ConfigError);
    await expect(
      connectMcp(everythingStdio(), { sampling: { provider: new ScriptedProvider([]), maxTokens: 0 } }),
    ).rejects.toThrow(/sampling.maxTokens must be a positive integer/);
  });
});

describe("elicitation: the server asks the user", () => {
  it("the handler gets the question and schema; an accepted answer reaches the server", async () => {
    const asked: McpElicitationRequest[] = [];
    const mcp = await connect(everythingStdio(), {
      onElicitation: (request) => {
        asked.push(request);
        return { action: "accept", content: { name: "Ada Lovelace", check: true, integer: 7 } };
      },
    });
    const result = await runTool(tool(mcp, "trigger-elicitation-request"), {});
    expect(asked[0]!.message).toBe("Please provide inputs for the following fields:");
    expect(asked[0]!.requestedSchema).toMatchObject({ type: "object", required: ["name"] });
    expect(asked[0]!.signal).toBeInstanceOf(AbortSignal);
    expect(result).toContain("- Name: Ada Lovelace");
    expect(result).toContain("- Agreed to terms: true");
  });

  it("an answer that does not match the schema is refused before it reaches the server", async () => {
    const mcp = await connect(everythingStdio(), {
      // `name` is required, and `integer` must be 1 to 100.
      onElicitation: () => ({ action: "accept", content: { integer: 500 } }),
    });
    const failed = await runTool(tool(mcp, "trigger-elicitation-request"), {}).catch((e: unknown) => e);
    expect((failed as Error).message).toMatch(/does not match the requested schema/);
  });

  it("a declined question is the server's to handle", async () => {
    const mcp = await connect(everythingStdio(), { onElicitation: async () => ({ action: "decline" }) });
    const result = await runTool(tool(mcp, "trigger-elicitation-request"), {});
    expect(result).toMatch(/declined/i);
  });

  it("over HTTP, each answer is journaled as a step of the call whose stream carried the question", async () => {
    let questions = 0;
    const http = await everythingHttp();
    try {
      const mcp = await connect(
        { url: http.url },
        {
          onElicitation: async () => {
            // The first question is answered last: the second call's arrives while the first waits.
            const n = ++questions;
            if (n === 1) await new Promise((resolve) => setTimeout(resolve, 400));
            return { action: "accept", content: { name: `user ${n}` } };
          },
        },
      );
      const elicit = tool(mcp, "trigger-elicitation-request");
      const steps = { first: [] as string[], second: [] as string[] };
      const recording = (into: string[]) => ({
        step: async <T>(name: string, run: () => T | Promise<T>) => {
          into.push(name);
          return run();
        },
      });
      const first = runTool(elicit, {}, recording(steps.first));
      await new Promise((resolve) => setTimeout(resolve, 100));
      const second = runTool(elicit, {}, recording(steps.second));
      const [a, b] = await Promise.all([first, second]);
      expect(steps.first).toEqual([expect.stringMatching(/^mcp-elicitation [0-9a-f]{16}#1$/)]);
      expect(steps.second).toEqual(steps.first);
      expect(a).toContain("- Name: user 1");
      expect(b).toContain("- Name: user 2");
    } finally {
      await http.stop();
    }
  });

  it("is not offered without a handler", async () => {
    const mcp = await connect(everythingStdio());
    expect(mcp.tools.map((t) => t.name)).not.toContain("trigger-elicitation-request");
  });
});

describe("roots: the folders the server may work in", () => {
  it("server-everything lists the roots given, and the new ones after setRoots", async () => {
    const a = mkdtempSync(join(tmpdir(), "roots-a-"));
    const b = mkdtempSync(join(tmpdir(), "roots-b-"));
    const mcp = await connect(everythingStdio(), { roots: [{ uri: pathToFileURL(a).href, name: "work" }] });
    const list = tool(mcp, "get-roots-list");
    const first = await runTool(list, {});
    expect(first).toContain("Current MCP Roots (1 total)");
    expect(first).toContain(`URI: ${pathToFileURL(a).href}`);
    await mcp.setRoots([
      { uri: pathToFileURL(a).href, name: "work" },
      { uri: pathToFileURL(b).href, name: "scratch" },
    ]);
    expect(mcp.roots).toHaveLength(2);
    // The server asks for the list again when told it changed; its answer arrives a moment later.
    let text = "";
    for (let i = 0; i < 100 && !text.includes("(2 total)"); i++) {
      text = String(await runTool(list, {}));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(text).toContain("2. scratch");
  });

  it("server-filesystem works in the client's roots instead of the folder it was started with", async () => {
    const started = realpathSync(mkdtempSync(join(tmpdir(), "fs-started-")));
    const root = realpathSync(mkdtempSync(join(tmpdir(), "fs-root-")));
    writeFileSync(join(root, "note.txt"), "in the root");
    writeFileSync(join(started, "other.txt"), "in the start folder");
    const mcp = await connect(filesystemStdio(started), { roots: [{ uri: pathToFileURL(root).href }] });
    const read = tool(mcp, "read_text_file");
    let allowed = "";
    for (let i = 0; i < 100 && !allowed.includes(root); i++) {
      allowed = String(await runTool(tool(mcp, "list_allowed_directories"), {}));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(allowed).toContain(root);
    expect(await runTool(read, { path: join(root, "note.txt") })).toBe("in the root");
    await expect(runTool(read, { path: join(started, "other.txt") })).rejects.toThrow(/outside allowed/i);
  });

  it("roots that are not file URIs, or setRoots on a connection without roots, are ConfigErrors", async () => {
    await expect(connectMcp(everythingStdio(), { roots: [{ uri: "/tmp" }] })).rejects.toThrow(
      /roots\[0\].uri must be a file:\/\/ URI, got "\/tmp". For a folder, pass pathToFileURL\(folder\).href/,
    );
    const mcp = await connect(everythingStdio());
    expect(mcp.roots).toBeUndefined();
    expect(mcp.tools.map((t) => t.name)).not.toContain("get-roots-list");
    await expect(mcp.setRoots([])).rejects.toThrow(/made without roots/);
  });
});
