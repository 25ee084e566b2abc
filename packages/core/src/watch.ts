import { JournalError } from "./errors.js";
import type { StoredEvent } from "./events.js";
import type { Journal } from "./journal.js";
import { validateThreadId } from "./thread-id.js";

export interface SubscribeOptions {
  /** The first seq to deliver. Default 0: the whole thread, then what follows. */
  readonly from?: number;
  /** Ends the subscription: the iteration returns. */
  readonly signal?: AbortSignal;
}

export interface WatchOptions {
  /** The first seq to deliver: a reconnecting client passes its last seen seq + 1. Default 0. */
  readonly fromSeq?: number;
  /** Ends the watch: the iteration returns. */
  readonly signal?: AbortSignal;
  /** For a journal without `subscribe`: how often `read` is polled for new events. Default 250 ms. */
  readonly pollIntervalMs?: number;
}

/**
 * A wake-up flag between a producer (appends, notifications, file changes) and a reader: a wake
 * that comes while the reader is reading is kept, so the reader reads again instead of sleeping.
 */
export class Wakeup {
  private pending = false;
  private resolve: (() => void) | undefined;

  readonly notify = (): void => {
    this.pending = true;
    const resolve = this.resolve;
    this.resolve = undefined;
    resolve?.();
  };

  reset(): void {
    this.pending = false;
  }

  wait(timeoutMs?: number): Promise<void> {
    if (this.pending) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(this.notify, timeoutMs);
      this.resolve = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** What `followThread` needs from a journal: reads, and a way to hear that a thread changed. */
export interface FollowSource {
  read(threadId: string, from: number): AsyncIterable<StoredEvent>;
  /** Calls `listener` after events of `threadId` are appended; returns how to stop. */
  onAppend(threadId: string, listener: () => void): () => void;
  isClosed(): boolean;
  /** Also reads again after this long without a wake-up (for changes no listener hears). */
  readonly pollIntervalMs?: number;
}

/**
 * A journal's `subscribe` built from its reads and a change signal: listen first, then read what is
 * there, then read again after every wake-up, so an event appended between a read and the wait is
 * read at the next wake, never lost, and every event is delivered once, in seq order.
 */
export async function* followThread(
  source: FollowSource,
  threadId: string,
  options: SubscribeOptions = {},
): AsyncIterable<StoredEvent> {
  validateThreadId(threadId);
  const from = options.from ?? 0;
  if (!Number.isInteger(from) || from < 0) {
    throw new JournalError(
      "invalid_range",
      `subscribe(): "from" must be a non-negative integer, got ${String(options.from)}.`,
    );
  }
  const { signal } = options;
  const wakeup = new Wakeup();
  const stop = source.onAppend(threadId, wakeup.notify);
  signal?.addEventListener("abort", wakeup.notify, { once: true });
  let next = from;
  try {
    for (;;) {
      if (signal?.aborted || source.isClosed()) return;
      wakeup.reset();
      try {
        for await (const event of source.read(threadId, next)) {
          if (event.seq < next) continue;
          yield event;
          next = event.seq + 1;
          if (signal?.aborted) return;
        }
      } catch (error) {
        // Closed while reading: the subscription ends, as it does when closed between reads.
        if (source.isClosed()) return;
        throw error;
      }
      await wakeup.wait(source.pollIntervalMs);
    }
  } finally {
    stop();
    signal?.removeEventListener("abort", wakeup.notify);
  }
}

/**
 * The events of a thread from `fromSeq` on, live, from any process: through the journal's
 * `subscribe` when it has one, else by polling `read`. Each event once, in seq order; a client that
 * reconnects with its last seq + 1 misses nothing and sees nothing twice. Ends when `signal`
 * aborts or the journal closes.
 */
export function watchThread(
  journal: Journal,
  threadId: string,
  options: WatchOptions = {},
): AsyncIterable<StoredEvent> {
  const subscribeOptions: SubscribeOptions = {
    from: options.fromSeq ?? 0,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  if (journal.subscribe) return journal.subscribe(threadId, subscribeOptions);
  return pollThread(journal, threadId, subscribeOptions, options.pollIntervalMs ?? 250);
}

/** A subscription for a journal without one: reads every `pollIntervalMs`; ends when it closes. */
async function* pollThread(
  journal: Journal,
  threadId: string,
  options: SubscribeOptions,
  pollIntervalMs: number,
): AsyncIterable<StoredEvent> {
  const source: FollowSource = {
    read: (id, from) => journal.read(id, { from }),
    onAppend: () => () => undefined,
    isClosed: () => false,
    pollIntervalMs,
  };
  try {
    yield* followThread(source, threadId, options);
  } catch (error) {
    if (JournalError.isInstance(error) && error.code === "journal_closed") return;
    throw error;
  }
}
