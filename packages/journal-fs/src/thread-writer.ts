import fs, { constants } from "node:fs";
import { rename, unlink } from "node:fs/promises";
import {
  type FrameStatus,
  JournalConflictError,
  JournalError,
  LoomError,
  type NewEvent,
  parseEvent,
  sealEvents,
  threadStatusAfter,
} from "@loom/core";
import type { FsyncMode } from "./durability.js";
import { joinBatchTexts, serializeBatchText } from "./line-format.js";
import { OpenFile } from "./open-file.js";
import { scanTail } from "./tail-scan.js";

/** What `FsJournal` did to a thread file it found torn when it opened the thread for writing. */
export interface RecoveryReport {
  readonly threadId: string;
  readonly file: string;
  /**
   * `truncated`: the end of the file after the last complete batch was cut off (a batch whose last
   * line was never written, or a torn line). `newline-added`: the last batch was complete but its final
   * newline was missing; nothing was removed.
   */
  readonly action: "truncated" | "newline-added";
  readonly droppedBytes: number;
  /** Whole events cut off with an unfinished batch. They were never acknowledged to a writer. */
  readonly droppedEvents: number;
  /** The thread's last seq after recovery, -1 if it has none. */
  readonly lastSeq: number;
}

/** The writer's share of its thread's lock: released once, when the writer closes. */
export interface HeldLock {
  release(): Promise<void>;
}

export interface ThreadWriterContext {
  readonly fsync: FsyncMode;
  readonly syncDirectory: () => Promise<void>;
  readonly report: (report: RecoveryReport) => void;
  /** Called once when a write or fsync fails: the journal forgets this writer. */
  readonly onFailure: (writer: ThreadWriter) => void;
  /** Called as each batch is acknowledged: where its first line starts, in the file with this inode. */
  readonly onAcknowledged: (firstSeq: number, offset: number, inode: number) => void;
}

interface PendingAppend {
  readonly lastSeq: number;
  readonly status: FrameStatus | undefined;
  end: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** An append `"batch"` holds while the write or fsync before it runs: written with the others held. */
interface HeldAppend {
  readonly text: string;
  readonly length: number;
  readonly pending: PendingAppend;
}

// No O_APPEND: every write names its offset (Linux ignores the offset of a write to an O_APPEND
// file), because with a zero tail the content does not end where the file does.
const OPEN_FLAGS = constants.O_RDWR;
const CREATE_FLAGS = constants.O_RDWR | constants.O_CREAT | constants.O_EXCL;

/**
 * With `fsync: "always"` or `"batch"`, the file is kept ahead of its content by a region of zeros
 * that were written and synced, and each batch is written into it in place: the file's size and
 * extents stay as they are, so `fdatasync` has only the batch's pages to write (about 100 µs here,
 * against 165 µs for a write that extends the file). ADR 0003, addendum. The region grows with the
 * content (a short thread wastes little disk), from 64 KiB to 256 KiB. Only one batch at a time may
 * be written and not yet synced (the file-reading side relies on it: zeros are only ever in the last
 * batch), so `"batch"` holds the appends that come while a write or fsync runs and writes them
 * together as one batch once it is done (ADR 0003, second addendum).
 */
const ZERO_TAIL_MIN = 64 * 1024;
const ZERO_TAIL_MAX = 256 * 1024;
let zeros: Buffer | undefined;
/**
 * Batches a writer appends at the file's end before it lays down zeros. Zeros cost a write of 64 KiB
 * or more, one more `fdatasync` and a cut at close; each batch written into them saves about 70 µs.
 * A chat's short run writes two or three batches, which extending costs less than zeros would.
 */
export const EXTEND_FIRST = 4;

let nextWriterId = 1;
/**
 * The writer (of any thread, any journal) that appended last in this process. In `"always"` mode, a
 * writer that appends again with no other thread's append in between has the event loop to itself:
 * its fdatasync runs right there instead of in libuv's pool, whose two cross-thread wake-ups cost
 * 20–45 µs per fsync on this machine (README, "Measured"). As soon as threads interleave, fsyncs go
 * back to the pool, where those of different threads overlap.
 */
let lastAppender = 0;

/**
 * Appends synced on the calling thread since the event loop last turned. A run whose every step
 * resolves at once (an instant model) would otherwise keep the event loop from timers and I/O for
 * the whole run; past this many, an append's fsync goes to the pool, and the loop turns while it runs.
 */
let syncedSinceTurn = 0;
const SYNCED_PER_TURN = 8;

function syncedHere(): void {
  if (syncedSinceTurn++ === 0) {
    setImmediate(() => {
      syncedSinceTurn = 0;
    });
  }
}

/**
 * The one writer of a thread in this process, holding its lock. Appends are checked and numbered
 * synchronously (so racing appends cannot both win a seq), written in order as one `write` per batch,
 * and acknowledged in order once durable as the fsync mode says. Readers in this process see only
 * acknowledged events.
 */
export class ThreadWriter {
  /** Seq of the last event handed to the file, acknowledged or not. */
  private reservedHead: number;
  private reservedStatus: FrameStatus | undefined;
  /** Seq, byte end and status of the last acknowledged event. */
  ackedHead: number;
  ackedEnd: number;
  status: FrameStatus | undefined;
  createdAt: number;
  updatedAt: number;

  private readonly id = nextWriterId++;
  private writtenEnd: number;
  /** The inode of the thread file, once there is one. */
  private inode: number | undefined;
  /** The file's size: past `writtenEnd`, zeros (a preallocated region) when it is larger. */
  private fileSize: number;
  private readonly preallocates: boolean;
  /** Batches this writer has written. */
  private batchesWritten = 0;
  private directoryDirty = false;
  private queue: Promise<void> = Promise.resolve();
  /** `"batch"`: appends waiting for the task before them, to be written as one batch (`writeHeld`). */
  private held: HeldAppend[] = [];
  private failure: unknown;
  private closed = false;
  private inFlight = 0;
  /** Tasks (writes, fsyncs, forks) queued and not finished. */
  private tasks = 0;

  private constructor(
    readonly threadId: string,
    readonly path: string,
    private readonly lock: HeldLock,
    private readonly context: ThreadWriterContext,
    private file: OpenFile | undefined,
    state: {
      inode: number | undefined;
      head: number;
      end: number;
      size: number;
      status: FrameStatus | undefined;
      createdAt: number;
      updatedAt: number;
    },
  ) {
    this.reservedHead = this.ackedHead = state.head;
    this.writtenEnd = this.ackedEnd = state.end;
    this.inode = state.inode;
    this.fileSize = state.size;
    this.preallocates = context.fsync !== "never";
    this.reservedStatus = this.status = state.status;
    this.createdAt = state.createdAt;
    this.updatedAt = state.updatedAt;
  }

  /** Opens (or prepares to create) a thread's file, recovering a torn end. The lock is already held. */
  static async open(
    threadId: string,
    path: string,
    lock: HeldLock,
    context: ThreadWriterContext,
  ): Promise<ThreadWriter> {
    const file = OpenFile.openIfExists(path, OPEN_FLAGS);
    if (!file) {
      const now = Date.now();
      return new ThreadWriter(threadId, path, lock, context, undefined, {
        inode: undefined,
        head: -1,
        end: 0,
        size: 0,
        status: undefined,
        createdAt: now,
        updatedAt: now,
      });
    }
    try {
      const stats = file.stat();
      const tail = await scanTail(file, stats.size, threadId, path);
      let end = tail.committedEnd;
      let size = stats.size;
      let synced = false;
      if (tail.tornBytes > 0) {
        // The zero tail goes too: the next write lays down fresh zeros, none left over from a torn batch.
        await file.truncate(tail.committedEnd);
        size = tail.committedEnd;
        if (context.fsync !== "never") await file.datasync();
        synced = true;
        context.report({
          threadId,
          file: path,
          action: "truncated",
          droppedBytes: tail.tornBytes,
          droppedEvents: tail.tornEvents,
          lastSeq: tail.lastSeq,
        });
      } else if (tail.missingNewline) {
        await file.write(Buffer.from("\n"), 0, 1, end);
        if (context.fsync !== "never") await file.datasync();
        synced = true;
        end += 1;
        size = Math.max(size, end);
        context.report({
          threadId,
          file: path,
          action: "newline-added",
          droppedBytes: 0,
          droppedEvents: 0,
          lastSeq: tail.lastSeq,
        });
      }
      if (size > end && context.fsync === "never") {
        // Left by a writer that did not close (it cuts its zero tail when it does); this mode appends
        // instead (batches that are never synced must not sit in a zero region).
        await file.truncate(end);
        size = end;
        if (context.fsync !== "never") await file.datasync();
      } else if (size > end && !synced) {
        // The zeros, and a batch a killed writer wrote but never synced, reach the disk before the
        // first write into the zeros: only the batch being written can ever be partly on disk.
        await file.datasync();
      }
      return new ThreadWriter(threadId, path, lock, context, file, {
        inode: stats.ino,
        head: tail.lastSeq,
        end,
        size,
        status: tail.status,
        createdAt: stats.birthtimeMs > 0 ? stats.birthtimeMs : stats.mtimeMs,
        updatedAt: stats.mtimeMs,
      });
    } catch (error) {
      file.close();
      throw error;
    }
  }

  /** No append or fork is in flight, and the writer is open: it can be closed without waiting. */
  get idle(): boolean {
    return this.inFlight === 0 && !this.closed && this.failure === undefined;
  }

  /** Closed (by the journal, or retired to free its file and lock): get a new writer instead. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** The head an appender must name; includes appends not yet acknowledged. */
  get head(): number {
    return this.reservedHead;
  }

  append(events: readonly NewEvent[], expectedSeq: number): Promise<{ lastSeq: number }> {
    if (this.closed) return Promise.reject(closedError());
    if (this.failure !== undefined) return Promise.reject(this.failedError());
    if (expectedSeq !== this.reservedHead) {
      return Promise.reject(new JournalConflictError(this.threadId, expectedSeq, this.reservedHead));
    }
    if (events.length === 0) return Promise.resolve({ lastSeq: expectedSeq });
    let text: string;
    let length: number;
    let status = this.reservedStatus;
    try {
      // Validate the whole batch before any of it is written: all or none.
      const sealed = sealEvents(this.threadId, expectedSeq, events).map((event) => parseEvent(event));
      for (const event of sealed) status = threadStatusAfter(status, event);
      text = serializeBatchText(sealed);
      length = Buffer.byteLength(text);
    } catch (error) {
      return Promise.reject(error);
    }
    const lastSeq = expectedSeq + events.length;
    this.reservedHead = lastSeq;
    this.reservedStatus = status;
    const alone = lastAppender === this.id;
    lastAppender = this.id;
    if (this.file && this.tasks === 0 && !this.needsZeros(length)) {
      // Nothing is queued before it, so it is written here and now, in order by construction: one
      // write(2) on this thread instead of a round trip through libuv's pool, which cost more than
      // the write itself.
      const result = { lastSeq };
      const pending: PendingAppend = {
        lastSeq,
        status,
        end: 0,
        resolve: () => undefined,
        reject: () => undefined,
      };
      // The only thread appending in this process syncs here and now (see lastAppender).
      const syncHere =
        this.context.fsync === "always" && alone && !this.directoryDirty && syncedSinceTurn < SYNCED_PER_TURN;
      try {
        this.writeAll(text, length, pending);
        if (syncHere) {
          syncedHere();
          fs.fdatasyncSync(this.file.fd);
        }
      } catch (error) {
        return new Promise((_, reject) => this.fail(error, [{ ...pending, reject }]));
      }
      if (syncHere || this.context.fsync === "never") {
        this.acknowledge(pending);
        return Promise.resolve(result);
      }
      return this.track(
        new Promise<void>((resolve, reject) => {
          const durable: PendingAppend = { ...pending, resolve, reject };
          this.enqueue(durable, () => this.makeWrittenDurable(durable));
        }),
      ).then(() => result);
    }
    return this.track(
      new Promise<void>((resolve, reject) => {
        const pending: PendingAppend = { lastSeq, status, end: 0, resolve, reject };
        if (this.context.fsync === "batch") this.hold({ text, length, pending });
        else this.enqueue(pending, () => this.write(text, length, pending));
      }),
    ).then(() => ({ lastSeq }));
  }

  /**
   * Group commit, as `"batch"` does it: an append that comes while a write, fsync or fork of the
   * thread runs waits, with every other that comes meanwhile, and they are written as one batch
   * (one `write(2)`, one `fdatasync`) once that task is done.
   */
  private hold(append: HeldAppend): void {
    this.held.push(append);
    // A group task is queued (and has not started) while anything is held: it takes this one too.
    if (this.held.length > 1) return;
    this.tasks++;
    this.queue = this.queue.then(async () => {
      const group = this.held;
      this.held = [];
      try {
        if (this.failure !== undefined) throw this.failure;
        await this.writeHeld(group);
      } catch (error) {
        this.fail(
          error,
          group.map((held) => held.pending),
        );
      } finally {
        this.tasks--;
      }
    });
  }

  private async writeHeld(group: readonly HeldAppend[]): Promise<void> {
    if (group.length === 1) {
      const [only] = group;
      return this.write(only!.text, only!.length, only!.pending);
    }
    const joined = joinBatchTexts(group.map((held) => held.text));
    const length = joined.extraBytes + group.reduce((sum, held) => sum + held.length, 0);
    await this.makeRoom(length);
    let end = this.writtenEnd;
    this.writeAll(joined.text, length, group.at(-1)!.pending);
    // Where each append ends in the batch: its own bytes, and the continuation its last line gained
    // (every append's but the last).
    for (const [index, held] of group.entries()) {
      end += held.length + (index < group.length - 1 ? joined.extraPerText : 0);
      held.pending.end = end;
    }
    await this.makeDurable();
    for (const held of group) this.acknowledge(held.pending);
  }

  /**
   * Makes this (empty) thread a copy of another thread's first `atSeq + 1` events. `fill` writes the
   * copy into a temporary file, which then replaces the thread file in one rename.
   */
  fork(
    atSeq: number,
    temporaryPath: string,
    fill: (temporaryPath: string) => Promise<{ status: FrameStatus | undefined; size: number }>,
  ): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    if (this.failure !== undefined) return Promise.reject(this.failedError());
    if (this.reservedHead !== -1) {
      return Promise.reject(
        new JournalError("thread_exists", `Cannot fork into "${this.threadId}": that thread already exists.`),
      );
    }
    this.reservedHead = atSeq;
    return this.track(
      new Promise<void>((resolve, reject) => {
        const pending: PendingAppend = { lastSeq: atSeq, status: undefined, end: 0, resolve, reject };
        this.enqueue(pending, async () => {
          let filled: { status: FrameStatus | undefined; size: number };
          try {
            filled = await fill(temporaryPath);
            this.file?.close();
            this.file = undefined;
            await rename(temporaryPath, this.path);
          } catch (error) {
            await unlink(temporaryPath).catch(() => {});
            throw error;
          }
          this.file = this.openFile(OPEN_FLAGS);
          if (this.context.fsync !== "never") await this.context.syncDirectory();
          this.writtenEnd = filled.size;
          this.fileSize = filled.size;
          this.reservedStatus = filled.status;
          this.acknowledge({ ...pending, status: filled.status, end: filled.size });
        });
      }),
    );
  }

  private track<T>(operation: Promise<T>): Promise<T> {
    this.inFlight++;
    return operation.finally(() => {
      this.inFlight--;
    });
  }

  /** Waits for every write and fsync, then closes the file and lets go of its share of the lock. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    if (this.file && this.failure === undefined && this.fileSize > this.writtenEnd) {
      // At rest the file is plain JSON Lines again (jq, grep). Not synced, and a failure is left
      // alone: a zero tail that stays is read past, and the next writer cuts or reuses it.
      await this.file.truncate(this.writtenEnd).catch(() => {});
    }
    this.file?.close();
    this.file = undefined;
    await this.lock.release();
  }

  private enqueue(pending: PendingAppend, task: () => Promise<void>): void {
    this.tasks++;
    this.queue = this.queue.then(async () => {
      try {
        if (this.failure !== undefined) return pending.reject(this.failedError());
        await task();
      } catch (error) {
        this.fail(error, [pending]);
      } finally {
        this.tasks--;
      }
    });
  }

  /** Hands the whole batch to the file at the end of its content (a short write goes on from where it stopped). */
  private writeAll(text: string, length: number, pending: PendingAppend): void {
    const fd = this.file!.fd;
    // The text as it is (node encodes it without a Buffer of its own); a short write, rare on a file,
    // goes on from an encoded copy.
    let done = fs.writeSync(fd, text, this.writtenEnd, "utf8");
    if (done < length) {
      const bytes = Buffer.from(text, "utf8");
      while (done < length) done += fs.writeSync(fd, bytes, done, length - done, this.writtenEnd + done);
    }
    this.writtenEnd += length;
    this.batchesWritten++;
    this.fileSize = Math.max(this.fileSize, this.writtenEnd);
    pending.end = this.writtenEnd;
  }

  /** Opens the thread's file again (created, or renamed into place by a fork), noting its inode. */
  private openFile(flags: number): OpenFile {
    const file = OpenFile.open(this.path, flags);
    this.inode = file.stat().ino;
    return file;
  }

  private async write(text: string, length: number, pending: PendingAppend): Promise<void> {
    await this.makeRoom(length);
    this.writeAll(text, length, pending);
    return this.makeWrittenDurable(pending);
  }

  /** Creates the file, or lays down zeros, where a batch of `length` bytes needs it first. */
  private async makeRoom(length: number): Promise<void> {
    if (!this.file) {
      this.file = this.openFile(CREATE_FLAGS);
      this.directoryDirty = true;
    }
    if (this.needsZeros(length)) await this.layDownZeros(length);
  }

  /**
   * Whether zeros must be laid down before a batch of `length` bytes: it would reach the end of the
   * zeros (it must leave one after it), unless this writer is still appending its first batches to a
   * file without zeros (`EXTEND_FIRST`).
   */
  private needsZeros(length: number): boolean {
    if (!this.preallocates || this.writtenEnd + length < this.fileSize) return false;
    return this.fileSize > this.writtenEnd || this.batchesWritten >= EXTEND_FIRST;
  }

  /**
   * Writes zeros past the file's end, enough for a batch of `length` bytes and the next ones, and
   * syncs them before the batch goes in: every batch is written into zeros that are on disk, with
   * zeros after it, so a batch a power cut tore in place is always followed by zeros (ADR 0003,
   * addendum). One more `fdatasync`, every 64–256 KiB of content.
   */
  private async layDownZeros(length: number): Promise<void> {
    const file = this.file!;
    const tail = Math.min(ZERO_TAIL_MAX, Math.max(ZERO_TAIL_MIN, this.writtenEnd));
    const size = this.writtenEnd + length + tail;
    zeros ??= Buffer.alloc(ZERO_TAIL_MAX);
    for (let at = this.fileSize; at < size; ) {
      at += (await file.write(zeros, 0, Math.min(zeros.length, size - at), at)).bytesWritten;
    }
    await file.datasync();
    this.fileSize = size;
  }

  /** Acknowledges a written append once it is as durable as the fsync mode says. */
  private async makeWrittenDurable(pending: PendingAppend): Promise<void> {
    if (this.context.fsync !== "never") await this.makeDurable();
    return this.acknowledge(pending);
  }

  private async makeDurable(): Promise<void> {
    await this.file!.datasync();
    if (this.directoryDirty) {
      this.directoryDirty = false;
      await this.context.syncDirectory();
    }
  }

  private acknowledge(pending: PendingAppend): void {
    // Batches are acknowledged in order, each right after the one before it in the file.
    if (this.inode !== undefined) this.context.onAcknowledged(this.ackedHead + 1, this.ackedEnd, this.inode);
    this.ackedHead = pending.lastSeq;
    this.ackedEnd = pending.end;
    this.status = pending.status;
    this.updatedAt = Date.now();
    pending.resolve();
  }

  private fail(error: unknown, pending: PendingAppend[]): void {
    const first = this.failure === undefined;
    if (first) this.failure = error;
    for (const p of [...pending, ...this.held.splice(0).map((held) => held.pending)]) {
      p.reject(first && LoomError.isInstance(error) ? error : this.failedError());
    }
    if (first) this.context.onFailure(this);
  }

  private failedError(): JournalError {
    const reason = this.failure instanceof Error ? this.failure.message : String(this.failure);
    return new JournalError(
      "io",
      `Writing thread "${this.threadId}" to ${this.path} failed (${reason}). Appends not yet acknowledged may or may not be in the file. Retry with the thread's current head: the thread is reopened and its end recovered.`,
      { cause: this.failure },
    );
  }
}

function closedError(): JournalError {
  return new JournalError("journal_closed", "This FsJournal was closed; create a new one.");
}
