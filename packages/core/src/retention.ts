import { JournalConflictError, JournalError, ThreadBusyError } from "./errors.js";
import type { FrameStatus } from "./frame.js";
import {
  type DeleteThreadOptions,
  heldThreads,
  holdInProcess,
  type Journal,
  listThreads,
  type ThreadInfo,
  validateDeleteOptions,
} from "./journal.js";
import { loadThread } from "./snapshot.js";
import { validateThreadId } from "./thread-id.js";

type Deleting = Journal & Required<Pick<Journal, "deleteThread">>;

function deleting(journal: Journal, what: string): Deleting {
  if (typeof journal.deleteThread !== "function") {
    throw new JournalError(
      "not_supported",
      `${what}: this journal cannot delete threads (it has no deleteThread). @loom/journal-fs, @loom/journal-postgres and MemoryJournal can; a third party's journal needs deleteThread (Journal v1).`,
    );
  }
  return journal as Deleting;
}

/**
 * Deletes a thread from the journal: every event, what the journal keeps beside them, and nothing
 * else (its forks are copies and stay). `ThreadBusyError` while a run holds it, in this process or
 * any other; `JournalConflictError` when `expectedSeq` is given and the thread moved on. Resolves
 * true when the thread had events. Not undoable: a deleted thread cannot be resumed or read.
 */
export async function deleteThread(
  journal: Journal,
  threadId: string,
  options: DeleteThreadOptions = {},
): Promise<boolean> {
  validateThreadId(threadId);
  validateDeleteOptions(options);
  const target = deleting(journal, `Cannot delete thread "${threadId}"`);
  try {
    // The hold keeps this process's own runs off the thread while it goes; the journal keeps others off.
    const hold = holdInProcess(heldThreads(journal), threadId);
    try {
      return await target.deleteThread(threadId, options);
    } finally {
      await hold.release();
    }
  } catch (error) {
    if (!ThreadBusyError.isInstance(error)) throw error;
    // The journal's words end "then resume": for a delete, say what to do instead.
    throw new ThreadBusyError(
      threadId,
      `Thread "${threadId}" was not deleted: it is being run right now${error.owner ? ` by ${error.owner}` : ""}. Cancel that run (cancelRun, loom cancel) or wait for it to stop, then delete the thread again.`,
      { owner: error.owner, cause: error },
    );
  }
}

/** Finished runs: what `pruneThreads` deletes unless told otherwise. */
export const FINISHED_STATUSES: readonly FrameStatus[] = ["completed", "failed", "cancelled"];

export interface PruneOptions {
  /** Only threads whose last event is at least this old (ms). */
  readonly olderThanMs: number;
  /**
   * Only threads whose root run is in one of these states. Default: finished (completed, failed,
   * cancelled). A thread waiting for a human is `interrupted`; one whose process died mid-run stays
   * `running`: name them to delete them too (a thread a run holds is never deleted).
   */
  readonly statuses?: readonly FrameStatus[];
  /** Only threads whose id starts with this. */
  readonly prefix?: string;
  /** List what would be deleted, delete nothing. */
  readonly dryRun?: boolean;
  /** The clock `olderThanMs` counts back from. Default `Date.now`. */
  readonly now?: () => number;
  /** Stops between threads; the result says what was done until then. */
  readonly signal?: AbortSignal;
  /** Called after each thread looked at. */
  readonly onProgress?: (progress: PruneProgress) => void;
}

export interface PruneProgress {
  /**
   * Threads looked at so far: the candidates `listThreads` gave (those of a matching or unknown
   * status, last written by the cutoff), whether the journal or `listThreads` filtered them.
   */
  readonly scanned: number;
  /** Threads deleted so far (or, in a dry run, that would be). */
  readonly deleted: number;
  /** The thread just looked at, and what became of it. */
  readonly threadId: string;
  readonly outcome: PruneOutcome;
}

/** `kept`: it did not match. `busy`: a run held it. `changed`: events were appended after it was listed. */
export type PruneOutcome = "deleted" | "kept" | "busy" | "changed";

export interface PruneResult {
  /** Threads looked at (as `PruneProgress.scanned`). */
  readonly scanned: number;
  /** The threads deleted (in a dry run: those that would be), in id order. */
  readonly deleted: readonly ThreadInfo[];
  /** Matching threads left because a run held them, or events came in after they were listed. */
  readonly skipped: readonly { readonly threadId: string; readonly reason: "busy" | "changed" }[];
  readonly dryRun: boolean;
  /** True when `signal` stopped it before the end of the listing. */
  readonly stopped: boolean;
}

const PAGE = 500;

/**
 * Deletes the threads that match (by default: finished, last written more than `olderThanMs` ago),
 * a page of the listing at a time. A thread is deleted only if it is still as it was listed: one a
 * run holds, or one that took new events after it was listed, is skipped and reported, never
 * deleted. A journal that does not report statuses has each candidate's state read to decide.
 */
export async function pruneThreads(journal: Journal, options: PruneOptions): Promise<PruneResult> {
  const { olderThanMs } = options;
  if (!Number.isFinite(olderThanMs) || olderThanMs < 0) {
    throw new JournalError(
      "invalid_range",
      `pruneThreads olderThanMs must be a non-negative number of milliseconds, got ${olderThanMs}.`,
    );
  }
  const dryRun = options.dryRun === true;
  if (!dryRun) deleting(journal, "Cannot prune threads");
  const statuses = new Set(options.statuses ?? FINISHED_STATUSES);
  const cutoff = (options.now ?? Date.now)() - olderThanMs;
  const deleted: ThreadInfo[] = [];
  const skipped: { threadId: string; reason: "busy" | "changed" }[] = [];
  let scanned = 0;
  let after: string | undefined;
  for (;;) {
    const page: ThreadInfo[] = [];
    for await (const info of listThreads(journal, {
      limit: PAGE,
      statuses: [...statuses],
      // A superset of `updatedAt <= cutoff` (ms may be fractional), checked exactly in pruneOne.
      updatedBefore: cutoff + 1,
      ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
      ...(after !== undefined ? { after } : {}),
    })) {
      page.push(info);
    }
    for (const info of page) {
      if (options.signal?.aborted) return { scanned, deleted, skipped, dryRun, stopped: true };
      scanned++;
      const outcome = await pruneOne(journal, info, { cutoff, statuses, dryRun });
      if (outcome === "deleted") deleted.push(info);
      if (outcome === "busy" || outcome === "changed")
        skipped.push({ threadId: info.threadId, reason: outcome });
      options.onProgress?.({ scanned, deleted: deleted.length, threadId: info.threadId, outcome });
    }
    if (page.length < PAGE) return { scanned, deleted, skipped, dryRun, stopped: false };
    after = page[page.length - 1]!.threadId;
  }
}

async function pruneOne(
  journal: Journal,
  info: ThreadInfo,
  rule: { cutoff: number; statuses: ReadonlySet<FrameStatus>; dryRun: boolean },
): Promise<PruneOutcome> {
  if (info.updatedAt > rule.cutoff) return "kept";
  const status = info.status ?? (await loadThread(journal, info.threadId)).status;
  if (!rule.statuses.has(status)) return "kept";
  if (rule.dryRun) return "deleted";
  try {
    await deleteThread(journal, info.threadId, { expectedSeq: info.lastSeq });
    return "deleted";
  } catch (error) {
    if (ThreadBusyError.isInstance(error)) return "busy";
    if (JournalConflictError.isInstance(error)) return "changed";
    throw error;
  }
}
