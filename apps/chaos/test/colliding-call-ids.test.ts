import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryJournal, ResumeError } from "@loom/core";
import { afterAll, expect, it } from "vitest";
import { readLedger } from "../src/ledger.ts";
import { buildWorld } from "../src/world.ts";

// The colliding-subagents world, decided by hand: both children name their dangerous call "call_1",
// so only refs tell them apart; the bare call id is refused as ambiguous, and nothing runs.

const root = mkdtempSync(join(tmpdir(), "loom-chaos-colliding-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it("two pending call_1s: a decision by call id is ambiguous; by ref, each goes to its own call", async () => {
  const journal = new MemoryJournal();
  const attempt = {
    ledgerFile: join(root, "ledger.jsonl"),
    attempt: 0,
    pid: -1,
    plan: { point: "none" } as const,
    die: (): never => {
      throw new Error("no kill");
    },
    alive: () => true,
  };
  const { agent, input } = buildWorld("colliding-subagents", journal, attempt);
  const paused = await agent.run(input, { threadId: "collide" });
  if (paused.status !== "interrupted") throw new Error(`expected a pause, got ${paused.status}`);
  expect(paused.pending.map((p) => [p.callId, p.args])).toEqual([
    ["call_1", { path: "/tmp/junk" }],
    ["call_1", { path: "/home" }],
  ]);
  const error = await agent.resume("collide", { decisions: { call_1: { approve: true } } }).catch((e) => e);
  expect(ResumeError.isInstance(error) && error.code).toBe("invalid_decision");

  const [junk, home] = paused.pending;
  const done = await agent.resume("collide", {
    decisions: { [junk!.ref]: { approve: true }, [home!.ref]: { approve: false, reason: "never /home" } },
  });
  expect(done.status).toBe("completed");
  const deleted = readLedger(attempt.ledgerFile).filter((l) => l.k === "effect" && l.tool === "delete_path");
  expect(deleted.map((l) => (l as { args: unknown }).args)).toEqual([{ path: "/tmp/junk" }]);
});
