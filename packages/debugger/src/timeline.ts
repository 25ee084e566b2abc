import { emptyFrame, type FrameStatus, findFrame, fold, type StoredEvent } from "@loom/core";
import { type EventsInput, normalizeEvents } from "./events-input.js";

/** The state of the event's frame right after one event, from core's own `fold`. */
export interface TimelineEntry {
  readonly seq: number;
  readonly ts: number;
  readonly type: StoredEvent["type"];
  readonly frameId: string;
  readonly depth: number;
  /** Status of the event's frame after it; undefined when the events never introduced that frame. */
  readonly status: FrameStatus | undefined;
  readonly iteration: number;
  /** The frame's context size at its last `context.assembled`. */
  readonly contextTokens: number | undefined;
  /** Usage the provider reported for the frame so far. */
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** The root frame's status after the event: what `stateAt(journal, threadId, seq).status` says. */
  readonly rootStatus: FrameStatus;
}

/** One entry per event: how each step moved its frame, for a CLI listing or a time-travel slider. */
export function timeline(input: EventsInput): TimelineEntry[] {
  const events = normalizeEvents(input);
  let root = emptyFrame(events[0]?.threadId ?? "");
  const contextTokens = new Map<string, number>();
  return events.map((event) => {
    root = fold(root, event);
    if (event.type === "context.assembled") contextTokens.set(event.frameId, event.data.totalTokens);
    const frame = findFrame(root, event.frameId);
    return {
      seq: event.seq,
      ts: event.ts,
      type: event.type,
      frameId: event.frameId,
      depth: event.depth,
      status: frame?.status,
      iteration: frame?.iteration ?? event.iteration,
      contextTokens: contextTokens.get(event.frameId),
      inputTokens: frame?.usage.inputTokens ?? 0,
      outputTokens: frame?.usage.outputTokens ?? 0,
      rootStatus: root.status,
    };
  });
}
