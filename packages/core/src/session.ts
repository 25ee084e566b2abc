import type { HookError } from "./errors.js";
import type { AgentEvent, EventData, EventType, NewEvent } from "./events.js";
import { EVENT_VERSION, sealEvents, toWellFormed } from "./events.js";
import { type ExecutionFrame, findFrame, fold } from "./frame.js";
import type { Journal } from "./journal.js";

/** The `emit` of a run nobody streams: the executor then skips building transient events. */
export const IGNORE_EVENTS = (_event: AgentEvent): void => undefined;

/**
 * One process's hold on a thread while it runs: every frame of the thread (root and sub-agents)
 * appends through it, one batch at a time, and each durable event is folded into the thread's
 * state with the same `fold` that `resume` uses before anyone sees it.
 */
export class ThreadSession {
  private tail: Promise<unknown> = Promise.resolve();
  root: ExecutionFrame;

  constructor(
    readonly journal: Journal,
    readonly threadId: string,
    root: ExecutionFrame,
    readonly runId: string,
    readonly emit: (event: AgentEvent) => void,
    readonly now: () => number,
  ) {
    this.root = root;
    this.durableSeq = root.lastSeq;
    this.streaming = emit !== IGNORE_EVENTS;
  }

  /** A hook failure that paused a call for a human: the run ends paused and throws it. */
  pausedBy: HookError | undefined;

  /** False when nobody listens to transient events (`run`, `resume`). */
  readonly streaming: boolean;

  /** The seq of the last event the journal holds (staged events are not in it yet). */
  private durableSeq: number;

  frame(frameId: string): ExecutionFrame {
    const frame = findFrame(this.root, frameId);
    if (!frame) throw new Error(`internal: frame "${frameId}" is not in thread "${this.threadId}"`);
    return frame;
  }

  /** Appends one batch (one journal write) after everything appended before it. */
  append(events: NewEvent[]): Promise<void> {
    const staged = this.staged;
    const batch = staged.length > 0 ? [...staged, ...events] : events;
    this.staged = [];
    const done =
      this.pending === 0
        ? this.write(batch, staged.length)
        : this.tail.then(() => this.write(batch, staged.length));
    this.pending++;
    this.tail = done.then(
      () => void this.pending--,
      () => void this.pending--,
    );
    return done;
  }

  /**
   * Events that change nothing outside the journal (an iteration starting or ending) need not be
   * a write of their own: they are folded into the state now and journaled at the front of the
   * next append, atomically with it. A crash before that append loses only them, and the resumed
   * run takes the same step again. With a write in flight they are appended at once instead, so
   * seqs are handed out in the order the state saw the events.
   */
  stage(events: NewEvent[]): Promise<void> {
    if (this.pending > 0) return this.append(events);
    for (const event of sealEvents(this.threadId, this.root.lastSeq, events)) {
      this.root = fold(this.root, event);
    }
    this.staged.push(...events);
    return Promise.resolve();
  }

  private pending = 0;
  private staged: NewEvent[] = [];

  private async write(batch: NewEvent[], alreadyFolded: number): Promise<void> {
    const expected = this.durableSeq;
    await this.journal.append(this.threadId, batch, expected);
    this.durableSeq = expected + batch.length;
    const sealed = sealEvents(this.threadId, expected, batch);
    for (let i = alreadyFolded; i < sealed.length; i++) this.root = fold(this.root, sealed[i]!);
    for (const event of sealed) this.emit(event);
  }

  event<T extends EventType>(
    frame: ExecutionFrame,
    type: T,
    data: EventData<T>,
    iteration: number = frame.iteration,
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
      data: toWellFormed(data),
    } as NewEvent;
  }
}
