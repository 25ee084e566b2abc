import { createHash } from "node:crypto";
import { followThread, type StoredEvent, type SubscribeOptions } from "@loom/core";
import type pg from "pg";
import { quoteIdent } from "./sql.js";

export type { SubscribeOptions } from "@loom/core";

/** The NOTIFY channel of a journal schema: at most 63 bytes, as Postgres requires. */
export function notifyChannel(schema: string): string {
  const channel = `loom_events_${schema}`;
  if (channel.length <= 63) return channel;
  return `loom_events_${schema.slice(0, 30)}_${createHash("sha256").update(schema).digest("hex").slice(0, 12)}`;
}

type Listener = () => void;

/** How long a live subscriber waits without a notification before it reads anyway. */
export const BACKSTOP_READ_MS = 1_000;

/**
 * The advisory lock that says "someone listens on this schema's channel" (ADR 0011, addendum): each
 * LISTEN connection holds it shared for as long as it lives; an append tries it exclusively inside
 * its transaction and sends a NOTIFY after its commit only when that fails. A SQL expression.
 */
export function listenerLockKey(schema: string): string {
  return `hashtextextended('loom-listen:${schema.replaceAll("'", "''")}', 0)`;
}

/**
 * One LISTEN connection per journal, shared by its subscribers. A notification wakes the subscribers
 * of its thread, who then read what is new from the journal. After a lost connection it reconnects
 * and wakes everyone, so a notification missed while disconnected costs a read, never an event.
 */
export class NotificationHub {
  private readonly listeners = new Map<string, Set<Listener>>();
  private client: pg.PoolClient | undefined;
  private starting: Promise<void> | undefined;
  private stopped = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly channel: string,
    /** `listenerLockKey` of the journal's schema. */
    private readonly lockKey: string,
  ) {}

  start(): Promise<void> {
    this.starting ??= this.connect().catch((error: unknown) => {
      this.starting = undefined;
      throw error;
    });
    return this.starting;
  }

  add(threadId: string, listener: Listener): () => void {
    let set = this.listeners.get(threadId);
    if (!set) {
      set = new Set();
      this.listeners.set(threadId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(threadId);
    };
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    // Destroyed rather than returned to the pool: it carries this hub's listeners.
    client?.release(true);
    this.wakeAll();
  }

  private async connect(): Promise<void> {
    const client = await this.pool.connect();
    client.on("notification", (message) => {
      if (message.channel !== this.channel || !message.payload) return;
      const threadId = message.payload.slice(0, message.payload.lastIndexOf(" "));
      for (const listener of this.listeners.get(threadId) ?? []) listener();
    });
    client.on("error", () => this.lost(client));
    try {
      // Listening first, then the shared lock: it waits for appends that found no listener (they
      // hold it exclusively until they commit), so whatever they committed is there for the read
      // that follows; every later append sees the lock held and notifies. The lock goes with the
      // session, so a dead listener stops costing appenders their NOTIFY.
      await client.query(
        `LISTEN ${quoteIdent(this.channel)}; SELECT pg_advisory_lock_shared(${this.lockKey})`,
      );
    } catch (error) {
      client.release(true);
      throw error;
    }
    if (this.stopped) {
      client.release(true);
      return;
    }
    this.client = client;
  }

  private lost(client: pg.PoolClient): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.release(true);
    this.reconnect(100);
  }

  private reconnect(delayMs: number): void {
    if (this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.connect().then(
        () => this.wakeAll(),
        () => this.reconnect(Math.min(delayMs * 2, 5_000)),
      );
    }, delayMs);
    this.retryTimer.unref?.();
  }

  private wakeAll(): void {
    for (const set of this.listeners.values()) for (const listener of set) listener();
  }
}

/**
 * Core's `followThread` over LISTEN/NOTIFY: the subscriber LISTENs before its first read, so
 * whatever is committed after that read wakes it; it also reads every `BACKSTOP_READ_MS` without a
 * notification, since an appender that died between its commit and its NOTIFY wakes nobody.
 */
export async function* subscribeToThread(
  source: {
    hub: () => Promise<NotificationHub>;
    read: (from: number) => AsyncIterable<StoredEvent>;
    isClosed: () => boolean;
  },
  threadId: string,
  options: SubscribeOptions,
): AsyncIterable<StoredEvent> {
  const hub = await source.hub();
  yield* followThread(
    {
      read: (_threadId, from) => source.read(from),
      onAppend: (id, listener) => hub.add(id, listener),
      isClosed: source.isClosed,
      pollIntervalMs: BACKSTOP_READ_MS,
    },
    threadId,
    options,
  );
}
