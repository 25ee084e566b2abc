import { McpError } from "@loom/mcp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectMcp, type McpConnection } from "../src/index.js";
import { everythingStdio } from "./servers.js";
import { runTool } from "./tool-context.js";

describe("server-everything over stdio", () => {
  let mcp: McpConnection;
  beforeAll(async () => {
    mcp = await connectMcp(everythingStdio(), { prefix: "ev_" });
  });
  afterAll(() => mcp.close());

  const get = (name: string) => {
    const found = mcp.tools.find((t) => t.mcp.name === name);
    if (!found) throw new Error(`no tool ${name}: ${mcp.tools.map((t) => t.mcp.name).join(", ")}`);
    return found;
  };

  it("lists the server's tools as Loom tools, with their JSON Schema, names prefixed and sanitized", () => {
    expect(mcp.name).toBe("mcp-servers/everything");
    const echo = get("echo");
    expect(echo.name).toBe("ev_echo");
    expect(echo.spec.inputSchema).toMatchObject({
      type: "object",
      properties: { message: { type: "string" } },
    });
    expect(echo.spec.inputSchema).not.toHaveProperty("$schema");
    const longRunning = get("trigger-long-running-operation");
    expect(longRunning.name).toBe("ev_trigger-long-running-operation");
    for (const t of mcp.tools) expect(t.name).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  });

  it("maps annotations onto idempotent / onUnknownOutcome / approval", () => {
    const image = get("get-tiny-image"); // readOnlyHint: true
    expect(image.idempotent).toBe(true);
    expect(image.mcp.policy.needsApproval).toBe(false);
    expect(mcp.approvalTools).not.toContain(image.name);
  });

  it("calls a tool: text content becomes the result", async () => {
    expect(await runTool(get("echo"), { message: "hello" })).toBe("Echo: hello");
    expect(await runTool(get("get-sum"), { a: 2, b: 3 })).toMatch(/5/);
  });

  it("a result with structured content shows the model its text blocks (the hook keeps the structure)", async () => {
    const out = await runTool(get("get-structured-content"), { location: "Chicago" });
    expect(JSON.parse(String(out))).toMatchObject({
      temperature: expect.any(Number),
      conditions: expect.any(String),
    });
  });

  it("images are described in the text, with their size", async () => {
    const out = await runTool(get("get-tiny-image"), {});
    expect(out).toMatch(
      /Here's the image you requested:\n\n\[image: image\/png, \d+ bytes\]\n\nThe image above/,
    );
  });

  it("arguments that fail the server's schema fail the tool's input schema", () => {
    const result = get("echo").input.safeParse({ message: 42 });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/arguments\/message must be string/);
    expect(get("get-sum").input.safeParse({ a: 1 }).error?.issues[0]?.message).toMatch(
      /required property 'b'/,
    );
    expect(get("echo").input.safeParse({ message: "ok" }).success).toBe(true);
  });

  it("progress notifications are reported as they come", async () => {
    const progress: unknown[] = [];
    const out = await runTool(
      get("trigger-long-running-operation"),
      { duration: 0.3, steps: 3 },
      {
        reportProgress: (p) => progress.push(p),
      },
    );
    expect(out).toMatch(/Long running operation completed/);
    expect(progress).toEqual(expect.arrayContaining([{ progress: 1, total: 3 }]));
    expect(progress.every((p, i) => (p as { progress: number }).progress === i + 1)).toBe(true);
  });

  it("an aborted signal cancels the call at once", async () => {
    const controller = new AbortController();
    const started = Date.now();
    const pending = runTool(
      get("trigger-long-running-operation"),
      { duration: 10, steps: 10 },
      {
        signal: controller.signal,
      },
    );
    setTimeout(() => controller.abort(new Error("stop")), 200);
    await expect(pending).rejects.toThrow("stop");
    expect(Date.now() - started).toBeLessThan(3_000);
    // The connection is still usable.
    expect(await runTool(get("echo"), { message: "after" })).toBe("Echo: after");
  });

  it("a call longer than timeoutMs fails with mcp_timeout, outcome unknown", async () => {
    const short = await connectMcp(everythingStdio(), {
      timeoutMs: 300,
      only: ["trigger-long-running-operation"],
    });
    try {
      const error = await runTool(short.tools[0]!, { duration: 5, steps: 5 }).catch((e: unknown) => e);
      expect(McpError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: "mcp_timeout", outcomeUnknown: true });
      expect((error as Error).message).toMatch(/did not answer .* within 300 ms; the outcome is unknown/);
    } finally {
      await short.close();
    }
  });

  it("after close(), calls fail with mcp_closed", async () => {
    const other = await connectMcp(everythingStdio(), { only: ["echo"] });
    await other.close();
    await expect(runTool(other.tools[0]!, { message: "x" })).rejects.toMatchObject({ code: "mcp_closed" });
  });
});

describe("connecting", () => {
  it("a command that does not exist is mcp_connect_failed, saying what to check", async () => {
    const error = await connectMcp({ command: "/nonexistent/mcp-server" }).catch((e: unknown) => e);
    expect(McpError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "mcp_connect_failed" });
    expect((error as Error).message).toMatch(
      /Could not start MCP server .*Check that the command is installed/,
    );
  });

  it("a server that exits at once is mcp_connect_failed, with its stderr", async () => {
    const error = await connectMcp({
      command: process.execPath,
      args: ["-e", "console.error('no config file'); process.exit(3)"],
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "mcp_connect_failed" });
    expect((error as Error).message).toMatch(/no config file/);
  });

  it("an unreachable URL is mcp_connect_failed", async () => {
    const error = await connectMcp({ url: "http://127.0.0.1:9/mcp" }, { connectTimeoutMs: 5_000 }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "mcp_connect_failed" });
    expect((error as Error).message).toMatch(
      /Could not connect to MCP server .* Check that the server is running/,
    );
  });

  it("unknown tool names in only / tools are a ConfigError listing the server's tools", async () => {
    await expect(connectMcp(everythingStdio(), { only: ["nope"] })).rejects.toThrow(
      /has no tool named "nope".*echo/,
    );
  });
});
