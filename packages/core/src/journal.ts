import { JournalConflictError, JournalError, ThreadBusyError } from "./errors.js";
import type { NewEvent, StoredEvent } from "./events.js";
import { FRAME_STATUSES, type FrameStatus } from "./frame.js";
import type { SubscribeOptions } from "./watch.js";

export interface ThreadInfo {
  readonly threadId: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly eventCount: number;
  readonly lastSeq: number;
  /** The root frame's status after the last event, when the journal tracks it. */
  readonly status?: FrameStatus | undefined;
}

export interface ThreadQuery {
  /** Only threads whose id starts with this. */
  readonly prefix?: string;
  /** At most this many threads (a page). */
  readonly limit?: number;
  /** Only threads whose id sorts after this one (the last id of the previous page). */
  readonly after?: string;
  /**
   * Only threads whose root status is one of these. A thread whose status the journal does not know
   * (`status` undefined) is listed too: the caller reads its state. Applied by the journal when it
   * declares `filtersThreads`; `listThreads` applies it over any journal.
   */
  readonly statuses?: readonly FrameStatus[];
  /** Only threads last written before this time (`updatedAt < updatedBefore`, ms since the epoch). As `statuses`. */
  readonly updatedBefore?: number;
}

/** Where a page of `recentThreads` ends: the last thread it listed. */
export interface RecentThreadsCursor {
  readonly updatedAt: number;
  readonly threadId: string;
}

/** A listing of threads by their last activity, most recent first. */
export interface RecentThreadsQuery {
  /** Only threads whose id starts with this. */
  readonly prefix?: string;
  /** Only threads whose root status is one of these (an unknown status is listed too, as in `ThreadQuery`). */
  readonly statuses?: readonly FrameStatus[];
  /** At most this many threads (a page). */
  readonly limit?: number;
  /** Only threads listed after this one: last written earlier, or at the same time with a smaller id. */
  readonly before?: RecentThreadsCursor;
}

export interface DeleteThreadOptions {
  /**
   * Delete only if the thread's last seq is still this one (what a listing or a read showed):
   * `JournalConflictError`, deleting nothing, when events were appended since.
   */
  readonly expectedSeq?: number;
}

/** Inclusive seq range. */
export interface ReadRange {
  readonly from?: number;
  readonly to?: number;
}

/**
 * One owner's hold on a thread: taken before a run or resume causes any effect (a model call, a
 * tool), kept until it stops. While one lease is held, every other `acquire` of the thread, in any
 * process, fails at once with `ThreadBusyError`. A lease whose owner died (SIGKILL, crash, lost
 * connection) is taken over promptly by the next `acquire`.
 */
export interface ThreadLease {
  readonly threadId: string;
  /**
   * Aborts when the journal learns the lease is gone while its owner still runs (a Postgres lease's
   * connection broke): another owner may take the thread from then on. A run stops at once, starts
   * nothing more and raises `ThreadLeaseLostError`. Optional: a journal whose leases are lost only
   * with their process leaves it out.
   */
  readonly lost?: AbortSignal;
  /**
   * Aborts when someone asks the owner to cancel its run (`Journal.requestCancel`, from any process),
   * its reason the requester's text: the run stops as when its caller's signal aborts, and journals
   * `run.cancelled` with that reason. Optional, with `requestCancel`.
   */
  readonly cancelRequested?: AbortSignal;
  /** Gives the thread up. Safe to call twice. */
  release(): Promise<void>;
}

/**
 * Where events live. Threads are listed in thread-id order. Every journal, ours and third
 * parties', proves itself with `journalConformance` from `@loom/testing`.
 */
export interface Journal {
  readonly specificationVersion: "v1";
  /**
   * Appends a batch atomically (all or none) after `expectedSeq` (-1 for a new thread). The events
   * get seqs expectedSeq+1, expectedSeq+2, ...; a thread whose head is not `expectedSeq` raises
   * `JournalConflictError`.
   */
  append(threadId: string, events: readonly NewEvent[], expectedSeq: number): Promise<{ lastSeq: number }>;
  read(threadId: string, range?: ReadRange): AsyncIterable<StoredEvent>;
  /** The last seq of the thread, -1 if it has none. */
  head(threadId: string): Promise<number>;
  threads(query?: ThreadQuery): AsyncIterable<ThreadInfo>;
  /**
   * The threads by last activity: `updatedAt` descending, then thread id descending. Optional in
   * v1: `listRecentThreads` reads `threads()` and sorts for a journal without it; a journal that
   * can order where it keeps the threads implements it (journal-postgres does).
   */
  recentThreads?(query?: RecentThreadsQuery): AsyncIterable<ThreadInfo>;
  /** Copies events 0..atSeq of `from` into the new thread `to`. */
  fork(from: string, atSeq: number, to: string): Promise<void>;
  /**
   * Takes ownership of a thread (see `ThreadLease`); raises `ThreadBusyError` when another owner
   * holds it. Optional in v1: for a journal without it, `@loom/core` keeps one owner per thread
   * within a process only, and `expectedSeq` is all that fences two processes (which then may both
   * run a tool before one of them loses its append). A journal shared by processes implements it.
   */
  acquire?(threadId: string): Promise<ThreadLease>;
  /**
   * Asks the owner of the thread, in whichever process, to cancel its run (its lease's
   * `cancelRequested` aborts with `reason`). Resolves true when an owner held the thread and was
   * asked, false when nobody holds it (`cancelThread` then journals the cancel itself). Optional in
   * v1: without it, a run is cancelled only by the process that runs it.
   */
  requestCancel?(threadId: string, reason: string): Promise<boolean>;
  /**
   * The thread's events from `from` on, then each new one as it is appended by any writer, in seq
   * order, each once, until `signal` aborts or the journal closes. Optional in v1: `watchThread`
   * polls `read` for a journal without it. `followThread` builds one from a change signal.
   */
  subscribe?(threadId: string, options?: SubscribeOptions): AsyncIterable<StoredEvent>;
  /**
   * The thread's last `snapshot` event at or before seq `atOrBefore` (the head when absent), or
   * `undefined` when there is none. Optional in v1: without it, a thread's state is folded from its
   * first event. A journal answers it without reading the whole thread (it is what keeps a long
   * thread's resume cheap).
   */
  latestSnapshot?(threadId: string, atOrBefore?: number): Promise<StoredEvent | undefined>;
  /**
   * True when the journal takes an append to a thread while the previous append to that thread,
   * made through this object, is still in flight, with `expectedSeq` that append's last seq. It
   * writes such appends in the order they were called, and one whose previous append was not
   * written (refused, failed, or overtaken by another writer's batch ending at the same seq) is
   * refused, never written after someone else's events. Optional in v1: without it, a session waits
   * for each append to settle before it makes the next (ADR 0016).
   */
  readonly pipelinesAppends?: boolean;
  /**
   * True when `threads()` applies a query's `statuses` and `updatedBefore` where the threads are
   * kept (a page's `limit` then counts only the threads that pass). Optional in v1: a journal
   * without it may list every thread; `listThreads` filters such a journal's listing itself.
   */
  readonly filtersThreads?: boolean;
  /**
   * Deletes every event of the thread and what the journal keeps beside them (its status, its
   * snapshots); resolves true when the thread had events, false when it had none. Refuses with
   * `ThreadBusyError`, deleting nothing, while an owner in any process (this journal included) holds
   * the thread's lease. Once it resolves, the thread reads as one that never existed: `head` is -1,
   * `threads()` leaves it out, and an append at -1 starts it anew. With `expectedSeq`, deletes only
   * a thread whose last seq is still that one (-1: none), checked under the same exclusion
   * (`checkDeleteHead`). Optional in v1: `deleteThread` and `pruneThreads` from `@loom/core` raise
   * `not_supported` for a journal without it.
   */
  deleteThread?(threadId: string, options?: DeleteThreadOptions): Promise<boolean>;
  close(): Promise<void>;
}

const heldInProcess = new WeakMap<Journal, Set<string>>();

/** The threads this process's runs hold on `journal` (one set per journal). */
export function heldThreads(journal: Journal): Set<string> {
  const held = heldInProcess.get(journal) ?? new Set<string>();
  heldInProcess.set(journal, held);
  return held;
}

/**
 * Takes a thread for one run: the journal's own lease when it has one, and in every case a hold in
 * this process, so two runs of one process never share a thread even on a journal without leases.
 */
export async function acquireThread(journal: Journal, threadId: string): Promise<ThreadLease> {
  const held = heldThreads(journal);
  let lease: ThreadLease | undefined;
  const hold = holdInProcess(held, threadId, () => lease?.release());
  try {
    lease = journal.acquire ? await journal.acquire(threadId) : undefined;
  } catch (error) {
    await hold.release();
    throw error;
  }
  return {
    ...hold,
    ...(lease?.lost ? { lost: lease.lost } : {}),
    ...(lease?.cancelRequested ? { cancelRequested: lease.cancelRequested } : {}),
  };
}

/**
 * A lease kept in `held`, the set of threads this process's owners hold: `ThreadBusyError` when the
 * thread is in it already. `release` runs `onRelease` (once), then frees the thread.
 */
export function holdInProcess(
  held: Set<string>,
  threadId: string,
  onRelease?: () => Promise<void> | undefined,
): ThreadLease {
  if (held.has(threadId)) throw ThreadBusyError.owned(threadId, "another run in this process");
  held.add(threadId);
  let released = false;
  return {
    threadId,
    release: async () => {
      if (released) return;
      released = true;
      try {
        await onRelease?.();
      } finally {
        held.delete(threadId);
      }
    },
  };
}

/** Reads a whole thread into an array. */
export async function readAll(journal: Journal, threadId: string, range?: ReadRange): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  for await (const event of journal.read(threadId, range)) events.push(event);
  return events;
}

/** The root frame's status after `event`, for journals that keep a thread's status beside its events. */
export function threadStatusAfter(
  previous: FrameStatus | undefined,
  event: StoredEvent,
): FrameStatus | undefined {
  if (event.depth !== 0) return previous;
  switch (event.type) {
    case "run.completed":
      return "completed";
    case "run.failed":
      return "failed";
    case "run.cancelled":
      return "cancelled";
    case "run.interrupted":
      return "interrupted";
    default:
      return "running";
  }
}

/**
 * Checks a thread query before it reaches a listing: `limit` a non-negative integer, `statuses` an
 * array of frame statuses, `updatedBefore` a finite number of ms. Raises `invalid_range`.
 */
export function validateThreadQuery(query: ThreadQuery): void {
  const { limit, statuses, updatedBefore } = query;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
    throw new JournalError("invalid_range", `threads() limit must be a non-negative integer, got ${limit}.`);
  }
  if (
    statuses !== undefined &&
    (!Array.isArray(statuses) || !statuses.every((s) => (FRAME_STATUSES as readonly unknown[]).includes(s)))
  ) {
    throw new JournalError(
      "invalid_range",
      `threads() statuses must be an array of ${FRAME_STATUSES.join(", ")}; got ${JSON.stringify(statuses)}.`,
    );
  }
  if (updatedBefore !== undefined && !Number.isFinite(updatedBefore)) {
    throw new JournalError(
      "invalid_range",
      `threads() updatedBefore must be a time in ms since the epoch, got ${updatedBefore}.`,
    );
  }
}

/** Whether a listed thread passes a query's `statuses` and `updatedBefore` (not its prefix or page). */
export function threadMatches(info: ThreadInfo, query: ThreadQuery): boolean {
  if (query.updatedBefore !== undefined && !(info.updatedAt < query.updatedBefore)) return false;
  return query.statuses === undefined || info.status === undefined || query.statuses.includes(info.status);
}

/**
 * The journal's threads that match `query`, in id order: `statuses` and `updatedBefore` applied
 * where the threads are kept by a journal that `filtersThreads`, and here over the listing of one
 * that does not (which then reads every thread's summary to fill a page).
 */
export async function* listThreads(journal: Journal, query: ThreadQuery = {}): AsyncIterable<ThreadInfo> {
  validateThreadQuery(query);
  const filtered = query.statuses !== undefined || query.updatedBefore !== undefined;
  if (!filtered) {
    yield* journal.threads(query);
    return;
  }
  const { statuses: _statuses, updatedBefore: _before, limit, ...listing } = query;
  let left = limit ?? Number.POSITIVE_INFINITY;
  if (left === 0) return;
  for await (const info of journal.threads(journal.filtersThreads === true ? query : listing)) {
    if (!threadMatches(info, query)) continue;
    yield info;
    if (--left === 0) return;
  }
}

/**
 * Checks a recent-threads query: `limit` and `statuses` as `validateThreadQuery`, `before` a finite
 * time and a string id. Raises `invalid_range`.
 */
export function validateRecentThreadsQuery(query: RecentThreadsQuery): void {
  validateThreadQuery({
    ...(query.limit !== undefined ? { limit: query.limit } : {}),
    ...(query.statuses !== undefined ? { statuses: query.statuses } : {}),
  });
  const before = query.before;
  if (
    before !== undefined &&
    (typeof before !== "object" ||
      before === null ||
      !Number.isFinite(before.updatedAt) ||
      typeof before.threadId !== "string")
  ) {
    throw new JournalError(
      "invalid_range",
      `recentThreads() before must be the last listed thread's { updatedAt, threadId }, got ${JSON.stringify(before)}.`,
    );
  }
}

/**
 * A recent-threads page's end as text, for a URL (`<updatedAt>~<threadId>`): what an HTTP API hands
 * out as `next` and takes back with `parseRecentCursor`.
 */
export function recentCursorText(last: RecentThreadsCursor): string {
  return `${last.updatedAt}~${last.threadId}`;
}

/** `recentCursorText` read back (the id may hold `~` itself); anything else is `invalid_range`. */
export function parseRecentCursor(text: string): RecentThreadsCursor {
  const at = text.indexOf("~");
  const updatedAt = Number(text.slice(0, at));
  if (at < 1 || !Number.isFinite(updatedAt)) {
    throw new JournalError(
      "invalid_range",
      `${JSON.stringify(text.slice(0, 80))} is not where a page by last activity ended: pass the "next" of the page before, as it came.`,
    );
  }
  return { updatedAt, threadId: text.slice(at + 1) };
}

/** Whether `a` is listed before `b` by last activity (more recent first, then the greater id). */
export function listedBefore(a: RecentThreadsCursor, b: RecentThreadsCursor): boolean {
  return a.updatedAt !== b.updatedAt ? a.updatedAt > b.updatedAt : a.threadId > b.threadId;
}

/**
 * The journal's threads by last activity, most recent first (`recentThreads`): the journal's own
 * order when it has one, else every thread of `threads()` that matches (with `statuses` applied
 * where the journal can), kept to the page's `limit` most recent here. That reads every thread's
 * summary a page: fine for thousands of threads, slow for millions.
 */
export async function* listRecentThreads(
  journal: Journal,
  query: RecentThreadsQuery = {},
): AsyncIterable<ThreadInfo> {
  validateRecentThreadsQuery(query);
  if (journal.recentThreads) {
    yield* journal.recentThreads(query);
    return;
  }
  const limit = query.limit ?? Number.POSITIVE_INFINITY;
  if (limit === 0) return;
  const { before } = query;
  const listing = listThreads(journal, {
    ...(query.prefix !== undefined ? { prefix: query.prefix } : {}),
    ...(query.statuses !== undefined ? { statuses: query.statuses } : {}),
  });
  const page: ThreadInfo[] = [];
  if (limit === Number.POSITIVE_INFINITY) {
    // Every thread: one sort (an insertion per thread would move the whole list each time).
    for await (const info of listing) if (before === undefined || listedBefore(before, info)) page.push(info);
    yield* page.sort((a, b) => (listedBefore(a, b) ? -1 : listedBefore(b, a) ? 1 : 0));
    return;
  }
  for await (const info of listing) {
    if (before !== undefined && !listedBefore(before, info)) continue;
    if (page.length === limit && !listedBefore(info, page.at(-1)!)) continue;
    // Kept sorted: a binary search for its place, the least recent dropped past the limit.
    let lo = 0;
    let hi = page.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (listedBefore(page[mid]!, info)) lo = mid + 1;
      else hi = mid;
    }
    page.splice(lo, 0, info);
    if (page.length > limit) page.pop();
  }
  yield* page;
}

/** Checks a read range before it reaches a file or a query: `from` and `to` are non-negative integers. */
export function validateReadRange(range: ReadRange): void {
  for (const key of ["from", "to"] as const) {
    const value = range[key];
    if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
      throw new JournalError(
        "invalid_range",
        `Read range "${key}" must be a non-negative integer, got ${value}.`,
      );
    }
  }
}

/**
 * For a journal's `deleteThread`, under its exclusion: raises `JournalConflictError` (delete
 * nothing) when `expectedSeq` is given and the thread's head is no longer it.
 */
export function checkDeleteHead(
  threadId: string,
  options: DeleteThreadOptions | undefined,
  head: number,
): void {
  const expectedSeq = options?.expectedSeq;
  if (expectedSeq === undefined || expectedSeq === head) return;
  throw new JournalConflictError(threadId, expectedSeq, head, {
    message: `Thread "${threadId}" was not deleted: its last seq is ${head}, not ${expectedSeq} (events were appended after it was looked at). Look at it again before deleting it.`,
  });
}

/** Checks `deleteThread`'s `expectedSeq` before a journal touches anything. */
export function validateDeleteOptions(options: DeleteThreadOptions | undefined): void {
  const expectedSeq = options?.expectedSeq;
  if (expectedSeq !== undefined && (!Number.isInteger(expectedSeq) || expectedSeq < -1)) {
    throw new JournalError(
      "invalid_range",
      `deleteThread expectedSeq must be an integer >= -1 (the thread's last seq, -1 for none), got ${expectedSeq}.`,
    );
  }
}
