import type { HookError } from "./errors.js";
import type { AgentEvent, EventData, EventType, NewEvent, StoredEvent } from "./events.js";
import { EVENT_VERSION, sealEvents, toWellFormed } from "./events.js";
import { type ExecutionFrame, findFrame, fold } from "./frame.js";
import type { Journal } from "./journal.js";
import { EVENT_FLOOR_BYTES, noteEvent, snapshotOf } from "./snapshot.js";
import type { KeptThread } from "./thread-states.js";

/** When a session journals a snapshot: see `SnapshotOptions`; `budget` is the most history tokens a request carries. */
export interface SnapshotPolicy {
  readonly everyEvents: number;
  readonly everyBytes: number;
  readonly sizeRatio: number;
  readonly budget: number;
}

/**
 * Writes a session keeps in flight on a journal that pipelines appends: the one landing and the next,
 * so the journal has the next statement before the last one commits (ADR 0016). More would only let
 * a run outpace its journal further.
 */
const MAX_WRITES_IN_FLIGHT = 2;

/** The `emit` of a run nobody streams: the executor then skips building transient events. */
export const IGNORE_EVENTS = (_event: AgentEvent): void => undefined;

/**
 * One process's hold on a thread while it runs: every frame of the thread (root and sub-agents)
 * hands its events to it. Each event is folded into the thread's state (with the same `fold` that
 * `resume` uses) when it is handed over, so seqs follow the order the state saw the events; the
 * journal gets them in that order, one write at a time (two at most on a journal that pipelines
 * appends), and they are emitted to the caller only once durable.
 */
export class ThreadSession {
  root: ExecutionFrame;

  constructor(
    readonly journal: Journal,
    readonly threadId: string,
    root: ExecutionFrame,
    readonly runId: string,
    readonly emit: (event: AgentEvent) => void,
    readonly now: () => number,
    readonly snapshots?: SnapshotPolicy,
    last?: StoredEvent,
  ) {
    this.root = root;
    this.durableSeq = root.lastSeq;
    this.sentSeq = root.lastSeq;
    this.lastDurable = last;
    this.maxWritesInFlight = journal.pipelinesAppends === true ? MAX_WRITES_IN_FLIGHT : 1;
    this.streaming = emit !== IGNORE_EVENTS;
  }

  /** A hook failure that paused a call for a human: the run ends paused and throws it. */
  pausedBy: HookError | undefined;

  /** False when nobody listens to transient events (`run`, `resume`). */
  readonly streaming: boolean;

  /** The seq of the last event the journal holds; events after it are folded but not yet written. */
  private durableSeq: number;
  /** The event at `durableSeq`, when known (the thread's last, as loaded or as written since). */
  private lastDurable: StoredEvent | undefined;
  /** Events folded into `root`, in seq order, not yet handed to the journal. */
  private queued: StoredEvent[] = [];
  /** The same events as they were handed over (without thread id and seq): what the journal takes. */
  private queuedNew: NewEvent[] = [];
  /**
   * The last write's settling, if any is in flight. One at a time, unless the journal pipelines
   * appends (ADR 0016): then up to `MAX_WRITES_IN_FLIGHT`, each settled after the one before it.
   */
  private writing: Promise<void> | undefined;
  private writesInFlight = 0;
  /** The last seq handed to the journal: what the next write expects. */
  private sentSeq: number;
  private readonly maxWritesInFlight: number;
  /** Appends waiting for their events to be durable: resolved by seq. */
  private waiters: { seq: number; resolve: () => void; reject: (error: unknown) => void }[] = [];
  /** The last `appendBehind`'s events becoming durable: what the next one waits for. */
  private behind: Promise<void> | undefined;
  private flushTimer: ReturnType<typeof setImmediate> | undefined;
  private flushWanted = false;
  /** A write failed: the state holds events the journal may not, so nothing more is written. */
  private failure: { error: unknown } | undefined;
  /** Bytes (estimated) journaled since the last snapshot by this session. */
  private bytesSinceSnapshot = 0;
  /** Hashes of the texts sent since the last snapshot: the next one keeps them. */
  private readonly sentSinceSnapshot = new Set<string>();
  /** A snapshot was too big for what was written since the last one: wait until this many bytes. */
  private snapshotWaitBytes = 0;

  frame(frameId: string): ExecutionFrame {
    const frame = findFrame(this.root, frameId);
    if (!frame) throw new Error(`internal: frame "${frameId}" is not in thread "${this.threadId}"`);
    return frame;
  }

  /**
   * Folds `events` into the state now and resolves once they are durable. Events handed over while
   * a write is in flight are written together in the next one (group commit): parallel calls and
   * sub-agents share commits instead of queueing one commit each.
   */
  append(events: NewEvent[]): Promise<void> {
    const last = this.enqueue(events);
    if (last <= this.durableSeq) return Promise.resolve();
    const durable = new Promise<void>((resolve, reject) => this.waiters.push({ seq: last, resolve, reject }));
    this.kick();
    return durable;
  }

  /**
   * Folds `events` into the state now and starts their write, but resolves once the events of the
   * previous `appendBehind` are durable: the step after it runs while its write is in flight, one
   * write behind at most. For a turn of read-only calls (ADR 0015), whose running before their
   * record is durable changes nothing a crash could not redo.
   */
  appendBehind(events: NewEvent[]): Promise<void> {
    const durable = this.append(events);
    // A failed write poisons the session: the next append, stage or appendBehind throws it.
    durable.catch(() => undefined);
    const previous = this.behind;
    this.behind = durable;
    return previous ?? Promise.resolve();
  }

  /**
   * Folds `events` into the state now and writes them soon (at the latest once the current
   * macrotask ends), without waiting: for steps whose effect does not depend on them being durable.
   * Whatever is appended before then carries them in the same write, atomically. See ADR 0010 for
   * which events may be staged and what a crash before their write costs.
   */
  stage(events: NewEvent[]): Promise<void> {
    this.enqueue(events);
    this.flushWanted = true;
    this.flushSoon();
    return Promise.resolve();
  }

  private flushSoon(): void {
    this.flushTimer ??= setImmediate(() => {
      this.flushTimer = undefined;
      this.kick();
    });
  }

  /**
   * Ends the session's writing: what is staged is written (best effort when the run already failed),
   * and the write in flight is awaited, so nothing is written after the thread's lease is given up.
   */
  async close(): Promise<void> {
    if (this.flushTimer) clearImmediate(this.flushTimer);
    this.flushTimer = undefined;
    if (!this.failure && this.queued.length > 0) await this.append([]).catch(() => undefined);
    while (this.writing) await this.writing;
  }

  /**
   * The thread's state with its last event, once closed, if every event folded into it is durable
   * (nothing failed, nothing left unwritten): what a later run of this process may start from.
   */
  kept(): KeptThread | undefined {
    const last = this.lastDurable;
    // A failed or unfinished write leaves events folded past the last durable one.
    return last !== undefined && last.seq === this.root.lastSeq ? { frame: this.root, last } : undefined;
  }

  private enqueue(events: NewEvent[]): number {
    if (this.failure) throw this.failure.error;
    if (events.length === 0) return this.queued.at(-1)?.seq ?? this.durableSeq;
    const snapshot = this.snapshotDue();
    const handed = snapshot ? [snapshot, ...events] : events;
    const sealed = sealEvents(this.threadId, this.root.lastSeq, handed);
    for (let i = 0; i < sealed.length; i++) {
      const event = sealed[i]!;
      this.root = fold(this.root, event);
      this.queued.push(event);
      this.queuedNew.push(handed[i]!);
      if (this.snapshots) this.track(event);
    }
    return this.root.lastSeq;
  }

  /**
   * A snapshot of the state so far when one is due, to ride in front of the events being handed
   * over (never last in a write, so the thread's status is always that of a real event).
   */
  private snapshotDue(): NewEvent | undefined {
    const policy = this.snapshots;
    const root = this.root;
    if (!policy || root.lastSeq < 0) return undefined;
    const events = root.lastSeq - root.snapshotSeq;
    const bytes = Math.max(this.bytesSinceSnapshot, events * EVENT_FLOOR_BYTES);
    if ((events < policy.everyEvents && bytes < policy.everyBytes) || bytes < this.snapshotWaitBytes) {
      return undefined;
    }
    const snapshot = snapshotOf(root, policy.budget, this.sentSinceSnapshot);
    if (snapshot === undefined || snapshot.bytes > bytes * policy.sizeRatio) {
      // Not now: too big for what was written since, or the history it must keep is not loaded.
      this.snapshotWaitBytes = snapshot?.bytes ?? bytes + policy.everyBytes;
      return undefined;
    }
    return this.eventOf(root, "snapshot", { state: snapshot.state }, root.iteration);
  }

  private track(event: StoredEvent): void {
    if (event.type === "snapshot") {
      this.bytesSinceSnapshot = 0;
      this.snapshotWaitBytes = 0;
      this.sentSinceSnapshot.clear();
      return;
    }
    this.bytesSinceSnapshot += noteEvent(event, this.sentSinceSnapshot);
  }

  /**
   * Starts a write of everything queued, unless as many writes are in flight as the journal takes
   * (the last one to land starts the next).
   */
  private kick(): void {
    if (this.writesInFlight >= this.maxWritesInFlight || this.queued.length === 0 || this.failure) return;
    const batch = this.queued;
    const handed = this.queuedNew;
    this.queued = [];
    this.queuedNew = [];
    this.flushWanted = false;
    const expected = this.sentSeq;
    this.sentSeq = batch.at(-1)!.seq;
    let written: Promise<unknown>;
    try {
      written = this.journal.append(this.threadId, handed, expected);
    } catch (error) {
      written = Promise.reject(error);
    }
    this.writesInFlight++;
    const landed = () => {
      this.writesInFlight--;
      if (this.writing === settled) this.writing = undefined;
      // A write after one that failed is refused by the journal; the failure is told already.
      if (this.failure) return;
      this.lastDurable = batch.at(-1)!;
      this.durableSeq = this.lastDurable.seq;
      for (const event of batch) this.emit(event);
      const waiting = this.waiters;
      this.waiters = waiting.filter((w) => w.seq > this.durableSeq);
      for (const w of waiting) if (w.seq <= this.durableSeq) w.resolve();
      if (this.waiters.length > 0) this.kick();
      // Only staged events: written once the step under way has had its turn of the event loop,
      // so what it appends next rides in the same write rather than in one more.
      else if (this.flushWanted && this.writesInFlight === 0) this.flushSoon();
    };
    const failed = (error: unknown) => {
      this.writesInFlight--;
      if (this.writing === settled) this.writing = undefined;
      if (this.failure) return;
      this.failure = { error };
      const waiting = this.waiters;
      this.waiters = [];
      for (const w of waiting) w.reject(error);
    };
    // Settled in the order written, whatever order the journal settles them in.
    let settled: Promise<void>;
    if (this.writing) {
      written.catch(() => undefined); // handled once the write before it has settled
      settled = this.writing.then(() => written).then(landed, failed);
    } else {
      settled = written.then(landed, failed);
    }
    this.writing = settled;
  }

  event<T extends EventType>(
    frame: ExecutionFrame,
    type: T,
    data: EventData<T>,
    iteration: number = frame.iteration,
  ): NewEvent {
    return this.eventOf(frame, type, toWellFormed(data), iteration);
  }

  /** An event of `data` whose strings are all well-formed already. */
  private eventOf<T extends EventType>(
    frame: ExecutionFrame,
    type: T,
    data: EventData<T>,
    iteration: number,
  ): NewEvent {
    return {
      v: EVENT_VERSION,
      runId: this.runId,
      ts: this.now(),
      frameId: frame.frameId,
      ...(frame.parentFrameId !== undefined ? { parentFrameId: frame.parentFrameId } : {}),
      depth: frame.depth,
      iteration,
      type,
      data,
    } as NewEvent;
  }
}
