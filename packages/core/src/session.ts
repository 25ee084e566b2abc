import type { AgentEvent, EventData, EventType, NewEvent } from "./events.js";
import { EVENT_VERSION, sealEvents } from "./events.js";
import { type ExecutionFrame, findFrame, fold } from "./frame.js";
import type { Journal } from "./journal.js";

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
  }

  frame(frameId: string): ExecutionFrame {
    const frame = findFrame(this.root, frameId);
    if (!frame) throw new Error(`internal: frame "${frameId}" is not in thread "${this.threadId}"`);
    return frame;
  }

  /** Appends one batch (one journal write) after everything appended before it. */
  append(events: NewEvent[]): Promise<void> {
    const done = this.pending === 0 ? this.write(events) : this.tail.then(() => this.write(events));
    this.pending++;
    this.tail = done.then(
      () => void this.pending--,
      () => void this.pending--,
    );
    return done;
  }

  private pending = 0;

  private async write(events: NewEvent[]): Promise<void> {
    const expected = this.root.lastSeq;
    await this.journal.append(this.threadId, events, expected);
    const sealed = sealEvents(this.threadId, expected, events);
    for (const event of sealed) this.root = fold(this.root, event);
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
      data,
    } as NewEvent;
  }
}
