import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAgent, MemoryJournal, readAll } from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { afterAll, describe, expect, it } from "vitest";
import { connectMcp } from "../src/index.js";
import { ledgerStdio, readLedger } from "./servers.js";

const dir = mkdtempSync(join(tmpdir(), "loom-mcp-elicitation-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a user's answer to a server's question is journaled with the call", () => {
  it("the call run again after its server died is answered from the journal: the user is asked once", async () => {
    const ledger = join(dir, "greet.log");
    const asked: string[] = [];
    const mcp = await connectMcp(ledgerStdio(ledger), {
      only: ["greet"],
      tools: { greet: { onUnknownOutcome: "ask" } },
      onElicitation: (request) => {
        asked.push(request.message);
        return { action: "accept", content: { name: "Ana" } };
      },
    });
    try {
      const journal = new MemoryJournal();
      const agent = () =>
        createAgent({
          journal,
          tools: mcp.tools,
          provider: new ScriptedProvider({
            mode: "conversation",
            turns: [{ toolCalls: [{ id: "g", name: mcp.tools[0]!.name, args: {} }] }, { text: "Greeted." }],
          }),
        });
      // The server gets the answer, then dies before it answers the call: the outcome is unknown.
      const paused = await agent().run("Greet me", { threadId: "greet" });
      expect(paused.status).toBe("interrupted");
      if (paused.status !== "interrupted") return;
      expect(asked).toEqual(["What is your name?"]);
      const step = (await readAll(journal, "greet")).find((e) => e.type === "tool.step");
      expect(step?.type === "tool.step" && step.data).toEqual({
        callId: "g",
        name: expect.stringMatching(/^mcp-elicitation [0-9a-f]{16}#1$/),
        value: { action: "accept", content: { name: "Ana" } },
      });

      // A human says run it again: the server (a new process) asks again, Loom answers from the journal.
      const done = await agent().resume("greet", {
        decisions: { [paused.pending[0]!.ref]: { approve: true } },
      });
      expect(done.status === "completed" && done.text).toBe("Greeted.");
      expect(asked).toHaveLength(1);
      const completed = (await readAll(journal, "greet")).find((e) => e.type === "tool.completed");
      expect(completed?.type === "tool.completed" && completed.data.content).toBe("hello Ana");
      const lines = readLedger(ledger);
      expect(lines.filter((l) => l.includes(" answered accept Ana"))).toHaveLength(2);
    } finally {
      await mcp.close();
    }
  });
});
