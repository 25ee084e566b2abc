import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@loom/core";
import { afterAll, describe, expect, it } from "vitest";
import { connectMcp, type McpServer, mcpApprovalPolicy } from "../src/index.js";
import { ledgerStdio } from "./servers.js";
import { runTool } from "./tool-context.js";

const dir = mkdtempSync(join(tmpdir(), "loom-mcp-options-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ledger = () => ledgerStdio(join(dir, "ledger.log"));

describe("connectMcp options", () => {
  it("per-tool settings override the annotations, and rename a tool", async () => {
    const mcp = await connectMcp(ledger(), {
      prefix: "bank_",
      tools: {
        charge: { name: "pay", needsApproval: false, onUnknownOutcome: "fail" },
        lookup: { idempotent: false, needsApproval: true, readOnly: true },
      },
    });
    try {
      expect(mcp.name).toBe("ledger");
      const byMcpName = Object.fromEntries(mcp.tools.map((t) => [t.mcp.name, t]));
      expect(byMcpName.charge).toMatchObject({ name: "pay", onUnknownOutcome: "fail", idempotent: false });
      expect(byMcpName.charge?.mcp.policy).toMatchObject({ needsApproval: false, destructive: true });
      expect(byMcpName.lookup).toMatchObject({ name: "bank_lookup", idempotent: false, readOnly: true });
      expect(byMcpName.charge?.readOnly).toBe(false);
      // whoami has no annotations: destructive by the spec's defaults.
      expect(byMcpName.whoami?.mcp.policy).toMatchObject({ destructive: true, needsApproval: true });
      // greet has no destructiveHint: destructive by the spec's defaults too.
      expect([...mcp.approvalTools].sort()).toEqual(["bank_greet", "bank_lookup", "bank_whoami"]);
      expect(mcpApprovalPolicy(mcp.tools).sort()).toEqual(["bank_greet", "bank_lookup", "bank_whoami"]);
      expect(mcp.needsApproval({ name: "pay" })).toBe(false);
      expect(await runTool(byMcpName.charge!, { cents: 3 })).toBe("charged 3");
    } finally {
      await mcp.close();
    }
  });

  it("two tools that end up with one name are a ConfigError naming both", async () => {
    await expect(connectMcp(ledger(), { tools: { lookup: { name: "charge" } } })).rejects.toThrow(
      /MCP tools "charge" and "lookup" of server "ledger" both become the Loom tool "charge"/,
    );
  });

  it("an invalid name, bad timeouts and bad servers are ConfigErrors that say what to pass", async () => {
    await expect(connectMcp(ledger(), { tools: { lookup: { name: "has space" } } })).rejects.toThrow(
      /is not a valid tool name/,
    );
    const bad: [McpServer, object, RegExp][] = [
      [ledger(), { timeoutMs: -1 }, /timeoutMs must be a positive number/],
      [{ command: "" }, {}, /a stdio server needs a "command"/],
      [{ url: "not a url" }, {}, /is not a URL/],
    ];
    for (const [server, options, message] of bad) {
      const error = await connectMcp(server, options).catch((e: unknown) => e);
      expect(ConfigError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(message);
    }
  });

  it("a per-tool timeoutMs applies to that tool only", async () => {
    const mcp = await connectMcp(ledger(), {
      only: ["lookup", "charge"],
      tools: { lookup: { timeoutMs: 200 } },
    });
    try {
      const lookup = mcp.tools.find((t) => t.mcp.name === "lookup")!;
      const charge = mcp.tools.find((t) => t.mcp.name === "charge")!;
      expect(lookup.timeoutMs).toBe(1_200); // core's backstop, 1 s after the MCP timeout
      expect(charge.timeoutMs).toBe(61_000);
      await expect(runTool(lookup, { q: "slow", ms: 2_000 })).rejects.toMatchObject({ code: "mcp_timeout" });
    } finally {
      await mcp.close();
    }
  });
});
