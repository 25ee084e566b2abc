// A Loom journal in one SQLite file, on node:sqlite (Node >= 22.5, no native addon to build). Written
// as a third party writes a journal: against @loom/core's public API only. Erasable TypeScript only
// (no enums, no parameter properties), so plain `node` can load this file too.
import { DatabaseSync, type StatementSync } from "node:sqlite";
import {
  checkDeleteHead,
  type DeleteThreadOptions,
  EventSchemaError,
  type FrameStatus,
  type Journal,
  JournalConflictError,
  JournalCorruptionError,
  JournalError,
  type NewEvent,
  parseEvent,
  type ReadRange,
  type StoredEvent,
  sealEvents,
  ThreadBusyError,
  type ThreadInfo,
  type ThreadLease,
  type ThreadQuery,
  threadStatusAfter,
  validateDeleteOptions,
  validateReadRange,
  validateThreadId,
  validateThreadQuery,
} from "@loom/core";

export interface SqliteJournalOptions {
  /** The database file; created with its tables when missing. */
  readonly path: string;
  /** How long a writer waits for another process's write transaction, in ms. Default 10000. */
  readonly busyTimeoutMs?: number;
}

interface ThreadRow {
  readonly thread_id: string;
  readonly head: number;
  readonly created_at: number;
  readonly updated_at: number;
  readonly status: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS threads (
  thread_id TEXT PRIMARY KEY,
  head INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  status TEXT
) STRICT;
CREATE TABLE IF NOT EXISTS events (
  thread_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (thread_id, seq)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS leases (
  thread_id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  pid INTEGER NOT NULL
) STRICT;`;

/** Rows per read query: a long thread is read in pages, never loaded whole. */
const READ_PAGE = 500;

/**
 * A journal in one SQLite file (WAL mode). Each append is one `BEGIN IMMEDIATE` transaction: the
 * `expectedSeq` check against the thread's row and the insert of the whole batch, so a batch is all
 * there or not there, and writers in other processes wait for the file's write lock. `acquire`
 * leases a thread to one owner on this machine; a lease whose process died is taken over.
 */
export class SqliteJournal implements Journal {
  readonly specificationVersion = "v1" as const;
  readonly filtersThreads = true;
  private readonly db: DatabaseSync;
  private readonly owner = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  private readonly leased = new Set<string>();
  private readonly statements: Map<string, StatementSync> = new Map();
  private closed = false;

  constructor(options: SqliteJournalOptions) {
    try {
      this.db = new DatabaseSync(options.path);
      this.db.exec(`PRAGMA busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 10_000)}`);
      this.db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
      this.db.exec(SCHEMA);
    } catch (cause) {
      throw new JournalError("io", `Cannot open the SQLite journal at ${options.path}.`, { cause });
    }
  }

  async append(
    threadId: string,
    events: readonly NewEvent[],
    expectedSeq: number,
  ): Promise<{ lastSeq: number }> {
    this.checkOpen();
    validateThreadId(threadId);
    // Validate the whole batch before the transaction: all or none.
    const sealed = sealEvents(threadId, expectedSeq, events).map((event) => parseEvent(event));
    return this.transaction(`append to thread "${threadId}"`, () => {
      const row = this.statement("SELECT * FROM threads WHERE thread_id = ?").get(threadId) as
        | ThreadRow
        | undefined;
      const head = row?.head ?? -1;
      if (head !== expectedSeq) throw new JournalConflictError(threadId, expectedSeq, head);
      if (sealed.length === 0) return { lastSeq: head };
      const insert = this.statement("INSERT INTO events (thread_id, seq, body) VALUES (?, ?, ?)");
      let status = (row?.status ?? undefined) as FrameStatus | undefined;
      for (const event of sealed) {
        insert.run(threadId, event.seq, JSON.stringify(event));
        status = threadStatusAfter(status, event);
      }
      const lastSeq = expectedSeq + sealed.length;
      const now = Date.now();
      this.statement(
        `INSERT INTO threads (thread_id, head, created_at, updated_at, status) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (thread_id) DO UPDATE SET head = excluded.head, updated_at = excluded.updated_at, status = excluded.status`,
      ).run(threadId, lastSeq, row?.created_at ?? now, now, status ?? null);
      return { lastSeq };
    });
  }

  async *read(threadId: string, range: ReadRange = {}): AsyncIterable<StoredEvent> {
    this.checkOpen();
    validateThreadId(threadId);
    validateReadRange(range);
    const to = range.to ?? Number.MAX_SAFE_INTEGER;
    let from = range.from ?? 0;
    while (from <= to) {
      this.checkOpen();
      const rows = this.statement(
        "SELECT seq, body FROM events WHERE thread_id = ? AND seq >= ? AND seq <= ? ORDER BY seq LIMIT ?",
      ).all(threadId, from, to, READ_PAGE) as { seq: number; body: string }[];
      for (const row of rows) yield this.parseRow(threadId, row);
      if (rows.length < READ_PAGE) return;
      from = (rows.at(-1)?.seq ?? from) + 1;
    }
  }

  async head(threadId: string): Promise<number> {
    this.checkOpen();
    validateThreadId(threadId);
    const row = this.statement("SELECT head FROM threads WHERE thread_id = ?").get(threadId) as
      | { head: number }
      | undefined;
    return row?.head ?? -1;
  }

  async *threads(query: ThreadQuery = {}): AsyncIterable<ThreadInfo> {
    this.checkOpen();
    validateThreadQuery(query);
    // A prefix is compared as text (substr), never as a LIKE pattern; the default BINARY collation
    // orders ids by byte, which for the ASCII of valid ids is JavaScript's order. Statuses go in as
    // a JSON array; a thread without a known status passes any status filter (the contract).
    const rows = this.statement(
      `SELECT * FROM threads WHERE (?1 IS NULL OR substr(thread_id, 1, length(?1)) = ?1)
       AND (?2 IS NULL OR thread_id > ?2)
       AND (?4 IS NULL OR status IS NULL OR status IN (SELECT value FROM json_each(?4)))
       AND (?5 IS NULL OR updated_at < ?5)
       ORDER BY thread_id LIMIT ?3`,
    ).all(
      query.prefix ?? null,
      query.after ?? null,
      query.limit ?? -1,
      query.statuses ? JSON.stringify(query.statuses) : null,
      query.updatedBefore ?? null,
    ) as unknown as ThreadRow[];
    for (const row of rows) {
      yield {
        threadId: row.thread_id,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
        eventCount: row.head + 1,
        lastSeq: row.head,
        status: (row.status ?? undefined) as FrameStatus | undefined,
      };
    }
  }

  async fork(from: string, atSeq: number, to: string): Promise<void> {
    this.checkOpen();
    validateThreadId(from);
    validateThreadId(to);
    this.transaction(`fork thread "${from}" into "${to}"`, () => {
      const head = (
        this.statement("SELECT head FROM threads WHERE thread_id = ?").get(from) as
          | { head: number }
          | undefined
      )?.head;
      if (head === undefined)
        throw new JournalError("thread_not_found", `Cannot fork thread "${from}": it has no events.`);
      if (!Number.isInteger(atSeq) || atSeq < 0 || atSeq > head) {
        throw new JournalError(
          "invalid_range",
          `Cannot fork thread "${from}" at seq ${atSeq}: its seqs run from 0 to ${head}.`,
        );
      }
      if (this.statement("SELECT 1 FROM threads WHERE thread_id = ?").get(to)) {
        throw new JournalError("thread_exists", `Cannot fork into "${to}": that thread already exists.`);
      }
      const rows = this.statement(
        "SELECT seq, body FROM events WHERE thread_id = ? AND seq <= ? ORDER BY seq",
      ).all(from, atSeq) as { seq: number; body: string }[];
      const insert = this.statement("INSERT INTO events (thread_id, seq, body) VALUES (?, ?, ?)");
      let status: FrameStatus | undefined;
      for (const row of rows) {
        const event = { ...this.parseRow(from, row), threadId: to } as StoredEvent;
        status = threadStatusAfter(status, event);
        insert.run(to, event.seq, JSON.stringify(event));
      }
      const now = Date.now();
      this.statement(
        "INSERT INTO threads (thread_id, head, created_at, updated_at, status) VALUES (?, ?, ?, ?, ?)",
      ).run(to, atSeq, now, now, status ?? null);
    });
  }

  /**
   * Leases a thread to this journal. The lease row names this process; a row whose process is gone
   * (a crash, SIGKILL) is taken over. Leases are for processes of one machine (one SQLite file).
   */
  async acquire(threadId: string): Promise<ThreadLease> {
    this.checkOpen();
    validateThreadId(threadId);
    if (this.leased.has(threadId)) throw ThreadBusyError.owned(threadId, "another run of this journal");
    this.transaction(`lease thread "${threadId}"`, () => {
      const row = this.statement("SELECT owner, pid FROM leases WHERE thread_id = ?").get(threadId) as
        | { owner: string; pid: number }
        | undefined;
      if (row && processAlive(row.pid)) throw ThreadBusyError.owned(threadId, `process ${row.pid}`);
      this.statement("INSERT OR REPLACE INTO leases (thread_id, owner, pid) VALUES (?, ?, ?)").run(
        threadId,
        this.owner,
        process.pid,
      );
    });
    this.leased.add(threadId);
    let released = false;
    return {
      threadId,
      release: async () => {
        if (released) return;
        released = true;
        this.leased.delete(threadId);
        if (this.closed) return;
        this.transaction(`release thread "${threadId}"`, () => {
          this.statement("DELETE FROM leases WHERE thread_id = ? AND owner = ?").run(threadId, this.owner);
        });
      },
    };
  }

  /**
   * Deletes the thread's events and row in one write transaction, which appends wait behind; refused
   * while a live process (this one included) holds its lease.
   */
  async deleteThread(threadId: string, options?: DeleteThreadOptions): Promise<boolean> {
    this.checkOpen();
    validateThreadId(threadId);
    validateDeleteOptions(options);
    if (this.leased.has(threadId)) throw ThreadBusyError.owned(threadId, "a run of this journal");
    return this.transaction(`delete thread "${threadId}"`, () => {
      const lease = this.statement("SELECT pid FROM leases WHERE thread_id = ?").get(threadId) as
        | { pid: number }
        | undefined;
      if (lease && processAlive(lease.pid)) throw ThreadBusyError.owned(threadId, `process ${lease.pid}`);
      const head =
        (
          this.statement("SELECT head FROM threads WHERE thread_id = ?").get(threadId) as
            | { head: number }
            | undefined
        )?.head ?? -1;
      checkDeleteHead(threadId, options, head);
      this.statement("DELETE FROM events WHERE thread_id = ?").run(threadId);
      this.statement("DELETE FROM threads WHERE thread_id = ?").run(threadId);
      return head >= 0;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.db.prepare("DELETE FROM leases WHERE owner = ?").run(this.owner);
    } finally {
      this.db.close();
    }
  }

  private checkOpen(): void {
    if (this.closed)
      throw new JournalError("journal_closed", "This SqliteJournal was closed; create a new one.");
  }

  private statement(sql: string): StatementSync {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs `body` in one write transaction; a Loom error passes through, anything else becomes `io`. */
  private transaction<T>(action: string, body: () => T): T {
    try {
      this.db.exec("BEGIN IMMEDIATE");
    } catch (cause) {
      throw new JournalError("io", `Cannot ${action}: SQLite refused to start a write transaction.`, {
        cause,
      });
    }
    try {
      const result = body();
      this.db.exec("COMMIT");
      return result;
    } catch (error) {
      this.db.exec("ROLLBACK");
      if (
        JournalError.isInstance(error) ||
        EventSchemaError.isInstance(error) ||
        ThreadBusyError.isInstance(error)
      ) {
        throw error;
      }
      throw new JournalError("io", `Cannot ${action}: SQLite failed.`, { cause: error });
    }
  }

  /** A stored row back to an event, through core's schema: a damaged row is JournalCorruptionError. */
  private parseRow(threadId: string, row: { seq: number; body: string }): StoredEvent {
    const location = `SQLite journal thread "${threadId}" seq ${row.seq}`;
    let raw: unknown;
    try {
      raw = JSON.parse(row.body);
    } catch (cause) {
      throw new JournalCorruptionError(location, `is not JSON (${row.body.length} characters).`, { cause });
    }
    try {
      return parseEvent(raw);
    } catch (cause) {
      throw new JournalCorruptionError(location, "is not a valid event.", { cause });
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
