import type { Decision, PendingApproval } from "@loom/core";
import { appendLedger } from "./ledger.js";
import { random, seedOf } from "./random.js";

/** The reason core gives when it asks whether to run again a call whose outcome is unknown. */
const UNKNOWN_OUTCOME = /outcome is unknown/;

/**
 * The harness's human. Decides each pending call by its ref, from what it is shown (tool, args,
 * reason), the same way in every process: /home is never deleted, a re-run after an unknown outcome
 * is approved, /tmp/approved is approved, /tmp/junk approved or edited, any other deletion approved,
 * edited or rejected at random (seeded per call).
 * Each decision is logged in the ledger before it is handed to `resume`.
 */
export function decide(
  pending: readonly PendingApproval[],
  threadId: string,
  trialSeed: number,
  ledgerFile: string,
): Record<string, Decision> {
  const decisions: Record<string, Decision> = {};
  for (const p of pending) {
    const key = `${threadId}/${p.ref}`;
    const rerun = UNKNOWN_OUTCOME.test(p.reason);
    const path = (p.args as { path?: unknown } | null)?.path;
    let decision: Decision;
    if (rerun) decision = { approve: true };
    else if (typeof path === "string" && path.startsWith("/home"))
      decision = { approve: false, reason: "never /home" };
    else if (path === "/tmp/approved" || p.name !== "delete_path") decision = { approve: true };
    else if (path === "/tmp/junk") {
      // Approved as is or edited: either way only this call, never its namesake in the other sub-agent.
      decision =
        random(seedOf(trialSeed, p.ref))() < 0.5 ? { approve: true } : { args: { path: "/tmp/junk/old" } };
    } else {
      const r = random(seedOf(trialSeed, p.ref))();
      decision =
        r < 0.6
          ? { approve: true }
          : r < 0.8
            ? { args: { path: `${String(path)}.old` } }
            : { approve: false, reason: "not today" };
    }
    const kind = "args" in decision ? "edit" : decision.approve ? "approve" : "reject";
    appendLedger(ledgerFile, {
      k: "decision",
      key,
      ref: p.ref,
      tool: p.name,
      decision: kind,
      args: "args" in decision ? decision.args : p.args,
      rerun,
    });
    decisions[p.ref] = decision;
  }
  return decisions;
}
