import { createAgent, MemoryJournal } from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectMcp, McpError } from "../src/index.js";
import { cuttableProxy, everythingHttp, resumableHttp } from "./servers.js";
import { runTool } from "./tool-context.js";

describe("server-everything over Streamable HTTP", () => {
  let server: Awaited<ReturnType<typeof everythingHttp>>;
  beforeAll(async () => {
    server = await everythingHttp();
  });
  afterAll(() => server.stop());

  it("lists and calls tools, with progress", async () => {
    const mcp = await connectMcp({ url: server.url }, { prefix: "ev_" });
    try {
      expect(mcp.pid).toBeUndefined();
      const names = mcp.tools.map((t) => t.name);
      expect(names).toEqual(
        expect.arrayContaining(["ev_echo", "ev_get-sum", "ev_trigger-long-running-operation"]),
      );
      const echo = mcp.tools.find((t) => t.name === "ev_echo")!;
      expect(await runTool(echo, { message: "over http" })).toBe("Echo: over http");
      const progress: unknown[] = [];
      const slow = mcp.tools.find((t) => t.name === "ev_trigger-long-running-operation")!;
      await runTool(slow, { duration: 0.2, steps: 2 }, { reportProgress: (p) => progress.push(p) });
      expect(progress).toEqual(expect.arrayContaining([{ progress: 1, total: 2 }]));
      expect(progress.every((p, i) => (p as { progress: number }).progress === i + 1)).toBe(true);
    } finally {
      await mcp.close();
    }
  });

  it("an agent runs its tools end to end", async () => {
    const mcp = await connectMcp({ url: server.url }, { only: ["get-sum"] });
    try {
      const agent = createAgent({
        journal: new MemoryJournal(),
        tools: mcp.tools,
        provider: new ScriptedProvider([
          { toolCalls: [{ id: "s1", name: "get-sum", args: { a: 20, b: 22 } }] },
          { text: "42" },
        ]),
      });
      const events = [];
      for await (const e of agent.stream("add", { threadId: "http-sum" })) events.push(e);
      const completed = events.find((e) => e.type === "tool.completed");
      expect(completed?.data).toMatchObject({ name: "get-sum", content: expect.stringMatching(/42/) });
    } finally {
      await mcp.close();
    }
  });

  it("a server that dies mid-call: the call fails promptly (no hang), outcome unknown; a restarted server is reconnected", async () => {
    const own = await everythingHttp();
    const mcp = await connectMcp(
      { url: own.url },
      {
        only: ["trigger-long-running-operation", "echo"],
        // Not idempotent here, so the failed call is not run again (idempotent tools are).
        tools: { "trigger-long-running-operation": { idempotent: false } },
      },
    );
    let restarted: Awaited<ReturnType<typeof everythingHttp>> | undefined;
    try {
      const slow = mcp.tools.find((t) => t.mcp.name === "trigger-long-running-operation")!;
      expect(slow.onUnknownOutcome).toBe("fail");
      const progress: unknown[] = [];
      const pending = runTool(
        slow,
        { duration: 30, steps: 30 },
        { reportProgress: (p) => progress.push(p) },
      ).catch((e: unknown) => e);
      while (progress.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      const killedAt = Date.now();
      await own.stop();
      const error = await pending;
      expect(Date.now() - killedAt).toBeLessThan(5_000);
      expect(McpError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: "mcp_server_closed", outcomeUnknown: true });

      // While it is down, a call says it cannot connect; once it is back, calls work (a new session).
      const echo = mcp.tools.find((t) => t.mcp.name === "echo")!;
      await expect(runTool(echo, { message: "down" })).rejects.toMatchObject({ code: "mcp_connect_failed" });
      restarted = await everythingHttp(own.port);
      expect(await runTool(echo, { message: "back" })).toBe("Echo: back");
    } finally {
      await mcp.close();
      await restarted?.stop();
    }
  });
});

describe("a response stream cut mid-call (the network drops, the server stays up)", () => {
  async function callThroughCut(env: Record<string, string>) {
    const own = await resumableHttp(env);
    const proxy = await cuttableProxy(own.port);
    const mcp = await connectMcp({ url: proxy.url("/mcp") }, { tools: { slow: { idempotent: false } } });
    try {
      const slow = mcp.tools.find((t) => t.mcp.name === "slow")!;
      const progress: number[] = [];
      const pending = runTool(
        slow,
        { steps: 4, stepMs: 250 },
        { reportProgress: (p) => progress.push((p as { progress: number }).progress) },
      ).catch((e: unknown) => e);
      while (progress.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      const connectionsBefore = proxy.connections;
      const cutAt = Date.now();
      proxy.cut();
      const outcome = await pending;
      const took = Date.now() - cutAt;
      const runs = await runTool(mcp.tools.find((t) => t.mcp.name === "runs")!, {});
      return { outcome, took, progress, runs, reconnected: proxy.connections > connectionsBefore };
    } finally {
      await mcp.close();
      await proxy.close();
      await own.stop();
    }
  }

  it("resumes from its last event (Last-Event-ID) on a server that keeps its events: the call completes, run once", async () => {
    const { outcome, progress, runs, reconnected } = await callThroughCut({});
    expect(outcome).toBe("done after 4 steps");
    expect(reconnected).toBe(true);
    // Every progress event once, none lost in the cut, none replayed twice.
    expect(progress).toEqual([1, 2, 3, 4]);
    expect(runs).toBe("1");
  });

  it("on a server that does not keep its events, fails at once with an unknown outcome", async () => {
    const { outcome, took, runs } = await callThroughCut({ NO_EVENT_STORE: "1" });
    expect(McpError.isInstance(outcome)).toBe(true);
    expect(outcome).toMatchObject({ code: "mcp_server_closed", outcomeUnknown: true });
    expect(took).toBeLessThan(2_000);
    expect(runs).toBe("1");
  });
});
