import { approvalResolution, resolveDecisions } from "./decisions.js";
import { ResumeError, ThreadBusyError } from "./errors.js";
import { type ExecutionFrame, findFrame, type PendingApproval, pendingApprovals } from "./frame.js";
import type { Decision } from "./hooks.js";
import { acquireThread, type Journal, listThreads, type ThreadQuery } from "./journal.js";
import { IGNORE_EVENTS, ThreadSession } from "./session.js";
import { loadThread } from "./snapshot.js";
import { validateThreadId } from "./thread-id.js";

/** A call waiting for a human, with the thread it waits in. */
export interface PendingCall extends PendingApproval {
  readonly threadId: string;
}

export interface OperatorOptions {
  /** The clock for journaled timestamps. Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * Every call waiting for a human, across the journal's threads (or those whose id starts with
 * `prefix`), in thread-id order: what `loom pending` lists and a web app shows. Reads only the
 * threads the journal reports paused, when it keeps their status.
 */
export async function listPendingApprovals(
  journal: Journal,
  query: Pick<ThreadQuery, "prefix"> = {},
): Promise<PendingCall[]> {
  const pending: PendingCall[] = [];
  const paused: ThreadQuery = { statuses: ["interrupted"] };
  for await (const info of listThreads(
    journal,
    query.prefix === undefined ? paused : { ...paused, prefix: query.prefix },
  )) {
    const root = await loadThread(journal, info.threadId);
    if (root.status !== "interrupted") continue;
    for (const call of pendingApprovals(root)) pending.push({ threadId: info.threadId, ...call });
  }
  return pending;
}

/**
 * Journals a human's decisions on a paused thread, from outside the agent (an operator's CLI, a web
 * page), under the thread's lease: `ThreadBusyError` while a run holds it. Decisions are keyed by
 * call ref (or an unambiguous call id), as `resume(threadId, { decisions })` takes them. Nothing
 * runs here: the next `resume(threadId)`, in any process, carries the run on from the decisions
 * (an approved call runs then, once; a rejected one never). Returns the calls still waiting.
 */
export async function recordDecisions(
  journal: Journal,
  threadId: string,
  decisions: Readonly<Record<string, Decision>>,
  options: OperatorOptions = {},
): Promise<{ readonly recorded: readonly string[]; readonly pending: readonly PendingApproval[] }> {
  return underLease(journal, threadId, "nothing waits for a decision", options, async (root, session) => {
    const resolved = resolveDecisions(threadId, root, decisions);
    if (resolved.size === 0) {
      throw new ResumeError("invalid_decision", `No decisions given for thread "${threadId}".`);
    }
    const waiting = pendingApprovals(root);
    const events = [...resolved].map(([ref, decision]) => {
      const call = waiting.find((p) => p.ref === ref)!;
      const frame = findFrame(root, call.frameId)!;
      return session.event(frame, "approval.resolved", approvalResolution(call.callId, decision));
    });
    await session.append(events);
    return { recorded: [...resolved.keys()], pending: pendingApprovals(session.root) };
  });
}

/**
 * Cancels a thread nobody is running (paused for a human, or left unfinished by a crash): journals
 * `run.cancelled` under the thread's lease, so no approved call of it ever runs. A thread a run
 * holds raises `ThreadBusyError`: cancel that run through its `AbortSignal`. A finished thread
 * raises `ResumeError` (`thread_finished`).
 */
export async function cancelThread(
  journal: Journal,
  threadId: string,
  reason: string,
  options: OperatorOptions = {},
): Promise<void> {
  await underLease(journal, threadId, "there is no run to cancel", options, async (root, session) => {
    if (root.status !== "running" && root.status !== "interrupted") {
      throw new ResumeError(
        "thread_finished",
        `Thread "${threadId}" is ${root.status}: there is no run to cancel.`,
      );
    }
    await session.append([session.event(root, "run.cancelled", { reason })]);
  });
}

export interface CancelRunOptions extends OperatorOptions {
  /**
   * How long to wait, once the owner was asked, for its run to stop: until `run.cancelled` is
   * journaled, or until the owner lets go without it (a request sent as the owner let go is not
   * heard: then it is journaled here). Default 3,000 ms; `0` returns `"requested"` at once.
   */
  readonly waitMs?: number;
}

/** First pause between two looks at a thread whose owner was asked to cancel; it doubles, up to the last. */
const CANCEL_POLL_MS = [10, 20, 40, 80, 160, 250] as const;

/**
 * Cancels a thread's run wherever it is: journals `run.cancelled` when nobody runs it
 * (`cancelThread`), else asks the process that runs it through the journal (`Journal.requestCancel`)
 * and waits up to `waitMs` for that run to stop. Resolves `"cancelled"` once `run.cancelled` is
 * journaled (by the owner, or here when the owner let go without hearing the request: a pause it
 * reached as the request was sent), `"requested"` when the owner still runs after `waitMs` (it was
 * asked, again at each look, so an owner that takes the thread meanwhile is asked too). Raises
 * `ThreadBusyError` when another process runs it and the journal carries no cancel requests, and
 * `ResumeError` (`thread_finished`) when there is no run to cancel (also when the run completed or
 * failed before it stopped for the request).
 */
export async function cancelRun(
  journal: Journal,
  threadId: string,
  reason: string,
  options: CancelRunOptions = {},
): Promise<"cancelled" | "requested"> {
  const requestCancel = journal.requestCancel?.bind(journal);
  const since = await journal.head(threadId);
  const deadline = Date.now() + (options.waitMs ?? 3000);
  let asked = false;
  for (let look = 0; ; look++) {
    try {
      await cancelThread(journal, threadId, reason, options);
      return "cancelled";
    } catch (error) {
      const owned = ThreadBusyError.isInstance(error) && error.reason === "owned";
      const finished = ResumeError.isInstance(error) && error.code === "thread_finished";
      if (asked && (owned || finished) && (await cancelledSince(journal, threadId, since))) {
        return "cancelled";
      }
      if (!owned || !requestCancel) throw error;
      // Asked again at each look: the owner that heard it may have let go, and another taken over.
      if (await requestCancel(threadId, reason)) asked = true;
      if (asked && Date.now() >= deadline) return "requested";
      // Not asked (the owner let go between the two): look again at once, as before, a few times.
      if (!asked && look >= 2) throw error;
    }
    if (asked) {
      const pause = CANCEL_POLL_MS[Math.min(look, CANCEL_POLL_MS.length - 1)]!;
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(pause, Math.max(0, deadline - Date.now()))),
      );
    }
  }
}

/** Whether the thread's root run was cancelled after seq `since`. */
async function cancelledSince(journal: Journal, threadId: string, since: number): Promise<boolean> {
  for await (const event of journal.read(threadId, { from: since + 1 })) {
    if (event.type === "run.cancelled" && event.depth === 0) return true;
  }
  return false;
}

/**
 * Runs `body` on a thread's state while holding its lease (`ThreadBusyError` while a run holds
 * it), with a session to journal through; a thread without events is `thread_not_found`.
 */
async function underLease<T>(
  journal: Journal,
  threadId: string,
  nothingHere: string,
  options: OperatorOptions,
  body: (root: ExecutionFrame, session: ThreadSession) => Promise<T>,
): Promise<T> {
  validateThreadId(threadId);
  const lease = await acquireThread(journal, threadId);
  try {
    const root = await loadThread(journal, threadId);
    if (root.lastSeq < 0) {
      throw new ResumeError("thread_not_found", `Thread "${threadId}" has no events: ${nothingHere}.`);
    }
    const session = new ThreadSession(
      journal,
      threadId,
      root,
      root.runId,
      IGNORE_EVENTS,
      options.now ?? Date.now,
    );
    try {
      return await body(root, session);
    } finally {
      await session.close();
    }
  } finally {
    await lease.release();
  }
}
