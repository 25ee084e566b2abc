import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryJournal, readAll } from "@loom/core";
import { afterAll, describe, expect, it } from "vitest";
import { runAttempt } from "../src/attempt.ts";
import { countViolations } from "../src/count.ts";
import { appendLedger, type LedgerLine, readLedger } from "../src/ledger.ts";

// The counts are only worth something if they see violations: these feed the counter a real run's
// journal and ledger, then a ledger with one broken promise added, and expect exactly that count.

const root = mkdtempSync(join(tmpdir(), "loom-chaos-counting-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function cleanRun(world: "approvals" | "colliding-subagents", trialSeed: number) {
  const journal = new MemoryJournal();
  const threadId = `count-${world}-${trialSeed}`;
  const ledgerFile = join(root, `${threadId}.jsonl`);
  for (let attempt = 0; attempt < 10; attempt++) {
    const outcome = await runAttempt(world, journal, threadId, trialSeed, {
      ledgerFile,
      attempt,
      pid: -1 - attempt,
      plan: { point: "none" },
      die: () => {
        throw new Error("no kill planned");
      },
      alive: () => true,
    });
    if (outcome.status === "completed") break;
    expect(outcome.status).toBe("interrupted");
  }
  const events = await readAll(journal, threadId);
  return { threadId, events, ledger: readLedger(ledgerFile), ledgerFile };
}

describe("the violation counter", () => {
  it("counts nothing on a clean run, and each broken promise once", async () => {
    const { threadId, events, ledger } = await cleanRun("colliding-subagents", 1);
    expect(countViolations(threadId, events, ledger).violations).toEqual({
      completedRanTwice: 0,
      nonIdempotentRanTwice: 0,
      unapprovedRan: 0,
      wrongCall: 0,
      lostEvents: 0,
      ranUnrecorded: 0,
    });
    const effects = ledger.filter((l): l is Extract<LedgerLine, { k: "effect" }> => l.k === "effect");
    const junk = effects.find((l) => l.tool === "delete_path")!;
    expect(junk.args).toEqual(expect.objectContaining({ path: expect.stringMatching(/^\/tmp\/junk/) }));
    const home = ledger.find(
      (l): l is Extract<LedgerLine, { k: "decision" }> => l.k === "decision" && l.decision === "reject",
    )!;
    expect(home.args).toEqual({ path: "/home" });

    // The approved /tmp/junk call runs again after it completed: completed and non-idempotent twice.
    const again = countViolations(threadId, events, [
      ...ledger,
      { k: "completed", key: junk.key, by: "journal", attempt: 0 },
      junk,
    ]);
    expect(again.violations).toEqual({
      completedRanTwice: 1,
      nonIdempotentRanTwice: 1,
      unapprovedRan: 0,
      wrongCall: 0,
      lostEvents: 0,
      ranUnrecorded: 0,
    });

    // A tool with effects ran before its tool.started was in the journal; a read-only one may.
    const early = countViolations(threadId, events, [...ledger, { ...junk, recorded: false }]);
    expect(early.violations.ranUnrecorded).toBe(1);
    expect(early.details.some((d) => d.startsWith("ran-unrecorded: delete_path"))).toBe(true);
    const read = countViolations(threadId, events, [
      ...ledger,
      { ...junk, tool: "read_file", recorded: false },
    ]);
    expect(read.violations.ranUnrecorded).toBe(0);

    // A tool.completed a run saw acknowledged is missing from the final journal: lost.
    const withoutJunk = events.filter(
      (e) => !(e.type === "tool.completed" && e.data.callId === junk.key.split("/")[1]!.split("@")[0]),
    );
    const lost = countViolations(threadId, withoutJunk, [
      ...ledger,
      { k: "completed", key: junk.key, by: "stream", attempt: 0 },
    ]);
    expect(lost.violations.lostEvents).toBeGreaterThanOrEqual(1);
    expect(lost.details.some((d) => d.startsWith(`lost-event: tool.completed of ${junk.key}`))).toBe(true);

    // The rejected /home call runs, with its own args: unapproved (and after its tool.completed, which
    // says it was rejected).
    const rejected = countViolations(threadId, events, [
      ...ledger,
      { ...junk, key: home.key, ref: home.ref, args: { path: "/home" }, approvedInFrame: false },
    ]);
    expect(rejected.violations).toEqual({
      completedRanTwice: 1,
      nonIdempotentRanTwice: 0,
      unapprovedRan: 1,
      wrongCall: 0,
      lostEvents: 0,
      ranUnrecorded: 0,
    });

    // The approval of /tmp/junk applied to the call that deletes /home: wrong call.
    const swapped = countViolations(
      threadId,
      events,
      ledger.map((l) => (l === junk ? { ...junk, args: { path: "/home" } } : l)),
    );
    expect(swapped.violations.wrongCall).toBe(1);
  });

  it("allows a second run of a non-idempotent call only after a human approved a re-run", async () => {
    const { threadId, events, ledger, ledgerFile } = await cleanRun("approvals", 3);
    expect(countViolations(threadId, events, ledger).details).toEqual([]);
    const charge = ledger.find(
      (l): l is Extract<LedgerLine, { k: "effect" }> => l.k === "effect" && l.tool === "charge",
    )!;
    const twice = countViolations(threadId, events, [...ledger, charge]);
    expect(twice.violations.nonIdempotentRanTwice).toBe(1);
    appendLedger(ledgerFile, charge);
    expect(readLedger(ledgerFile).length).toBe(ledger.length + 1);
  });
});
