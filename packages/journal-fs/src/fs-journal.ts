import { unlinkSync } from "node:fs";
import { mkdir, readdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import {
  ConfigError,
  checkDeleteHead,
  type DeleteThreadOptions,
  followThread,
  type Journal,
  JournalError,
  LoomError,
  type NewEvent,
  type ReadRange,
  type StoredEvent,
  type SubscribeOptions,
  ThreadBusyError,
  type ThreadInfo,
  type ThreadLease,
  type ThreadQuery,
  threadMatches,
  validateDeleteOptions,
  validateReadRange,
  validateThreadId,
  validateThreadQuery,
} from "@loom/core";
import { z } from "zod";
import { CancelRequests, writeCancelRequest } from "./cancel-requests.js";
import { DirectoryWatch } from "./directory-watch.js";
import { type FsyncMode, FsyncModeSchema, syncDirectory } from "./durability.js";
import { threadFileName, threadIdFromFileName } from "./file-name.js";
import { abandonedForkFiles, copyThread, forkTemporaryName } from "./fork-copy.js";
import { readThreadFile } from "./read-thread-file.js";
import { SeqCheckpoints } from "./seq-checkpoints.js";
import { findLatestSnapshot } from "./snapshot-scan.js";
import { currentProcessHolder, ThreadLock } from "./thread-lock.js";
import { ThreadLockedError } from "./thread-locked-error.js";
import { ThreadSummaryCache } from "./thread-summary.js";
import { type HeldLock, type RecoveryReport, ThreadWriter } from "./thread-writer.js";

export interface FsJournalOptions {
  /** The folder that holds one `<thread id>.jsonl` per thread. Created on first write. */
  readonly dir: string;
  /** When an append counts as done. Default `"batch"`; see the README for what each promises. */
  readonly fsync?: FsyncMode;
  /**
   * Told when a thread file is found torn as it is opened for writing, and how it was repaired.
   * Default: a process warning (`process.emitWarning`, code `LOOM_JOURNAL_RECOVERED`).
   */
  readonly onRecovery?: (report: RecoveryReport) => void;
  /**
   * Threads this journal keeps open for writing (a file handle and the thread's lock each). Past
   * this, the least recently used idle thread is closed and its lock freed; it reopens on its next
   * append. Default 256.
   */
  readonly maxOpenThreads?: number;
  /**
   * How often a subscriber reads its thread again when no file change woke it (changes made by
   * other processes are seen through `fs.watch`, which some file systems do not support). Default
   * 1000 ms.
   */
  readonly subscribePollMs?: number;
}

const OptionsSchema = z.object({
  dir: z.string().min(1),
  fsync: FsyncModeSchema.default("batch"),
  onRecovery: z.custom<(report: RecoveryReport) => void>((v) => typeof v === "function").optional(),
  maxOpenThreads: z.number().int().positive().default(256),
  subscribePollMs: z.number().int().positive().default(1000),
});

const LOCK_DIR = ".locks";

/** A lease of this journal: its share of the thread's lock, and its listening for cancel requests. */
interface Lease {
  share: HeldLock | undefined;
  stopListening: (() => void) | undefined;
}

/**
 * The embedded journal: one JSON Lines file per thread under `dir`, one event per line. Batches are
 * atomic across crashes, appends are durable as `fsync` says, and a thread has one writer at a time
 * across processes. Reads stream; `head` and `threads()` read only the ends of files.
 */
export class FsJournal implements Journal {
  readonly specificationVersion = "v1" as const;
  /** `statuses` and `updatedBefore` are applied to each thread's summary (its file's end), as it is listed. */
  readonly filtersThreads = true;
  readonly dir: string;
  readonly fsync: FsyncMode;
  private readonly onRecovery: (report: RecoveryReport) => void;
  private readonly writers = new Map<string, Promise<ThreadWriter>>();
  /** The writers that are open, least recently used first. */
  private readonly openWriters = new Map<string, ThreadWriter>();
  private readonly maxOpenThreads: number;
  /** Writers that are closing: a new writer for the thread waits for them to finish with its file. */
  private readonly closing = new Map<string, Promise<void>>();
  /** Each thread's lock this journal holds, shared by the thread's writer and its lease. */
  private readonly holds = new Map<string, { readonly taking: Promise<ThreadLock>; users: number }>();
  /** Locks being given up: taking the thread again waits until its lock file is gone. */
  private readonly unlocking = new Map<string, Promise<void>>();
  /** Threads leased through `acquire` (the share is undefined while it is being taken). */
  private readonly leases = new Map<string, Lease>();
  /** Threads being deleted: their writers wait for it, and `acquire` refuses them. */
  private readonly deleting = new Map<string, Promise<void>>();
  /** Cancel requests to this journal's leases, once one was taken. */
  private cancelRequests: CancelRequests | undefined;
  private readonly summaries = new ThreadSummaryCache();
  private readonly checkpoints = new SeqCheckpoints();
  private readonly holder = currentProcessHolder();
  private directoriesReady: Promise<void> | undefined;
  private forkFilesSwept: Promise<void> | undefined;
  private closed = false;
  private readonly subscribePollMs: number;
  private readonly watcher: DirectoryWatch;

  constructor(options: FsJournalOptions) {
    const parsed = OptionsSchema.safeParse(options);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ConfigError(
        `FsJournal options are invalid at "${issue?.path.join(".") || "(root)"}": ${issue?.message}. Pass { dir: "<folder>", fsync?: "always" | "batch" | "never", onRecovery?: (report) => void, maxOpenThreads?: <positive integer>, subscribePollMs?: <positive integer> }.`,
      );
    }
    this.dir = parsed.data.dir;
    this.fsync = parsed.data.fsync;
    this.onRecovery = parsed.data.onRecovery ?? warnRecovered;
    this.maxOpenThreads = parsed.data.maxOpenThreads;
    this.subscribePollMs = parsed.data.subscribePollMs;
    this.watcher = new DirectoryWatch(this.dir);
  }

  /**
   * Takes the thread for one owner until `release()`: the thread's writer lock (the same lock its
   * writer uses), kept while the lease lasts, whatever `maxOpenThreads` says. Any other `acquire` of
   * the thread (another process, another `FsJournal`, or this one again) raises `ThreadBusyError`;
   * appends from another process or journal raise `ThreadLockedError`. A lease whose process died is
   * taken over at once by the next `acquire`.
   */
  async acquire(threadId: string): Promise<ThreadLease> {
    this.checkOpen();
    validateThreadId(threadId);
    if (this.leases.has(threadId)) {
      throw ThreadBusyError.owned(threadId, `another lease of this FsJournal (process ${process.pid})`);
    }
    if (this.deleting.has(threadId)) {
      throw ThreadBusyError.owned(threadId, `a deleteThread of this FsJournal (process ${process.pid})`);
    }
    const lease: Lease = { share: undefined, stopListening: undefined };
    this.leases.set(threadId, lease);
    try {
      lease.share = await this.shareLock(threadId);
    } catch (error) {
      this.leases.delete(threadId);
      if (error instanceof LockBusy) throw ThreadBusyError.owned(threadId, error.details.owner);
      throw asJournalError(error, `take thread "${threadId}"`);
    }
    if (this.closed) {
      await lease.share.release();
      this.checkOpen();
    }
    const cancel = new AbortController();
    this.cancelRequests ??= new CancelRequests(join(this.dir, LOCK_DIR), this.holder);
    lease.stopListening = this.cancelRequests.listen(threadFileName(threadId), cancel);
    let released: Promise<void> | undefined;
    return {
      threadId,
      cancelRequested: cancel.signal,
      release: () => {
        released ??= this.releaseLease(threadId, lease).catch((error: unknown) => {
          throw asJournalError(error, `release thread "${threadId}"`);
        });
        return released;
      },
    };
  }

  async append(
    threadId: string,
    events: readonly NewEvent[],
    expectedSeq: number,
  ): Promise<{ lastSeq: number }> {
    this.checkOpen();
    validateThreadId(threadId);
    let appended: { lastSeq: number };
    try {
      appended = await this.withWriter(threadId, expectedSeq, (writer) => writer.append(events, expectedSeq));
    } catch (error) {
      throw asJournalError(error, `append to thread "${threadId}"`);
    }
    this.watcher.notify(threadFileName(threadId));
    return appended;
  }

  /**
   * Live events of a thread: woken at once by this journal's appends, by `fs.watch` for appends
   * of other processes, and every `subscribePollMs` in any case. Only whole batches are delivered:
   * a batch another process is still writing is read once it is complete.
   */
  subscribe(threadId: string, options: SubscribeOptions = {}): AsyncIterable<StoredEvent> {
    this.checkOpen();
    return followThread(
      {
        read: (id, from) => this.read(id, { from }),
        onAppend: (id, listener) => this.watcher.add(threadFileName(id), listener),
        isClosed: () => this.closed,
        pollIntervalMs: this.subscribePollMs,
      },
      threadId,
      options,
    );
  }

  async *read(threadId: string, range: ReadRange = {}): AsyncIterable<StoredEvent> {
    this.checkOpen();
    validateThreadId(threadId);
    validateReadRange(range);
    const writer = await this.openWriter(threadId);
    const to = Math.min(range.to ?? Number.POSITIVE_INFINITY, writer?.ackedHead ?? Number.POSITIVE_INFINITY);
    const fileRange = { from: range.from ?? 0, to, endByte: writer?.ackedEnd };
    try {
      yield* readThreadFile(this.pathOf(threadId), threadId, fileRange, this.checkpoints);
    } catch (error) {
      throw asJournalError(error, `read thread "${threadId}"`);
    }
  }

  /** The thread's last snapshot at or before `atOrBefore`, read backwards from the file's end. */
  async latestSnapshot(threadId: string, atOrBefore?: number): Promise<StoredEvent | undefined> {
    this.checkOpen();
    validateThreadId(threadId);
    if (atOrBefore !== undefined) validateReadRange({ to: atOrBefore });
    const writer = await this.openWriter(threadId);
    try {
      return await findLatestSnapshot(
        this.pathOf(threadId),
        threadId,
        atOrBefore,
        writer?.ackedEnd,
        this.checkpoints,
      );
    } catch (error) {
      throw asJournalError(error, `find the latest snapshot of thread "${threadId}"`);
    }
  }

  async head(threadId: string): Promise<number> {
    this.checkOpen();
    validateThreadId(threadId);
    const writer = await this.openWriter(threadId);
    if (writer) return writer.ackedHead;
    try {
      return (await this.summaries.get(threadId, this.pathOf(threadId)))?.lastSeq ?? -1;
    } catch (error) {
      throw asJournalError(error, `read the head of thread "${threadId}"`);
    }
  }

  async *threads(query: ThreadQuery = {}): AsyncIterable<ThreadInfo> {
    this.checkOpen();
    validateThreadQuery(query);
    const names = await readdir(this.dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return [] as string[];
      throw asJournalError(error, "list threads");
    });
    const ids = names
      .map(threadIdFromFileName)
      .filter(
        (id): id is string =>
          id !== undefined &&
          (query.prefix === undefined || id.startsWith(query.prefix)) &&
          (query.after === undefined || id > query.after),
      )
      .sort();
    let listed = 0;
    for (const threadId of ids) {
      if (query.limit !== undefined && listed >= query.limit) return;
      const info = await this.threadInfo(threadId).catch((error: unknown) => {
        throw asJournalError(error, `list thread "${threadId}"`);
      });
      if (!info || !threadMatches(info, query)) continue;
      listed++;
      yield info;
    }
  }

  async fork(from: string, atSeq: number, to: string): Promise<void> {
    this.checkOpen();
    validateThreadId(from);
    validateThreadId(to);
    const sourceHead = await this.head(from);
    if (sourceHead < 0) {
      throw new JournalError("thread_not_found", `Cannot fork thread "${from}": it has no events.`);
    }
    if (!Number.isInteger(atSeq) || atSeq < 0 || atSeq > sourceHead) {
      throw new JournalError(
        "invalid_range",
        `Cannot fork thread "${from}" at seq ${atSeq}: its seqs run from 0 to ${sourceHead}.`,
      );
    }
    // An existing target is thread_exists, also while another journal holds its writer lock.
    if ((await this.head(to)) >= 0) {
      throw new JournalError("thread_exists", `Cannot fork into "${to}": that thread already exists.`);
    }
    try {
      this.forkFilesSwept ??= this.sweepForkFiles();
      await this.forkFilesSwept;
      const temporaryPath = join(this.dir, forkTemporaryName(this.holder));
      await this.withWriter(to, -1, (writer) =>
        writer.fork(atSeq, temporaryPath, (path) =>
          copyThread(this.read(from, { to: atSeq }), to, atSeq + 1, path, this.fsync !== "never"),
        ),
      );
    } catch (error) {
      throw asJournalError(error, `fork thread "${from}" into "${to}"`);
    }
  }

  /**
   * Removes the thread's file under its lock: `ThreadBusyError` while a lease holds the thread or a
   * writer of another process or `FsJournal` has it. This journal's own writer of the thread is
   * closed first (after its appends in flight); its appends that come meanwhile wait, then find no
   * thread. The removal is one `unlink`, made durable in the folder unless `fsync` is `"never"`.
   */
  async deleteThread(threadId: string, options?: DeleteThreadOptions): Promise<boolean> {
    this.checkOpen();
    validateThreadId(threadId);
    validateDeleteOptions(options);
    if (this.leases.has(threadId)) {
      throw ThreadBusyError.owned(threadId, `a lease of this FsJournal (process ${process.pid})`);
    }
    if (this.deleting.has(threadId)) {
      throw ThreadBusyError.owned(
        threadId,
        `another deleteThread of this FsJournal (process ${process.pid})`,
      );
    }
    const deleting = this.deleteUnderLock(threadId, options);
    const settled = deleting.then(
      () => {},
      () => {},
    );
    this.deleting.set(threadId, settled);
    try {
      return await deleting;
    } finally {
      if (this.deleting.get(threadId) === settled) this.deleting.delete(threadId);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watcher.notifyAll();
    const writers = [...this.writers.values()];
    this.writers.clear();
    this.openWriters.clear();
    await Promise.all(this.closing.values());
    await Promise.all(
      writers.map(async (opening) => {
        const writer = await opening.catch(() => undefined);
        await writer?.close();
      }),
    );
    // Leases end with the journal; a lease still being taken lets go once it has its lock.
    const leases = [...this.leases.values()];
    this.leases.clear();
    for (const lease of leases) lease.stopListening?.();
    this.cancelRequests?.close();
    await Promise.all(leases.map((lease) => lease.share?.release()));
  }

  /**
   * Asks the owner of the thread's lease, in whichever process on this machine, to cancel its run: a
   * request file beside the thread's lock, naming that lock's holder, which the owner's journal
   * watches for (its lease's `cancelRequested` aborts with `reason`, cut to 2,000 characters). True
   * when a live process held the thread's lock.
   */
  async requestCancel(threadId: string, reason: string): Promise<boolean> {
    this.checkOpen();
    validateThreadId(threadId);
    try {
      this.directoriesReady ??= this.createDirectories();
      await this.directoriesReady;
      return writeCancelRequest(
        join(this.dir, LOCK_DIR),
        threadFileName(threadId),
        this.holder,
        String(reason).slice(0, 2_000),
      );
    } catch (error) {
      throw asJournalError(error, `ask the owner of thread "${threadId}" to cancel`);
    }
  }

  private pathOf(threadId: string): string {
    return join(this.dir, threadFileName(threadId));
  }

  private checkOpen(): void {
    if (this.closed) throw new JournalError("journal_closed", "This FsJournal was closed; create a new one.");
  }

  /** The writer this journal already has for a thread, if any (readers in this process defer to it). */
  private async openWriter(threadId: string): Promise<ThreadWriter | undefined> {
    return this.writers.get(threadId)?.catch(() => undefined);
  }

  /**
   * Calls `use` with this journal's open writer for a thread (taking the thread's lock and recovering
   * its file the first time), in the same turn as it checked the writer is open: no other append can
   * retire it in between, so `use`'s first synchronous call on it (append, fork) always lands.
   */
  private async withWriter<T>(
    threadId: string,
    expectedSeq: number,
    use: (writer: ThreadWriter) => Promise<T>,
  ): Promise<T> {
    for (;;) {
      // A thread this journal writes already: `use` runs in this call, without a turn of waiting for
      // the writer's opening to settle.
      const open = this.openWriters.get(threadId);
      if (open !== undefined && !open.isClosed) return this.useWriter(threadId, open, use);
      let opening = this.writers.get(threadId);
      if (!opening) {
        opening = this.openThreadForWriting(threadId);
        this.writers.set(threadId, opening);
        opening.catch(() => {
          if (this.writers.get(threadId) === opening) this.writers.delete(threadId);
        });
      }
      let writer: ThreadWriter;
      try {
        writer = await opening;
      } catch (error) {
        if (!(error instanceof LockBusy)) throw error;
        const summary = await this.summaries.get(threadId, this.pathOf(threadId)).catch(() => undefined);
        throw new ThreadLockedError(threadId, expectedSeq, summary?.lastSeq ?? -1, error.details);
      }
      if (writer.isClosed) continue; // retired between opening and now
      return this.useWriter(threadId, writer, use);
    }
  }

  /** Calls `use` with an open writer, which becomes the most recently used. */
  private useWriter<T>(
    threadId: string,
    writer: ThreadWriter,
    use: (writer: ThreadWriter) => Promise<T>,
  ): Promise<T> {
    this.openWriters.delete(threadId);
    this.openWriters.set(threadId, writer);
    this.retireIdleWriters(threadId);
    return use(writer);
  }

  /** Keeps at most `maxOpenThreads` writers open by closing the least recently used idle ones. */
  private retireIdleWriters(inUse: string): void {
    for (const [threadId, writer] of this.openWriters) {
      if (this.openWriters.size <= this.maxOpenThreads) return;
      // A leased thread stays open: its owner writes it next, and it keeps its lock anyway.
      if (writer.idle && threadId !== inUse && !this.leases.has(threadId)) this.retire(threadId, writer);
    }
  }

  /** Forgets a writer and closes it; the next writer of its thread waits for its lock to be freed. */
  private retire(threadId: string, writer: ThreadWriter): void {
    if (this.openWriters.get(threadId) === writer) this.openWriters.delete(threadId);
    this.writers.delete(threadId);
    const closed = writer.close().catch(() => {});
    this.closing.set(threadId, closed);
    void closed.then(() => {
      if (this.closing.get(threadId) === closed) this.closing.delete(threadId);
    });
  }

  private async openThreadForWriting(threadId: string): Promise<ThreadWriter> {
    await this.deleting.get(threadId);
    await this.closing.get(threadId);
    const share = await this.shareLock(threadId);
    try {
      return await ThreadWriter.open(threadId, this.pathOf(threadId), share, {
        fsync: this.fsync,
        syncDirectory: () => syncDirectory(this.dir),
        report: this.onRecovery,
        onFailure: (writer) => this.retire(threadId, writer),
        onAcknowledged: (seq, offset, inode) => this.checkpoints.appendedAt(threadId, inode, seq, offset),
      });
    } catch (error) {
      await share.release();
      throw error;
    }
  }

  /**
   * A share of the thread's lock. The lock is taken once per thread (raising `LockBusy` if another
   * holder has it) and freed when its last share is released: a thread's writer and its lease hold
   * the same lock.
   */
  private async shareLock(threadId: string): Promise<HeldLock> {
    let hold = this.holds.get(threadId);
    if (!hold) {
      const taking = this.takeLock(threadId);
      const created = { taking, users: 0 };
      this.holds.set(threadId, created);
      taking.catch(() => {
        if (this.holds.get(threadId) === created) this.holds.delete(threadId);
      });
      hold = created;
    }
    hold.users++;
    let lock: ThreadLock;
    try {
      lock = await hold.taking;
    } catch (error) {
      hold.users--;
      throw error;
    }
    const shared = hold;
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        if (--shared.users > 0) return;
        if (this.holds.get(threadId) === shared) this.holds.delete(threadId);
        const unlocked = lock.release();
        const settled = unlocked.catch(() => {});
        this.unlocking.set(threadId, settled);
        try {
          await unlocked;
        } finally {
          if (this.unlocking.get(threadId) === settled) this.unlocking.delete(threadId);
        }
      },
    };
  }

  private async takeLock(threadId: string): Promise<ThreadLock> {
    this.directoriesReady ??= this.createDirectories();
    await this.directoriesReady;
    await this.unlocking.get(threadId);
    const lockDir = join(this.dir, LOCK_DIR);
    const name = threadFileName(threadId);
    const attempt = await ThreadLock.acquire(lockDir, name, this.holder);
    if (!attempt.acquired) {
      throw new LockBusy({
        reason: attempt.reason,
        owner: attempt.owner,
        lockFile: join(lockDir, `${name}.lock`),
        holderPid: attempt.holder?.pid,
      });
    }
    return attempt.lock;
  }

  /** Ends a lease: closes the thread's writer (after its appends in flight) and frees the lock. */
  private async releaseLease(threadId: string, lease: Lease): Promise<void> {
    if (this.leases.get(threadId) !== lease) return; // the journal was closed, which freed it
    this.leases.delete(threadId);
    lease.stopListening?.();
    const opening = this.writers.get(threadId);
    const writer = await opening?.catch(() => undefined);
    if (writer && !writer.isClosed && this.writers.get(threadId) === opening && !this.leases.has(threadId)) {
      this.retire(threadId, writer);
    }
    await this.closing.get(threadId);
    await lease.share?.release();
  }

  private async deleteUnderLock(
    threadId: string,
    options: DeleteThreadOptions | undefined,
  ): Promise<boolean> {
    // The share is counted in this turn: when a writer of this journal holds the thread's lock, the
    // lock is kept when that writer lets go, rather than freed and taken again (a new file each time).
    const sharing = this.shareLock(threadId);
    sharing.catch(() => {});
    // Retired in the call's own turn too, so an append asked for after it waits for the delete.
    const open = this.openWriters.get(threadId);
    if (open !== undefined && !open.isClosed) this.retire(threadId, open);
    const opening = this.writers.get(threadId);
    const writer = await opening?.catch(() => undefined);
    if (writer && !writer.isClosed && this.writers.get(threadId) === opening) this.retire(threadId, writer);
    await this.closing.get(threadId);
    let share: HeldLock;
    try {
      share = await sharing;
    } catch (error) {
      if (error instanceof LockBusy) throw ThreadBusyError.owned(threadId, error.details.owner);
      throw asJournalError(error, `take thread "${threadId}" to delete it`);
    }
    try {
      const path = this.pathOf(threadId);
      const head = (await this.summaries.get(threadId, path))?.lastSeq ?? -1;
      checkDeleteHead(threadId, options, head);
      const removed = removeFile(path);
      this.checkpoints.forget(threadId);
      if (removed && this.fsync !== "never") await syncDirectory(this.dir);
      this.watcher.notify(threadFileName(threadId));
      return removed && head >= 0;
    } catch (error) {
      throw asJournalError(error, `delete thread "${threadId}"`);
    } finally {
      await share.release();
    }
  }

  /** Removes the temporary files of forks whose process died (once per journal, at its first fork). */
  private async sweepForkFiles(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    for (const name of abandonedForkFiles(names, this.holder)) removeFile(join(this.dir, name));
  }

  /** Creates `dir` (and its lock folder); a newly created `dir` is made durable in its parent. */
  private async createDirectories(): Promise<void> {
    const created = await mkdir(this.dir, { recursive: true });
    await mkdir(join(this.dir, LOCK_DIR), { recursive: true });
    if (created === undefined || this.fsync === "never") return;
    // Each folder created, from `dir` up to the first one, is a new entry in its parent.
    const first = resolve(created);
    for (let folder = resolve(this.dir); ; folder = dirname(folder)) {
      await syncDirectory(dirname(folder));
      if (folder === first || folder === dirname(folder)) break;
    }
  }

  private async threadInfo(threadId: string): Promise<ThreadInfo | undefined> {
    const writer = await this.openWriter(threadId);
    const summary = writer
      ? {
          lastSeq: writer.ackedHead,
          status: writer.status,
          createdAt: writer.createdAt,
          updatedAt: writer.updatedAt,
        }
      : await this.summaries.get(threadId, this.pathOf(threadId));
    if (!summary || summary.lastSeq < 0) return undefined;
    return {
      threadId,
      createdAt: summary.createdAt,
      updatedAt: summary.updatedAt,
      eventCount: summary.lastSeq + 1,
      lastSeq: summary.lastSeq,
      status: summary.status,
    };
  }
}

/**
 * Removes a file, false when there was none. Synchronous, as the lock's file operations are: a few
 * µs on a local disk, where a round trip through libuv's thread pool costs 25–200 µs.
 */
function removeFile(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

/** Loom errors pass through; a file system error becomes a `JournalError` with code `io`. */
function asJournalError(error: unknown, what: string): unknown {
  if (LoomError.isInstance(error) || !(error instanceof Error)) return error;
  return new JournalError(
    "io",
    `Could not ${what}: ${error.message}. Check that the journal folder exists, is writable and has free space.`,
    { cause: error },
  );
}

class LockBusy extends Error {
  constructor(
    readonly details: { reason: string; owner: string; lockFile: string; holderPid: number | undefined },
  ) {
    super(details.reason);
  }
}

function warnRecovered(report: RecoveryReport): void {
  const what =
    report.action === "truncated"
      ? `cut ${report.droppedBytes} bytes after its last complete batch (${report.droppedEvents} whole events of an unfinished batch among them; none had been acknowledged)`
      : "added the missing newline after its last complete batch";
  process.emitWarning(
    `Thread "${report.threadId}" (${report.file}) ended torn, as after a crash: ${what}. It now ends at seq ${report.lastSeq}.`,
    { code: "LOOM_JOURNAL_RECOVERED" },
  );
}
