import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAgent, MemoryJournal, readAll } from "@loom/core";
import { HITLHook } from "@loom/hooks";
import { ScriptedProvider } from "@loom/testing";
import { afterAll, describe, expect, it } from "vitest";
import { connectMcp, IDEMPOTENCY_META_KEY, McpError, McpToolError } from "../src/index.js";
import { ledgerStdio, readLedger, waitForLedger } from "./servers.js";
import { runTool } from "./tool-context.js";

const dir = mkdtempSync(join(tmpdir(), "loom-mcp-killed-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a server that dies", () => {
  it("the idempotency key reaches the server in _meta", async () => {
    const mcp = await connectMcp(ledgerStdio(join(dir, "meta.log")), { only: ["whoami"] });
    try {
      const out = await runTool(mcp.tools[0]!, {}, { idempotencyKey: "thread-1/call_1@3" });
      expect(JSON.parse(String(out))).toMatchObject({ [IDEMPOTENCY_META_KEY]: "thread-1/call_1@3" });
    } finally {
      await mcp.close();
    }
  });

  it("isError results become a tool error with the server's text", async () => {
    const mcp = await connectMcp(ledgerStdio(join(dir, "refuse.log")), { only: ["refuse"] });
    try {
      const error = await runTool(mcp.tools[0]!, { why: "no funds" }).catch((e: unknown) => e);
      expect(McpToolError.isInstance(error)).toBe(true);
      expect((error as Error).message).toBe("refused: no funds");
    } finally {
      await mcp.close();
    }
  });

  it("killed mid-call: a destructive call fails at once with an unknown outcome; the next call reconnects", async () => {
    const ledger = join(dir, "charge.log");
    const mcp = await connectMcp(ledgerStdio(ledger), { only: ["charge"] });
    try {
      const charge = mcp.tools[0]!;
      expect(charge.mcp.policy).toMatchObject({
        idempotent: false,
        onUnknownOutcome: "ask",
        needsApproval: true,
      });
      const firstPid = mcp.pid!;
      const pending = runTool(charge, { cents: 500, ms: 30_000 }, { idempotencyKey: "t/charge@1" }).catch(
        (e: unknown) => e,
      );
      await waitForLedger(ledger, (lines) => lines.includes("t/charge@1 start charge"));
      const killedAt = Date.now();
      process.kill(firstPid, "SIGKILL");
      const error = await pending;
      expect(Date.now() - killedAt).toBeLessThan(2_000); // not the 60 s timeout: no hang
      expect(McpError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: "mcp_server_closed", outcomeUnknown: true });
      expect((error as Error).message).toMatch(/closed during tools\/call "charge": the outcome is unknown/);
      // Its policy is ask: inside an agent a human is asked (the test below), so no advice for a model.
      expect((error as Error).message).not.toMatch(/check its effect/);
      // Not retried: it charged once.
      expect(readLedger(ledger).filter((l) => l.includes("charge 500"))).toHaveLength(1);

      expect(await runTool(charge, { cents: 1 }, { idempotencyKey: "t/charge@2" })).toBe("charged 1");
      expect(mcp.pid).not.toBe(firstPid);
    } finally {
      await mcp.close();
    }
  });

  it("killed mid-call, a destructive tool whose policy is fail tells the model to check before calling it again", async () => {
    const ledger = join(dir, "charge-fail.log");
    const mcp = await connectMcp(ledgerStdio(ledger), {
      only: ["charge"],
      tools: { charge: { onUnknownOutcome: "fail" } },
    });
    try {
      const pending = runTool(mcp.tools[0]!, { cents: 7, ms: 30_000 }).catch((e: unknown) => e);
      await waitForLedger(ledger, (lines) => lines.some((l) => l.endsWith("start charge")));
      process.kill(mcp.pid!, "SIGKILL");
      const error = await pending;
      expect(error).toMatchObject({ code: "mcp_server_closed", outcomeUnknown: true });
      expect((error as Error).message).toMatch(
        /Do not assume it happened or did not; check its effect, or ask the user/,
      );
    } finally {
      await mcp.close();
    }
  });

  it("killed mid-call inside an agent: the run pauses for a human (its policy is ask), and runs the call again only if approved", async () => {
    const ledger = join(dir, "agent-charge.log");
    const mcp = await connectMcp(ledgerStdio(ledger), { only: ["charge"] });
    const journal = new MemoryJournal();
    const agent = () =>
      createAgent({
        journal,
        tools: mcp.tools,
        hooks: [HITLHook({ tools: mcp.needsApproval })],
        provider: new ScriptedProvider({
          mode: "conversation",
          // 2 s: long enough to be killed mid-call, short for the approved second run.
          turns: [
            { toolCalls: [{ id: "c", name: "charge", args: { cents: 500, ms: 2_000 } }] },
            { text: "Charged." },
          ],
        }),
      });
    try {
      const asked = await agent().run("Charge 5 euros", { threadId: "t" });
      if (asked.status !== "interrupted") throw new Error("the destructive call should wait for approval");
      const firstPid = mcp.pid!;
      const running = agent().resume("t", { decisions: { [asked.pending[0]!.ref]: { approve: true } } });
      await waitForLedger(ledger, (lines) => lines.some((l) => l.endsWith("start charge")));
      process.kill(firstPid, "SIGKILL");
      const paused = await running;
      expect(paused.status).toBe("interrupted");
      if (paused.status !== "interrupted") return;
      expect(paused.pending[0]!.reason).toMatch(
        /^The outcome of this call is unknown \(The connection to MCP server "ledger" closed during tools\/call "charge": the outcome is unknown/,
      );
      // No advice for the model: a human is asked.
      expect(paused.pending[0]!.reason).not.toMatch(/check its effect/);
      expect(readLedger(ledger).filter((l) => l.endsWith("charge 500"))).toHaveLength(1);
      expect((await readAll(journal, "t")).filter((e) => e.type === "tool.completed")).toHaveLength(0);

      const done = await agent().resume("t", { decisions: { [paused.pending[0]!.ref]: { approve: true } } });
      expect(done.status === "completed" && done.text).toBe("Charged.");
      const charges = readLedger(ledger).filter((l) => l.endsWith("charge 500"));
      // Once more, on a new server process, with the same key.
      expect(charges).toHaveLength(2);
      expect(charges[0]).toBe(charges[1]);
    } finally {
      await mcp.close();
    }
  });

  it("killed mid-call: an idempotent call runs again on a new connection, with the same key", async () => {
    const ledger = join(dir, "lookup.log");
    const mcp = await connectMcp(ledgerStdio(ledger), { only: ["lookup"] });
    try {
      const lookup = mcp.tools[0]!;
      expect(lookup.idempotent).toBe(true);
      const firstPid = mcp.pid!;
      const pending = runTool(lookup, { q: "x", ms: 500 }, { idempotencyKey: "t/lookup@1" });
      await waitForLedger(ledger, (lines) => lines.includes("t/lookup@1 start lookup"));
      process.kill(firstPid, "SIGKILL");
      expect(await pending).toBe("found x");
      expect(readLedger(ledger)).toEqual([
        "t/lookup@1 start lookup",
        "t/lookup@1 start lookup",
        "t/lookup@1 lookup",
      ]);
    } finally {
      await mcp.close();
    }
  });

  it("dead between calls: the next call starts the server again", async () => {
    const mcp = await connectMcp(ledgerStdio(join(dir, "idle.log")), { only: ["refuse", "lookup"] });
    try {
      const pid = mcp.pid!;
      process.kill(pid, "SIGKILL");
      await new Promise((resolve) => setTimeout(resolve, 200));
      const lookup = mcp.tools.find((t) => t.mcp.name === "lookup")!;
      expect(await runTool(lookup, { q: "y" })).toBe("found y");
      expect(mcp.pid).not.toBe(pid);
    } finally {
      await mcp.close();
    }
  });
});
