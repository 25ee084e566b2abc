import { fileURLToPath } from "node:url";
import { createAgent, MemoryJournal, readAll, type StoredEvent } from "@loom/core";
import { HITLHook } from "@loom/hooks";
import { ScriptedProvider } from "@loom/testing";
import { afterEach, describe, expect, it } from "vitest";
import { connectMcp, type McpConnection, type McpToolsChange } from "../src/index.js";

// A server built on the official SDK's McpServer, which sends notifications/tools/list_changed
// whenever a tool is registered or removed after the connection.
const CHANGING = fileURLToPath(new URL("./fixtures/changing-server.mjs", import.meta.url));

let mcp: McpConnection | undefined;
afterEach(async () => {
  await mcp?.close();
  mcp = undefined;
});

function offered(events: readonly StoredEvent[]): string[][] {
  return events.flatMap((e) => (e.type === "llm.requested" ? [e.data.tools] : []));
}

describe("a server whose tool list changes (notifications/tools/list_changed)", () => {
  it("follows it: the agent's next request offers the new tool, its approval policy applies, and a removed tool leaves the set", async () => {
    const seen: McpToolsChange[] = [];
    mcp = await connectMcp(
      { command: process.execPath, args: [CHANGING] },
      { prefix: "c_", onToolsChanged: (change) => seen.push(change) },
    );
    expect(mcp.toolSet.list().map((t) => t.name)).toEqual(["c_unlock", "c_lock", "c_clash"]);
    const journal = new MemoryJournal();
    const agent = createAgent({
      journal,
      tools: [mcp.toolSet],
      hooks: [HITLHook({ tools: mcp.needsApproval }), mcp.hook],
      provider: new ScriptedProvider({
        mode: "conversation",
        turns: [
          { toolCalls: [{ id: "u", name: "c_unlock", args: {} }] },
          { toolCalls: [{ id: "s", name: "c_secret", args: {} }] },
          { text: "The secret is 42." },
        ],
      }),
    });
    const paused = await agent.run("tell me the secret", { threadId: "t" });
    // The new tool is destructive: the connection's approval policy, read as it is now, asks a human.
    expect(paused.status).toBe("interrupted");
    expect(seen).toEqual([
      { tools: ["c_unlock", "c_lock", "c_clash", "c_secret"], added: ["c_secret"], removed: [] },
    ]);
    expect(mcp.approvalTools).toEqual(["c_secret"]);
    expect(mcp.tools.map((t) => t.name)).toContain("c_secret");
    if (paused.status !== "interrupted") return;
    const done = await agent.resume("t", { decisions: { [paused.pending[0]!.ref]: { approve: true } } });
    expect(done.status === "completed" && done.text).toBe("The secret is 42.");
    const events = await readAll(journal, "t");
    expect(offered(events)).toEqual([
      ["c_unlock", "c_lock", "c_clash"],
      ["c_unlock", "c_lock", "c_clash", "c_secret"],
      ["c_unlock", "c_lock", "c_clash", "c_secret"],
    ]);
    const secret = events.find((e) => e.type === "tool.completed" && e.data.name === "c_secret");
    expect(secret?.type === "tool.completed" && secret.data.content).toBe("the secret is 42");

    // Removed on the server: gone from the set once the change is read.
    const lockAgent = createAgent({
      journal,
      tools: [mcp.toolSet],
      provider: new ScriptedProvider({
        mode: "conversation",
        turns: [{ toolCalls: [{ id: "l", name: "c_lock", args: {} }] }, { text: "Locked." }],
      }),
    });
    await lockAgent.run("lock it", { threadId: "t2" });
    await expect.poll(() => seen.length).toBe(2);
    expect(seen[1]).toEqual({ tools: ["c_unlock", "c_lock", "c_clash"], added: [], removed: ["c_secret"] });
    expect(mcp.toolSet.get("c_secret")).toBeUndefined();
    expect(offered(await readAll(journal, "t2")).at(-1)).toEqual(["c_unlock", "c_lock", "c_clash"]);
  });

  it("reads the list again on a new connection: a restarted server's tools, which no notification announced", async () => {
    const seen: McpToolsChange[] = [];
    mcp = await connectMcp(
      { command: process.execPath, args: [CHANGING] },
      { onToolsChanged: (c) => seen.push(c) },
    );
    const unlock = createAgent({
      journal: new MemoryJournal(),
      tools: [mcp.toolSet],
      provider: new ScriptedProvider([
        { toolCalls: [{ id: "u", name: "unlock", args: {} }] },
        { text: "ok" },
      ]),
    });
    await unlock.run("unlock", { threadId: "t" });
    expect(mcp.toolSet.get("secret")).toBeDefined();
    // The server dies; the next call starts it again, without the tool the old one had added.
    process.kill(mcp.pid!, "SIGKILL");
    await expect.poll(() => mcp!.pid).toBeUndefined();
    const lock = createAgent({
      journal: new MemoryJournal(),
      tools: [mcp.toolSet],
      provider: new ScriptedProvider([{ toolCalls: [{ id: "l", name: "lock", args: {} }] }, { text: "ok" }]),
    });
    await lock.run("lock", { threadId: "t2" });
    await expect.poll(() => mcp!.toolSet.get("secret")).toBeUndefined();
    expect(seen.at(-1)).toEqual({ tools: ["unlock", "lock", "clash"], added: [], removed: ["secret"] });
  });

  it("keeps the tools as they were, and says why, when the new list cannot be taken (two tools of one Loom name)", async () => {
    const seen: McpToolsChange[] = [];
    mcp = await connectMcp(
      { command: process.execPath, args: [CHANGING] },
      { onToolsChanged: (c) => seen.push(c) },
    );
    const agent = createAgent({
      journal: new MemoryJournal(),
      tools: [mcp.toolSet],
      provider: new ScriptedProvider([{ toolCalls: [{ id: "x", name: "clash", args: {} }] }, { text: "ok" }]),
    });
    await agent.run("clash", { threadId: "t" });
    await expect.poll(() => seen.length).toBeGreaterThanOrEqual(1);
    const last = seen.at(-1)!;
    expect("error" in last && last.error.message).toContain(
      'MCP tools "twin.a" and "twin_a" of server "changing" both become the Loom tool "twin_a"',
    );
    expect(mcp.toolSet.list().map((t) => t.name)).toEqual(["unlock", "lock", "clash"]);
  });
});
