import { ResumeError } from "./errors.js";
import type { EventData } from "./events.js";
import { type ExecutionFrame, pendingApprovals } from "./frame.js";
import { DECISION_SHAPES, type Decision, DecisionSchema } from "./hooks.js";

/**
 * Maps the caller's decisions onto the pending calls, by ref. A decision may name a call by its ref
 * (`call_1@12`, always unique) or by its call id when only one pending call has that id.
 */
export function resolveDecisions(
  threadId: string,
  root: ExecutionFrame,
  decisions: Readonly<Record<string, Decision>> | undefined,
): Map<string, Decision> {
  const map = new Map<string, Decision>();
  if (!decisions) return map;
  const pending = pendingApprovals(root);
  const waiting = () =>
    pending.length > 0
      ? `; waiting: ${pending.map((p) => `${p.ref} (${p.name} in frame ${p.frameId})`).join(", ")}`
      : " (nothing is waiting)";
  for (const [key, decision] of Object.entries(decisions)) {
    const byRef = pending.find((p) => p.ref === key);
    const byId = byRef ? [byRef] : pending.filter((p) => p.callId === key);
    if (byId.length === 0) {
      throw new ResumeError(
        "invalid_decision",
        `Thread "${threadId}" has no call "${key}" waiting for approval${waiting()}.`,
      );
    }
    if (byId.length > 1) {
      throw new ResumeError(
        "invalid_decision",
        `Call id "${key}" names ${byId.length} calls waiting for approval in thread "${threadId}" (${byId.map((p) => `${p.ref} in frame ${p.frameId}`).join(", ")}); name each by its ref instead: { "${byId[0]!.ref}": ... }.`,
      );
    }
    const ref = byId[0]!.ref;
    if (map.has(ref)) {
      throw new ResumeError(
        "invalid_decision",
        `Two decisions name call ${ref} ("${key}" and another key); give one decision per call.`,
      );
    }
    const parsed = DecisionSchema.safeParse(decision);
    if (!parsed.success) {
      throw new ResumeError(
        "invalid_decision",
        `Decision for call "${key}" must be ${DECISION_SHAPES}; got ${JSON.stringify(decision)}.`,
      );
    }
    map.set(ref, parsed.data as Decision);
  }
  return map;
}

/** What `approval.resolved` journals for a decision on call `callId`. */
export function approvalResolution(callId: string, decision: Decision): EventData<"approval.resolved"> {
  if ("args" in decision) return { callId, decision: "edit", args: decision.args as never };
  return {
    callId,
    decision: decision.approve ? "approve" : "reject",
    ...(!decision.approve && decision.reason ? { reason: decision.reason } : {}),
  };
}
