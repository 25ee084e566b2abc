import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createAgent, readAll } from "@loom/core";
import { FsJournal } from "@loom/journal-fs";
import { ScriptedProvider } from "@loom/testing";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain ES module shared with the child process
import { orderTool } from "./fixtures/steps-tool.mjs";

// ToolContext.step across a real crash: a child process charges a card in a step, says so, and is
// SIGKILLed before it sends the receipt; this process resumes the thread. The charge is not made
// twice, and the receipt names the charge the killed process made.

const child = fileURLToPath(new URL("./fixtures/steps-process.mjs", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "loom-steps-crash-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function runUntilCharged(dir: string, ledger: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, dir, ledger], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    proc.stderr.on("data", (d) => (err += d));
    proc.stdout.on("data", (d) => {
      out += d;
      if (out.includes("CHARGED")) proc.kill("SIGKILL");
    });
    proc.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve();
      else reject(new Error(`the order process exited (${code}) before it charged: ${err}`));
    });
  });
}

describe("ToolContext.step across a SIGKILL", () => {
  it("the resumed call does not charge again; its receipt names the first process's charge", async () => {
    for (let trial = 0; trial < 3; trial++) {
      const dir = join(root, `trial-${trial}`);
      const ledger = join(root, `ledger-${trial}.log`);
      await runUntilCharged(dir, ledger);
      const before = readFileSync(ledger, "utf8").trim().split("\n");
      expect(before).toEqual([expect.stringMatching(/^charge ch_[0-9a-f]{8} 1200$/)]);
      const chargeId = before[0]!.split(" ")[1]!;

      const journal = new FsJournal({ dir, onRecovery: () => {} });
      try {
        const agent = createAgent({
          journal,
          tools: [orderTool(ledger)],
          provider: new ScriptedProvider({
            mode: "conversation",
            turns: [{ toolCalls: [{ id: "o", name: "order", args: { cents: 1200 } }] }, { text: "Ordered." }],
          }),
        });
        const done = await agent.resume("order");
        expect(done.status === "completed" && done.text).toBe("Ordered.");
        expect(readFileSync(ledger, "utf8").trim().split("\n")).toEqual([
          `charge ${chargeId} 1200`,
          `receipt ${chargeId}`,
        ]);
        const events = await readAll(journal, "order");
        const completed = events.filter((e) => e.type === "tool.completed");
        expect(completed.map((e) => e.type === "tool.completed" && e.data.content)).toEqual([
          `charged ${chargeId}`,
        ]);
        expect(
          events.filter((e) => e.type === "tool.step").map((e) => e.type === "tool.step" && e.data.name),
        ).toEqual(["charge", "receipt"]);
      } finally {
        await journal.close();
      }
    }
  }, 60_000);
});
