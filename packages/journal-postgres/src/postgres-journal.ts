import { createHash, randomFillSync } from "node:crypto";
import {
  checkDeleteHead,
  type DeleteThreadOptions,
  type FrameStatus,
  type Journal,
  JournalConflictError,
  JournalError,
  type NewEvent,
  parseEvent,
  type ReadRange,
  type RecentThreadsQuery,
  type StoredEvent,
  sealEvents,
  ThreadBusyError,
  type ThreadInfo,
  type ThreadLease,
  type ThreadQuery,
  threadStatusAfter,
  toWellFormed,
  validateDeleteOptions,
  validateReadRange,
  validateRecentThreadsQuery,
  validateThreadId,
  validateThreadQuery,
} from "@loom/core";
import pg from "pg";
import { AppendConnection, type SentStatement } from "./append-connection.js";
import { BATCH_COLUMNS, type BatchRow, batchEvents, batchText, firstSnapshotSeq } from "./batches.js";
import { migrateSchema } from "./migrations.js";
import { type PostgresJournalOptions, type ResolvedOptions, resolveOptions } from "./options.js";
import { describeServer, toJournalError } from "./pg-errors.js";
import { quoteIdent } from "./sql.js";
import {
  listenerLockKey,
  NotificationHub,
  notifyChannel,
  type SubscribeOptions,
  subscribeToThread,
} from "./subscription.js";
import {
  describeHolder,
  type HeldThreadLock,
  holdThreadLock,
  literal,
  requestThreadCancel,
  threadLockName,
} from "./thread-lock.js";

const MAX_SEQ = 2_147_483_647;
const NOTIFY_INTERVAL_MS = 5;
/** Threads whose last append by this journal is remembered (`appended`). */
const APPENDED_KEPT = 1024;
/**
 * The schema version the prepared statements are written for, part of their names: a connection
 * that prepared a statement under a name refuses another text under it, and a pool may be shared.
 */
const STATEMENTS_VERSION = 6;
/** Random bytes drawn at once for append tokens (`nextAppendToken`), 8 per append. */
const TOKEN_BYTES = 8 * 256;

/** A thread leased through `acquire`: its lock (undefined while it is being taken). */
interface Lease {
  held: HeldThreadLock | undefined;
  /** Aborted when the journal closes with the lease still held. */
  readonly closed: AbortController;
}

interface ThreadRow {
  readonly thread_id: string;
  readonly last_seq: number;
  readonly status: string | null;
  readonly created_ms: number;
  readonly updated_ms: number;
}

/** Each thread with its last batch (one index probe a thread): the rows a listing reads as `ThreadRow`. */
function listedThreads(s: string): string {
  return `SELECT t.thread_id, last.last_seq, t.status,
                 floor(extract(epoch FROM t.created_at) * 1000)::float8 AS created_ms,
                 last.updated_ms
          FROM ${s}.threads t CROSS JOIN LATERAL (
            SELECT last_seq, floor(extract(epoch FROM appended_at) * 1000)::float8 AS updated_ms
            FROM ${s}.batches b WHERE b.thread_id = t.thread_id
            ORDER BY first_seq DESC LIMIT 1) last`;
}

function threadInfoOf(row: ThreadRow): ThreadInfo {
  return {
    threadId: row.thread_id,
    createdAt: row.created_ms,
    updatedAt: row.updated_ms,
    eventCount: row.last_seq + 1,
    lastSeq: row.last_seq,
    status: (row.status ?? undefined) as FrameStatus | undefined,
  };
}

/**
 * A journal in PostgreSQL. Each append is one prepared statement (so one transaction, one round
 * trip) inserting one row: the batch, keyed by its thread and first seq, written only if the
 * thread's last batch ends at `expectedSeq` (ADR 0013). Live subscribers are notified right after the
 * commit, when there are any (ADR 0011).
 */
export class PostgresJournal implements Journal {
  readonly specificationVersion = "v1" as const;
  /** `statuses` and `updatedBefore` are applied in the listing's query (the status to the threads row). */
  readonly filtersThreads = true;
  /**
   * An append that expects the last seq of this journal's append still in flight to the same thread
   * is sent right behind it, on the same connection (ADR 0016).
   */
  readonly pipelinesAppends = true;
  /** The pool this journal queries through (yours, or the one it created). */
  readonly pool: pg.Pool;
  /** The schema holding the journal's tables. */
  readonly schema: string;
  private readonly options: ResolvedOptions;
  private readonly ownsPool: boolean;
  private readonly s: string;
  private readonly channel: string;
  private readonly lockKey: string;
  /** Names this journal's prepared statements: unique per schema, within Postgres's 63 bytes. */
  private readonly statementPrefix: string;
  private ready: Promise<void> | undefined;
  /** The schema is known to be migrated (or `migrate: false`): an append need not wait a turn for it. */
  private migrated: boolean;
  private hub: NotificationHub | undefined;
  /** Threads leased through `acquire`. */
  private readonly leases = new Map<string, Lease>();
  private closed = false;
  /** Appends and forks under way, which close() waits for. */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Committed heads not yet notified, by thread; and the notify under way. */
  private readonly notifyPending = new Map<string, number>();
  private notifying: Promise<void> | undefined;
  private notifiedAt = Number.NEGATIVE_INFINITY;
  /** The connection appends go through, kept between them. */
  private readonly appendConnection: AppendConnection;
  /**
   * The append's statements: creating a thread, and advancing one (with its status, or leaving it
   * alone), after a head read back or right behind this journal's own append still in flight.
   */
  private readonly sql: Readonly<Record<AppendStatement, string>>;
  /**
   * Each thread's last append in flight through this journal: the next append to the thread that
   * expects its last seq is sent right behind it (ADR 0016).
   */
  private readonly sending = new Map<string, InFlightAppend>();
  /** Random bytes for append tokens, used 8 at a time from `tokenAt`. */
  private readonly tokenBytes = Buffer.alloc(TOKEN_BYTES);
  private tokenAt = TOKEN_BYTES;
  /**
   * The head, status and token of this journal's last append to each recent thread. An append that
   * expects that head and keeps that status leaves the thread's row alone: its head check, on the
   * token, proves the head is still that batch (so no other status came in between, not even from a
   * thread deleted and written again up to the same seq through another journal).
   */
  private readonly appended = new Map<string, KnownHead>();

  constructor(options: PostgresJournalOptions = {}) {
    this.options = resolveOptions(options);
    this.schema = this.options.schema;
    this.migrated = !this.options.migrate;
    this.s = quoteIdent(this.schema);
    this.channel = notifyChannel(this.schema);
    this.lockKey = listenerLockKey(this.schema);
    this.sql = {
      batch_create: this.createSql(),
      batch_advance: this.advanceSql(true, false),
      batch_same: this.advanceSql(false, false),
      batch_after: this.advanceSql(true, true),
      batch_after_same: this.advanceSql(false, true),
    };
    this.statementPrefix = `loom${STATEMENTS_VERSION}_${createHash("sha256").update(this.schema).digest("hex").slice(0, 16)}_`;
    if (options.pool) {
      this.pool = options.pool;
      this.ownsPool = false;
    } else {
      this.pool = new pg.Pool({
        // node-postgres sends a connection's queries without waiting for the one before: an append
        // behind another goes out at once (ADR 0016). `poolConfig: { pipeline: false }` turns it off.
        pipeline: true,
        ...options.poolConfig,
        ...(this.options.connectionString ? { connectionString: this.options.connectionString } : {}),
      });
      // An idle client whose connection drops emits here; the pool replaces it on the next query.
      this.pool.on("error", () => undefined);
      this.ownsPool = true;
    }
    this.appendConnection = new AppendConnection(this.pool);
  }

  /** Creates or upgrades the journal's tables. Idempotent; safe to run from many processes at once. */
  async migrate(): Promise<{ applied: number[] }> {
    this.checkOpen();
    let client: pg.PoolClient | undefined;
    try {
      client = await this.pool.connect();
      const applied = await migrateSchema(client, this.schema);
      client.release();
      return { applied };
    } catch (error) {
      client?.release(true);
      throw toJournalError(error, `migrate schema "${this.schema}"`, this.server());
    }
  }

  /**
   * Takes the thread for one owner until `release()`: a session advisory lock on a connection of the
   * pool kept for the lease (size the pool for it). Any other `acquire` of the thread, from any
   * process or journal, raises `ThreadBusyError` naming the session that holds it. When the owner
   * dies, Postgres ends its session and the lock goes with it. If the lease's connection breaks, or
   * the journal is closed, while the owner still runs, `lost` aborts (core's run stops, raising
   * `ThreadLeaseLostError`); appends go through `expectedSeq` in any case, which fences a second writer.
   */
  async acquire(threadId: string): Promise<ThreadLease> {
    this.checkOpen();
    validateThreadId(threadId);
    if (this.leases.has(threadId)) {
      throw ThreadBusyError.owned(threadId, `another lease of this PostgresJournal (process ${process.pid})`);
    }
    const lease: Lease = { held: undefined, closed: new AbortController() };
    this.leases.set(threadId, lease);
    try {
      lease.held = await holdThreadLock(this.pool, threadLockName(this.schema, threadId), threadId);
    } catch (error) {
      this.leases.delete(threadId);
      throw toJournalError(error, `take thread "${threadId}"`, this.server());
    }
    if (this.closed) {
      await lease.held.release();
      this.checkOpen();
    }
    let released: Promise<void> | undefined;
    return {
      threadId,
      lost: AbortSignal.any([lease.held.lost, lease.closed.signal]),
      cancelRequested: lease.held.cancelRequested,
      release: () => {
        if (this.leases.get(threadId) === lease) this.leases.delete(threadId);
        released ??= lease.held!.release();
        return released;
      },
    };
  }

  /**
   * Asks the owner of the thread, in whichever process or journal, to cancel its run: a NOTIFY on
   * the channel its lease's connection listens on (the lease's `cancelRequested` aborts with
   * `reason`, cut to 2,000 characters). True when a session held the thread's lease.
   */
  async requestCancel(threadId: string, reason: string): Promise<boolean> {
    this.checkOpen();
    validateThreadId(threadId);
    try {
      return await requestThreadCancel(
        this.pool,
        threadLockName(this.schema, threadId),
        toWellFormed(String(reason).slice(0, 2_000)),
      );
    } catch (error) {
      throw toJournalError(error, `ask the owner of thread "${threadId}" to cancel`, this.server());
    }
  }

  async append(
    threadId: string,
    events: readonly NewEvent[],
    expectedSeq: number,
  ): Promise<{ lastSeq: number }> {
    this.checkOpen();
    return this.track(this.appendOpen(threadId, events, expectedSeq));
  }

  private async appendOpen(
    threadId: string,
    events: readonly NewEvent[],
    expectedSeq: number,
  ): Promise<{ lastSeq: number }> {
    validateThreadId(threadId);
    if (!Number.isInteger(expectedSeq) || expectedSeq < -1) {
      throw new JournalError(
        "invalid_range",
        `append(): expectedSeq must be -1 (a new thread) or the thread's last seq, got ${expectedSeq}.`,
      );
    }
    if (!Array.isArray(events)) {
      throw new JournalError("invalid_events", "append(): events must be an array of events.");
    }
    // Validate the whole batch before sending any of it: all or none.
    const sealed = sealEvents(threadId, expectedSeq, events).map((event) => parseEvent(event));
    // Not `await` once migrated: the statement is sent in the call's own turn, so appends reach the
    // connection in the order they were called (ADR 0016).
    if (!this.migrated) await this.whenReady();
    if (sealed.length === 0) {
      const head = await this.head(threadId);
      if (head !== expectedSeq) throw new JournalConflictError(threadId, expectedSeq, head);
      return { lastSeq: head };
    }
    const lastSeq = expectedSeq + sealed.length;
    if (lastSeq > MAX_SEQ) {
      throw new JournalError(
        "invalid_events",
        `Thread "${threadId}" cannot hold more than ${MAX_SEQ} events.`,
      );
    }
    let status: FrameStatus | undefined;
    for (const event of sealed) status = threadStatusAfter(status, event);
    const create = expectedSeq === -1;
    // This journal's own append of the head this one expects, still in flight: sent right behind it.
    const sending = this.sending.get(threadId);
    const behind = !create && sending?.lastSeq === expectedSeq ? sending : undefined;
    // What this journal knows the stored status to be, if it wrote (or is writing) the head expected.
    const known = behind ?? this.appended.get(threadId);
    // Taken as known only with the head proved to be that batch (its token checked by the statement).
    const stored = known?.lastSeq === expectedSeq ? known : undefined;
    const same = !create && (status === undefined || (stored !== undefined && stored.status === status));
    const text = batchText(sealed);
    const token = this.nextAppendToken();
    const statement: AppendStatement = create
      ? "batch_create"
      : stored
        ? same
          ? "batch_after_same"
          : "batch_after"
        : same
          ? "batch_same"
          : "batch_advance";
    const sent = this.appendConnection.send<{ listened: boolean }>(
      {
        // Named, so each connection parses and plans it once: that was a third of an append's time.
        // (Renamed when the text changes: STATEMENTS_VERSION.)
        name: `${this.statementPrefix}${statement}`,
        text: this.sql[statement],
        values: [
          threadId,
          text,
          lastSeq,
          firstSnapshotSeq(sealed),
          expectedSeq,
          token,
          ...(same ? [] : [status ?? null]),
          ...(stored ? [stored.token] : []),
        ],
      },
      behind?.sent,
    );
    const mine: InFlightAppend = { lastSeq, token, status: status ?? stored?.status, sent };
    this.sending.set(threadId, mine);
    let inserted: { listened: boolean } | undefined;
    try {
      inserted = (await sent.result).rows[0];
    } catch (error) {
      // Another append at the same head committed first: the batch key (thread, first seq) is taken.
      if (!isBatchKeyTaken(error))
        throw toJournalError(error, `append to thread "${threadId}"`, this.server());
    } finally {
      if (this.sending.get(threadId) === mine) this.sending.delete(threadId);
    }
    if (inserted === undefined) {
      const head = await this.head(threadId);
      // The head is where this journal left it but not its batch: the thread was deleted and written
      // again through another journal. Sent again with its status.
      if (stored !== undefined && !behind && head === expectedSeq) {
        this.appended.delete(threadId);
        return this.append(threadId, events, expectedSeq);
      }
      throw new JournalConflictError(threadId, expectedSeq, head);
    }
    if (inserted.listened) this.scheduleNotify(threadId, lastSeq);
    this.appended.delete(threadId);
    if (create || status !== undefined || stored !== undefined) {
      if (this.appended.size >= APPENDED_KEPT) this.appended.delete(this.appended.keys().next().value!);
      this.appended.set(threadId, { lastSeq, token, status: status ?? stored?.status });
    }
    return { lastSeq };
  }

  async *read(threadId: string, range: ReadRange = {}): AsyncIterable<StoredEvent> {
    this.checkOpen();
    validateThreadId(threadId);
    validateReadRange(range);
    await this.whenReady();
    const pageSize = this.options.readPageSize;
    const to = Math.min(range.to ?? MAX_SEQ, MAX_SEQ);
    let from = range.from ?? 0;
    while (from <= to) {
      // A page: the batch holding `from`, then those starting up to pageSize - 1 seqs later.
      const last = Math.min(to, from + pageSize - 1);
      const { rows } = await this.query<BatchRow>(
        `read thread "${threadId}"`,
        `SELECT ${BATCH_COLUMNS} FROM ${this.s}.batches
         WHERE thread_id = $1 AND first_seq <= $3 AND first_seq >= coalesce(
           (SELECT first_seq FROM ${this.s}.batches WHERE thread_id = $1 AND first_seq <= $2
            ORDER BY first_seq DESC LIMIT 1), 0)
         ORDER BY first_seq`,
        [threadId, from, last],
        `${this.statementPrefix}read`,
      );
      for (const row of rows) {
        if (row.last_seq < from) continue;
        for (const event of batchEvents(threadId, row, this.schema)) {
          if (event.seq >= from && event.seq <= to) yield event;
        }
      }
      const end = rows.at(-1)?.last_seq;
      // Batches are contiguous: one ending before the page's last seq is the thread's last.
      if (end === undefined || end < last) return;
      from = end + 1;
    }
  }

  /** The thread's last snapshot at or before `atOrBefore` (an index holds only snapshot rows). */
  async latestSnapshot(threadId: string, atOrBefore?: number): Promise<StoredEvent | undefined> {
    this.checkOpen();
    validateThreadId(threadId);
    if (atOrBefore !== undefined) validateReadRange({ to: atOrBefore });
    await this.whenReady();
    const at = Math.min(atOrBefore ?? MAX_SEQ, MAX_SEQ);
    // The batch whose first snapshot is the last at or before `at` holds the snapshot wanted: every
    // later batch's snapshots all come after `at`.
    const { rows } = await this.query<BatchRow>(
      `find the latest snapshot of thread "${threadId}"`,
      `SELECT ${BATCH_COLUMNS} FROM ${this.s}.batches
       WHERE thread_id = $1 AND snapshot_seq IS NOT NULL AND snapshot_seq <= $2
       ORDER BY snapshot_seq DESC LIMIT 1`,
      [threadId, at],
    );
    if (rows[0] === undefined) return undefined;
    return batchEvents(threadId, rows[0], this.schema).findLast((e) => e.type === "snapshot" && e.seq <= at);
  }

  async head(threadId: string): Promise<number> {
    this.checkOpen();
    validateThreadId(threadId);
    await this.whenReady();
    const { rows } = await this.query<{ last_seq: number }>(
      `read the head of thread "${threadId}"`,
      `SELECT last_seq FROM ${this.s}.batches WHERE thread_id = $1 ORDER BY first_seq DESC LIMIT 1`,
      [threadId],
    );
    return rows[0]?.last_seq ?? -1;
  }

  async *threads(query: ThreadQuery = {}): AsyncIterable<ThreadInfo> {
    this.checkOpen();
    validateThreadQuery(query);
    const limit = query.limit ?? Number.POSITIVE_INFINITY;
    await this.whenReady();
    let after = query.after ?? null;
    let left = limit;
    while (left > 0) {
      const page = Math.min(left, this.options.threadsPageSize);
      const { rows } = await this.query<ThreadRow>(
        "list threads",
        // A status filter is applied to the threads row, before its last batch is looked up.
        `${listedThreads(this.s)}
         WHERE ($1::text IS NULL OR (t.thread_id >= $1 AND starts_with(t.thread_id, $1)))
           AND ($2::text IS NULL OR t.thread_id > $2)
           AND ($4::text[] IS NULL OR t.status IS NULL OR t.status = ANY($4::text[]))
           AND ($5::float8 IS NULL OR last.updated_ms < $5::float8)
         ORDER BY t.thread_id LIMIT $3`,
        [query.prefix ?? null, after, page, query.statuses ?? null, query.updatedBefore ?? null],
      );
      for (const row of rows) yield threadInfoOf(row);
      if (rows.length < page) return;
      left -= rows.length;
      after = rows.at(-1)!.thread_id;
    }
  }

  /**
   * By last activity, sorted by the server: each thread's last batch is found by its key (one index
   * probe a thread, no index on the append path), so a page costs a pass over the matching threads
   * (README, "Listing threads").
   */
  async *recentThreads(query: RecentThreadsQuery = {}): AsyncIterable<ThreadInfo> {
    this.checkOpen();
    validateRecentThreadsQuery(query);
    await this.whenReady();
    let before = query.before;
    let left = query.limit ?? Number.POSITIVE_INFINITY;
    while (left > 0) {
      const page = Math.min(left, this.options.threadsPageSize);
      const { rows } = await this.query<ThreadRow>(
        "list recent threads",
        `SELECT * FROM (
           ${listedThreads(this.s)}
           WHERE ($1::text IS NULL OR (t.thread_id >= $1 AND starts_with(t.thread_id, $1)))
             AND ($2::text[] IS NULL OR t.status IS NULL OR t.status = ANY($2::text[]))
         ) listed
         WHERE $3::float8 IS NULL OR (updated_ms, thread_id) < ($3::float8, $4::text)
         ORDER BY updated_ms DESC, thread_id DESC LIMIT $5`,
        [
          query.prefix ?? null,
          query.statuses ?? null,
          before?.updatedAt ?? null,
          before?.threadId ?? null,
          page,
        ],
      );
      for (const row of rows) yield threadInfoOf(row);
      if (rows.length < page) return;
      left -= rows.length;
      const last = rows.at(-1)!;
      before = { updatedAt: last.updated_ms, threadId: last.thread_id };
    }
  }

  async fork(from: string, atSeq: number, to: string): Promise<void> {
    this.checkOpen();
    return this.track(this.forkOpen(from, atSeq, to));
  }

  private async forkOpen(from: string, atSeq: number, to: string): Promise<void> {
    validateThreadId(from);
    validateThreadId(to);
    if (!Number.isInteger(atSeq) || atSeq < 0) {
      throw new JournalError(
        "invalid_range",
        `Cannot fork thread "${from}" at seq ${atSeq}: a seq is an integer >= 0.`,
      );
    }
    await this.whenReady();
    await this.transaction(`fork thread "${from}" into "${to}"`, async (client) => {
      // Newest first, from the batch holding `atSeq`: the cut batch, then where the root frame's
      // status comes from (its last event at or before `atSeq`, usually in that same batch).
      const batches = async (before: number) =>
        (
          await client.query<BatchRow>(
            `SELECT ${BATCH_COLUMNS} FROM ${this.s}.batches WHERE thread_id = $1 AND first_seq <= $2
             ORDER BY first_seq DESC LIMIT 8`,
            [from, before],
          )
        ).rows;
      let page = await batches(atSeq);
      const cut = page[0];
      if (cut === undefined) {
        throw new JournalError("thread_not_found", `Cannot fork thread "${from}": it has no events.`);
      }
      if (atSeq > cut.last_seq) {
        throw new JournalError(
          "invalid_range",
          `Cannot fork thread "${from}" at seq ${atSeq}: its seqs run from 0 to ${cut.last_seq}.`,
        );
      }
      const kept = batchEvents(from, cut, this.schema).filter((e) => e.seq <= atSeq);
      let status: FrameStatus | undefined;
      for (let events = kept, index = 0; ; ) {
        const root = events.findLast((e) => e.depth === 0);
        if (root !== undefined) {
          status = threadStatusAfter(undefined, root);
          break;
        }
        if (++index === page.length) {
          page = await batches(page.at(-1)!.first_seq - 1);
          index = 0;
          if (page.length === 0) break;
        }
        events = batchEvents(from, page[index]!, this.schema);
      }
      const created = await client.query(
        `INSERT INTO ${this.s}.threads (thread_id, status, created_at) VALUES ($1, $2, now())
         ON CONFLICT (thread_id) DO NOTHING`,
        [to, status ?? null],
      );
      if (created.rowCount !== 1) {
        throw new JournalError("thread_exists", `Cannot fork into "${to}": that thread already exists.`);
      }
      // Whole batches are copied as they are (their text holds no thread id); the cut one is rewritten.
      await client.query(
        `INSERT INTO ${this.s}.batches (thread_id, first_seq, last_seq, snapshot_seq, appended_at, events)
         SELECT $1, first_seq, last_seq, snapshot_seq, appended_at, events
         FROM ${this.s}.batches WHERE thread_id = $2 AND first_seq < $3`,
        [to, from, cut.first_seq],
      );
      await client.query(
        `INSERT INTO ${this.s}.batches (thread_id, first_seq, last_seq, snapshot_seq, appended_at, events)
         VALUES ($1, $2, $3, $4, now(), $5)`,
        [to, cut.first_seq, atSeq, firstSnapshotSeq(kept), batchText(kept)],
      );
    });
  }

  /**
   * Deletes the thread's batches, its `threads` row and its `queued_runs` rows in one transaction,
   * true when it had batches. The transaction first tries the thread's lease lock
   * (`pg_try_advisory_xact_lock`, the key `acquire` takes for the session): while any session holds
   * the lease, of this journal or another, it raises `ThreadBusyError` and deletes nothing. With
   * `expectedSeq`, the head is read under that lock and must be it (`checkDeleteHead`).
   * An append made without a lease is not fenced: it may land before or after the delete.
   */
  async deleteThread(threadId: string, options?: DeleteThreadOptions): Promise<boolean> {
    this.checkOpen();
    validateThreadId(threadId);
    validateDeleteOptions(options);
    // Its own lease's session lock would refuse the try below too; said here as what it is.
    if (this.leases.has(threadId)) {
      throw ThreadBusyError.owned(
        threadId,
        `a run of this journal (PostgresJournal, process ${process.pid})`,
      );
    }
    return this.track(this.deleteOpen(threadId, options));
  }

  private async deleteOpen(threadId: string, options: DeleteThreadOptions | undefined): Promise<boolean> {
    await this.whenReady();
    const lockName = threadLockName(this.schema, threadId);
    // Three round trips: BEGIN with the lock's try, the check and the deletes in one statement, COMMIT.
    // The statement comes after the lock, so its snapshot holds the batch of an owner that committed
    // and let go just before.
    const deleted = await this.transaction(
      `delete thread "${threadId}"`,
      async (client, begun) => {
        if (begun[1]?.rows[0]?.locked !== true) {
          throw ThreadBusyError.owned(threadId, await describeHolder(client, lockName));
        }
        const { rows } = await client.query<{ head: number; deleted: number }>({
          name: `${this.statementPrefix}delete`,
          text: this.deleteSql(),
          values: [threadId],
        });
        checkDeleteHead(threadId, options, rows[0]!.head);
        return rows[0]!.deleted > 0;
      },
      `BEGIN; SELECT pg_try_advisory_xact_lock(hashtextextended(${literal(lockName)}, 0)) AS locked`,
    );
    // The head and status this journal last wrote are the deleted thread's: should the id be written
    // again up to that seq by another journal, an append here must not take its status for known.
    // (An append still in flight, in `sending`, stays: one sent behind it is written only right after
    // that very batch, checked by its token, on whichever side of the delete that one lands.)
    this.appended.delete(threadId);
    return deleted;
  }

  /** Deletes the thread's rows; gives its head before (a head that is not `expectedSeq` rolls it back). */
  private deleteSql(): string {
    const s = this.s;
    return `WITH head AS (
        SELECT coalesce((SELECT last_seq FROM ${s}.batches WHERE thread_id = $1 ORDER BY first_seq DESC LIMIT 1), -1) AS seq
      ), b AS (DELETE FROM ${s}.batches WHERE thread_id = $1 RETURNING 1),
      t AS (DELETE FROM ${s}.threads WHERE thread_id = $1),
      q AS (DELETE FROM ${s}.queued_runs WHERE thread_id = $1)
      SELECT (SELECT seq FROM head) AS head, (SELECT count(*) FROM b)::integer AS deleted`;
  }

  /**
   * Live events of a thread: first those from `from` (default 0) that are already stored, then each
   * new one as it is committed, in seq order, none missed and none twice. Ends when `signal` aborts,
   * when the loop breaks, or when the journal closes.
   */
  subscribe(threadId: string, options: SubscribeOptions = {}): AsyncIterable<StoredEvent> {
    this.checkOpen();
    validateThreadId(threadId);
    if (options.from !== undefined && (!Number.isInteger(options.from) || options.from < 0)) {
      throw new JournalError(
        "invalid_range",
        `subscribe(): "from" must be a non-negative integer, got ${options.from}.`,
      );
    }
    return subscribeToThread(
      {
        hub: async () => {
          await this.whenReady();
          this.hub ??= new NotificationHub(this.pool, this.channel, this.lockKey);
          await this.hub.start();
          return this.hub;
        },
        read: (from) => this.read(threadId, { from }),
        isClosed: () => this.closed,
      },
      threadId,
      options,
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hub?.stop();
    // Leases end with the journal; one still being taken lets go once it has its lock.
    const leases = [...this.leases.values()];
    this.leases.clear();
    for (const lease of leases) lease.closed.abort(new Error("the journal was closed"));
    await Promise.all(leases.map((lease) => lease.held?.release()));
    // Appends and forks called before close() finish first: pool.end() leaves a query that waits
    // for a connection waiting forever, so such an append would neither resolve nor reject.
    await Promise.allSettled([...this.inFlight]);
    this.appendConnection.giveBack();
    await this.notifying;
    if (this.ownsPool) await this.pool.end();
  }

  /** Keeps `work` in `inFlight` until it settles, for close() to wait on. */
  private async track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    try {
      return await work;
    } finally {
      this.inFlight.delete(work);
    }
  }

  // The append's parameters: $1 thread, $2 events, $3 last seq, $4 first snapshot seq, $5 expected
  // seq, $6 the append's token, $7 the status after the batch (not sent to the statement that leaves
  // the status alone), then, behind an append in flight, that append's token.

  private createSql(): string {
    // The thread's row is inserted with its first batch; a second creator finds seq 0 taken.
    return `WITH thread AS (
        INSERT INTO ${this.s}.threads (thread_id, status, created_at) VALUES ($1, $7, now())
        ON CONFLICT (thread_id) DO NOTHING
      ), inserted AS (
        INSERT INTO ${this.s}.batches (thread_id, first_seq, last_seq, snapshot_seq, appended_at, events, append_token)
        SELECT $1, $5::integer + 1, $3, $4, now(), $2, $6 RETURNING ${this.listenedSql()}
      )
      SELECT listened FROM inserted`;
  }

  /**
   * Written only if the thread's last batch ends at the expected seq (else no row: a conflict). Two
   * appends that both see that head insert the same key, and the second fails on it once the first
   * commits. With `status`, the thread's row is updated too if its status changes, with the batch.
   */
  private advanceSql(status: boolean, behind: boolean): string {
    // Behind an append in flight, the head must be that very batch (its token), not only end at its
    // last seq: another writer's batch of the same seqs, written first, refuses this one (a batch
    // without a token, written before migration 6 or by an older version, refuses it too).
    const head = behind
      ? `(SELECT last_seq = $5 AND append_token = $${status ? 8 : 7} FROM ${this.s}.batches WHERE thread_id = $1
               ORDER BY first_seq DESC LIMIT 1)`
      : `(SELECT last_seq FROM ${this.s}.batches WHERE thread_id = $1
               ORDER BY first_seq DESC LIMIT 1) = $5`;
    const insert = `INSERT INTO ${this.s}.batches (thread_id, first_seq, last_seq, snapshot_seq, appended_at, events, append_token)
        SELECT $1, $5::integer + 1, $3, $4, now(), $2, $6
        WHERE ${head}
        RETURNING ${this.listenedSql()}`;
    if (!status) return insert;
    return `WITH inserted AS (${insert}), status AS (
        UPDATE ${this.s}.threads SET status = $7 FROM inserted
        WHERE thread_id = $1 AND $7::text IS NOT NULL AND status IS DISTINCT FROM $7::text
      )
      SELECT listened FROM inserted`;
  }

  /**
   * Whether anyone listens for NOTIFYs on this schema (a LISTEN connection holds the listener lock
   * shared). The exclusive try is held to the commit, so a listener that starts meanwhile waits for
   * it and then reads what it committed. Concurrent appends fail it on each other and notify: one
   * more NOTIFY, never one less.
   */
  private listenedSql(): string {
    return `NOT pg_try_advisory_xact_lock(${this.lockKey}) AS listened`;
  }

  /**
   * Wakes live subscribers (of any process) once `lastSeq` of `threadId` is committed. Sent after the
   * commit, not in its transaction: a NOTIFY holds a lock on the whole cluster's notification queue
   * from before its commit record is flushed until after, so appends that notified in their own
   * transaction committed one at a time (ADR 0011). Threads appended while one notify is under way go
   * together in the next. One lost to a crash is made up by the subscribers' backstop read.
   */
  private scheduleNotify(threadId: string, lastSeq: number): void {
    this.notifyPending.set(threadId, lastSeq);
    this.notifying ??= this.sendNotifies();
  }

  private async sendNotifies(): Promise<void> {
    while (this.notifyPending.size > 0) {
      // A busy journal notifies at most every NOTIFY_INTERVAL_MS: each notify is a statement of its
      // own, on both sides of the connection; a subscriber seeing an event that much later is fine.
      const wait = this.notifiedAt + NOTIFY_INTERVAL_MS - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      this.notifiedAt = performance.now();
      const payloads = Array.from(this.notifyPending, ([threadId, seq]) => `${threadId} ${seq}`);
      this.notifyPending.clear();
      await this.pool
        .query({
          name: `${this.statementPrefix}notify`,
          text: "SELECT count(pg_notify($1, p))::int AS n FROM unnest($2::text[]) AS p",
          values: [this.channel, payloads],
        })
        .catch(() => undefined);
    }
    this.notifying = undefined;
  }

  private whenReady(): Promise<void> {
    if (!this.options.migrate) return Promise.resolve();
    this.ready ??= this.migrate().then(
      () => {
        this.migrated = true;
      },
      (error: unknown) => {
        this.ready = undefined;
        throw error;
      },
    );
    return this.ready;
  }

  private async query<R extends pg.QueryResultRow>(
    action: string,
    text: string,
    values: unknown[],
    name?: string,
  ): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(name === undefined ? { text, values } : { name, text, values });
    } catch (error) {
      throw toJournalError(error, action, this.server());
    }
  }

  /** Where this journal connects, password hidden: for error messages. */
  private server(): string {
    return describeServer(
      (this.pool as unknown as { options: Parameters<typeof describeServer>[0] }).options ?? {},
    );
  }

  /** `begin`: the statements that open it, sent as one simple query (their results go to `body`). */
  private async transaction<T>(
    action: string,
    body: (client: pg.PoolClient, begun: pg.QueryResult[]) => Promise<T>,
    begin = "BEGIN",
  ): Promise<T> {
    let client: pg.PoolClient | undefined;
    try {
      client = await this.pool.connect();
      const begun = (await client.query(begin)) as pg.QueryResult | pg.QueryResult[];
      const result = await body(client, Array.isArray(begun) ? begun : [begun]);
      await client.query("COMMIT");
      client.release();
      return result;
    } catch (error) {
      if (client) {
        const rolledBack = await client.query("ROLLBACK").then(
          () => true,
          () => false,
        );
        client.release(rolledBack ? undefined : true);
      }
      throw toJournalError(error, action, this.server());
    }
  }

  /**
   * A random 64-bit number for the append's row (`append_token`), as the text of a bigint. An append
   * sent behind this one checks that the thread's head batch carries it (ADR 0016, addendum): the
   * proof that the head is this very batch, which the batch's whole text gave before, without sending
   * the text again or the server reading the stored one back.
   */
  private nextAppendToken(): string {
    if (this.tokenAt === TOKEN_BYTES) {
      randomFillSync(this.tokenBytes);
      this.tokenAt = 0;
    }
    const token = this.tokenBytes.readBigInt64LE(this.tokenAt);
    this.tokenAt += 8;
    return token.toString();
  }

  private checkOpen(): void {
    if (this.closed) {
      throw new JournalError("journal_closed", "This PostgresJournal was closed; create a new one.");
    }
  }
}

type AppendStatement = "batch_create" | "batch_advance" | "batch_same" | "batch_after" | "batch_after_same";

/** An append this journal has sent and not yet seen settle. */
/** A batch this journal appended, or is appending, to a thread. */
interface KnownHead {
  readonly lastSeq: number;
  /** Its token: what the head batch's must be for an append that relies on what is known of it. */
  readonly token: string;
  /** The thread's status once it is written, if known. */
  readonly status: FrameStatus | undefined;
}

interface InFlightAppend extends KnownHead {
  readonly sent: SentStatement<{ listened: boolean }>;
}

/** A unique violation on the batches' key: another append took the same first seq. */
function isBatchKeyTaken(error: unknown): boolean {
  return (
    typeof error === "object" &&
    error !== null &&
    (error as { code?: unknown }).code === "23505" &&
    (error as { constraint?: unknown }).constraint === "batches_pkey"
  );
}
