import type { StoredEvent } from "@loom/core";
import { CallKeys } from "./keys.js";
import type { LedgerLine } from "./ledger.js";
import { GUARDED_TOOLS, NON_IDEMPOTENT_TOOLS, READ_ONLY_TOOLS } from "./world.js";

/** The four promises of issue 12, as counts of broken ones. Every one must be 0. */
export interface Violations {
  /** Effects of a call after its `tool.completed` was durable. */
  completedRanTwice: number;
  /** Extra effects of a non-idempotent call, beyond the re-runs a human approved after an unknown outcome. */
  nonIdempotentRanTwice: number;
  /** Effects of a guarded call without an approve/edit for that call, or after a reject. */
  unapprovedRan: number;
  /** Effects (or journaled decisions) whose arguments differ from what the human decided for that call. */
  wrongCall: number;
  /** `tool.completed` events a run was told were durable (seen in its stream) that the final journal lacks. */
  lostEvents: number;
  /** Runs of a tool with effects that began before the journal held the call's `tool.started`. */
  ranUnrecorded: number;
}

export const VIOLATION_KINDS = [
  "completedRanTwice",
  "nonIdempotentRanTwice",
  "unapprovedRan",
  "wrongCall",
  "lostEvents",
  "ranUnrecorded",
] as const;

export function noViolations(): Violations {
  return {
    completedRanTwice: 0,
    nonIdempotentRanTwice: 0,
    unapprovedRan: 0,
    wrongCall: 0,
    lostEvents: 0,
    ranUnrecorded: 0,
  };
}

export function addViolations(into: Violations, more: Violations): void {
  for (const k of VIOLATION_KINDS) into[k] += more[k];
}

interface CallRecord {
  firstStartedSeq: number | undefined;
  resolutions: { seq: number; decision: "approve" | "reject" | "edit"; args: unknown }[];
}

/** Canonical JSON (sorted keys), to compare arguments. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/**
 * Counts violations in one trial, from its final journal and its ledger (in the order things
 * happened). Also says what each violation was, for the report.
 */
export function countViolations(
  threadId: string,
  events: readonly StoredEvent[],
  ledger: readonly LedgerLine[],
): { violations: Violations; details: string[] } {
  const v = noViolations();
  const details: string[] = [];
  const calls = new Map<string, CallRecord>();
  const keys = new CallKeys(threadId);
  const durable = new Set<string>();
  for (const e of events) {
    const key = keys.next(e);
    if (!key) continue;
    if (e.type === "tool.completed") durable.add(key);
    const call = calls.get(key) ?? { firstStartedSeq: undefined, resolutions: [] };
    calls.set(key, call);
    if (e.type === "tool.started") call.firstStartedSeq ??= e.seq;
    if (e.type === "approval.resolved") {
      call.resolutions.push({ seq: e.seq, decision: e.data.decision, args: e.data.args });
    }
  }

  const decisions = new Map<string, Extract<LedgerLine, { k: "decision" }>[]>();
  for (const line of ledger) {
    if (line.k === "decision") decisions.set(line.key, [...(decisions.get(line.key) ?? []), line]);
  }

  // Decisions as journaled must be the ones the human gave for that very call.
  for (const [key, call] of calls) {
    const given = decisions.get(key) ?? [];
    for (const r of call.resolutions) {
      const match = given.some(
        (d) =>
          d.decision === r.decision && (r.decision !== "edit" || canonical(d.args) === canonical(r.args)),
      );
      if (!match) {
        v.wrongCall++;
        details.push(
          `wrong-call: journal resolved ${key} as ${r.decision} ${canonical(r.args)}; the human said ${canonical(given)}`,
        );
      }
    }
  }

  const completed = new Set<string>();
  const effects = new Map<string, Extract<LedgerLine, { k: "effect" }>[]>();
  for (const line of ledger) {
    // Nothing acknowledged is lost: what a stream showed as durable is in the final journal.
    if (line.k === "completed" && line.by === "stream" && !durable.has(line.key)) {
      v.lostEvents++;
      details.push(
        `lost-event: tool.completed of ${line.key} was acknowledged (attempt ${line.attempt}) but is not in the journal`,
      );
    }
    if (line.k === "completed") completed.add(line.key);
    if (line.k !== "effect") continue;
    const where = `${line.tool} ${line.key} ${canonical(line.args)} (pid ${line.pid}, attempt ${line.attempt})`;
    if (completed.has(line.key)) {
      v.completedRanTwice++;
      details.push(`completed-ran-twice: ${where}`);
    }
    effects.set(line.key, [...(effects.get(line.key) ?? []), line]);
    if (!line.recorded && !(READ_ONLY_TOOLS as readonly string[]).includes(line.tool)) {
      v.ranUnrecorded++;
      details.push(`ran-unrecorded: ${where}: its tool.started was not in the journal when it was called`);
    }

    const given = decisions.get(line.key) ?? [];
    if ((GUARDED_TOOLS as readonly string[]).includes(line.tool)) {
      const call = calls.get(line.key);
      const approved = call?.resolutions.some((r) => r.decision !== "reject") ?? false;
      const rejected =
        (call?.resolutions.some((r) => r.decision === "reject") ?? false) ||
        given.some((d) => d.decision === "reject");
      if (!approved || rejected || !line.approvedInFrame) {
        v.unapprovedRan++;
        details.push(
          `unapproved-ran: ${where}: journal ${canonical(call?.resolutions ?? [])}, human ${canonical(given)}, approved in frame ${line.approvedInFrame}`,
        );
      }
    }
    const allowed = given.filter((d) => d.decision !== "reject");
    if (allowed.length > 0 && !allowed.some((d) => canonical(d.args) === canonical(line.args))) {
      v.wrongCall++;
      details.push(`wrong-call: ${where}, but the human allowed ${canonical(allowed.map((d) => d.args))}`);
    }
  }

  for (const [key, lines] of effects) {
    const toolName = lines[0]!.tool;
    if (!(NON_IDEMPOTENT_TOOLS as readonly string[]).includes(toolName)) continue;
    const call = calls.get(key);
    const started = call?.firstStartedSeq ?? Number.POSITIVE_INFINITY;
    // A human's approve after the call had started is an approved re-run (onUnknownOutcome "ask").
    const reruns = call?.resolutions.filter((r) => r.decision !== "reject" && r.seq > started).length ?? 0;
    const extra = lines.length - 1 - reruns;
    if (extra > 0) {
      v.nonIdempotentRanTwice += extra;
      details.push(
        `non-idempotent-ran-twice: ${toolName} ${key} ran ${lines.length} times (pids ${lines.map((l) => l.pid).join(", ")}), approved re-runs ${reruns}`,
      );
    }
  }
  return { violations: v, details };
}

/** The keys whose `tool.completed` is in these events. */
export function completedKeys(threadId: string, events: readonly StoredEvent[]): string[] {
  const keys = new CallKeys(threadId);
  const done: string[] = [];
  for (const e of events) {
    const key = keys.next(e);
    if (e.type === "tool.completed" && key) done.push(key);
  }
  return done;
}
