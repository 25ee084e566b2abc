import { JournalConflictError, JournalError, ThreadBusyError } from "./errors.js";
import { type NewEvent, parseEvent, type StoredEvent, sealEvents } from "./events.js";
import type { FrameStatus } from "./frame.js";
import {
  checkDeleteHead,
  type DeleteThreadOptions,
  holdInProcess,
  type Journal,
  type ReadRange,
  type ThreadInfo,
  type ThreadLease,
  type ThreadQuery,
  threadMatches,
  threadStatusAfter,
  validateDeleteOptions,
  validateReadRange,
  validateThreadQuery,
} from "./journal.js";
import { validateThreadId } from "./thread-id.js";
import { followThread, type SubscribeOptions } from "./watch.js";

interface MemoryThread {
  readonly events: StoredEvent[];
  readonly createdAt: number;
  updatedAt: number;
  status: FrameStatus | undefined;
}

/**
 * A journal in process memory: for tests, examples and short-lived agents. Events are validated
 * on append (a batch with one bad event stores none of it) and the validated copy is stored, so a
 * caller changing its objects afterwards does not change what was journaled. Events read back are
 * the stored objects: treat them as read-only. Nothing survives the process.
 */
export class MemoryJournal implements Journal {
  readonly specificationVersion = "v1" as const;
  readonly filtersThreads = true;
  private readonly store = new Map<string, MemoryThread>();
  private readonly leased = new Set<string>();
  /** Each held lease's cancel request, for `requestCancel`. */
  private readonly cancels = new Map<string, AbortController>();
  private readonly listeners = new Map<string, Set<() => void>>();
  private closed = false;
  private readonly now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
  }

  /** One owner per thread; every owner lives in this process, so nothing outlives it. */
  async acquire(threadId: string): Promise<ThreadLease> {
    this.checkOpen();
    validateThreadId(threadId);
    const cancel = new AbortController();
    const hold = holdInProcess(this.leased, threadId, async () => {
      if (this.cancels.get(threadId) === cancel) this.cancels.delete(threadId);
    });
    this.cancels.set(threadId, cancel);
    return { ...hold, cancelRequested: cancel.signal };
  }

  /** Asks the run holding the thread in this journal to cancel; false when none holds it. */
  async requestCancel(threadId: string, reason: string): Promise<boolean> {
    this.checkOpen();
    validateThreadId(threadId);
    const cancel = this.cancels.get(threadId);
    if (!cancel) return false;
    cancel.abort(reason);
    return true;
  }

  async append(
    threadId: string,
    events: readonly NewEvent[],
    expectedSeq: number,
  ): Promise<{ lastSeq: number }> {
    this.checkOpen();
    validateThreadId(threadId);
    const thread = this.store.get(threadId);
    const head = thread ? thread.events.length - 1 : -1;
    if (expectedSeq !== head) throw new JournalConflictError(threadId, expectedSeq, head);
    if (events.length === 0) return { lastSeq: head };
    // Validate the whole batch before storing any of it: all or none.
    const sealed = sealEvents(threadId, expectedSeq, events).map((event) => parseEvent(event));
    const now = this.now();
    const target = thread ?? { events: [], createdAt: now, updatedAt: now, status: undefined };
    for (const event of sealed) {
      target.events.push(event);
      target.status = threadStatusAfter(target.status, event);
    }
    target.updatedAt = now;
    if (!thread) this.store.set(threadId, target);
    for (const listener of this.listeners.get(threadId) ?? []) listener();
    return { lastSeq: target.events.length - 1 };
  }

  async *read(threadId: string, range: ReadRange = {}): AsyncIterable<StoredEvent> {
    this.checkOpen();
    validateThreadId(threadId);
    validateReadRange(range);
    const events = this.store.get(threadId)?.events ?? [];
    const to = Math.min(range.to ?? Number.POSITIVE_INFINITY, events.length - 1);
    for (let seq = range.from ?? 0; seq <= to; seq++) yield events[seq]!;
  }

  /** Live events of a thread, woken by this journal's appends. */
  subscribe(threadId: string, options: SubscribeOptions = {}): AsyncIterable<StoredEvent> {
    this.checkOpen();
    return followThread(
      {
        read: (id, from) => this.read(id, { from }),
        onAppend: (id, listener) => {
          const set = this.listeners.get(id) ?? new Set();
          this.listeners.set(id, set);
          set.add(listener);
          return () => {
            set.delete(listener);
            if (set.size === 0) this.listeners.delete(id);
          };
        },
        isClosed: () => this.closed,
      },
      threadId,
      options,
    );
  }

  async latestSnapshot(threadId: string, atOrBefore?: number): Promise<StoredEvent | undefined> {
    this.checkOpen();
    validateThreadId(threadId);
    if (atOrBefore !== undefined) validateReadRange({ to: atOrBefore });
    const events = this.store.get(threadId)?.events ?? [];
    for (let seq = Math.min(atOrBefore ?? Number.POSITIVE_INFINITY, events.length - 1); seq >= 0; seq--) {
      if (events[seq]!.type === "snapshot") return events[seq];
    }
    return undefined;
  }

  async head(threadId: string): Promise<number> {
    this.checkOpen();
    validateThreadId(threadId);
    return (this.store.get(threadId)?.events.length ?? 0) - 1;
  }

  async *threads(query: ThreadQuery = {}): AsyncIterable<ThreadInfo> {
    this.checkOpen();
    validateThreadQuery(query);
    const ids = [...this.store.keys()]
      .filter(
        (id) =>
          (query.prefix === undefined || id.startsWith(query.prefix)) &&
          (query.after === undefined || id > query.after),
      )
      .sort();
    let left = query.limit ?? Number.POSITIVE_INFINITY;
    for (const threadId of ids) {
      if (left === 0) return;
      const t = this.store.get(threadId)!;
      const info: ThreadInfo = {
        threadId,
        createdAt: t.createdAt,
        updatedAt: t.updatedAt,
        eventCount: t.events.length,
        lastSeq: t.events.length - 1,
        status: t.status,
      };
      if (!threadMatches(info, query)) continue;
      left--;
      yield info;
    }
  }

  async fork(from: string, atSeq: number, to: string): Promise<void> {
    this.checkOpen();
    validateThreadId(from);
    validateThreadId(to);
    const source = this.store.get(from);
    if (!source)
      throw new JournalError("thread_not_found", `Cannot fork thread "${from}": it has no events.`);
    if (!Number.isInteger(atSeq) || atSeq < 0 || atSeq >= source.events.length) {
      throw new JournalError(
        "invalid_range",
        `Cannot fork thread "${from}" at seq ${atSeq}: its seqs run from 0 to ${source.events.length - 1}.`,
      );
    }
    if (this.store.has(to))
      throw new JournalError("thread_exists", `Cannot fork into "${to}": that thread already exists.`);
    const now = this.now();
    const events = source.events.slice(0, atSeq + 1).map((e) => ({ ...e, threadId: to }));
    let status: FrameStatus | undefined;
    for (const event of events) status = threadStatusAfter(status, event);
    this.store.set(to, { events, createdAt: now, updatedAt: now, status });
  }

  /** Refuses while a lease holds the thread; a subscriber of it waits on, as for a thread not yet written. */
  async deleteThread(threadId: string, options?: DeleteThreadOptions): Promise<boolean> {
    this.checkOpen();
    validateThreadId(threadId);
    validateDeleteOptions(options);
    if (this.leased.has(threadId)) throw ThreadBusyError.owned(threadId, "a run of this MemoryJournal");
    checkDeleteHead(threadId, options, (this.store.get(threadId)?.events.length ?? 0) - 1);
    return this.store.delete(threadId);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const set of this.listeners.values()) for (const listener of set) listener();
  }

  private checkOpen(): void {
    if (this.closed)
      throw new JournalError("journal_closed", "This MemoryJournal was closed; create a new one.");
  }
}
