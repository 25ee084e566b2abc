import { type AgentEvent, EventSchemaError, parseEvent, type StoredEvent } from "@loom/core";
import { DebuggerError } from "./errors.js";

const TRANSIENT = new Set(["llm.delta", "tool.progress"]);

/** What the debugger reads: journaled events, an agent's stream (transient events are skipped), or parsed JSON. */
export type EventsInput = Iterable<AgentEvent | StoredEvent | unknown>;

/**
 * Validates events with core's schemas, skips transient ones, and orders them by seq. All events
 * must belong to one thread; gaps are allowed (a slice of a thread can be explained).
 */
export function normalizeEvents(input: EventsInput): StoredEvent[] {
  if (input === null || typeof input !== "object" || !(Symbol.iterator in input)) {
    throw new DebuggerError(
      "invalid_events",
      `Expected an array of events (from a journal, an agent's stream, or JSON), got ${input === null ? "null" : typeof input}.`,
    );
  }
  const events: StoredEvent[] = [];
  let index = 0;
  for (const raw of input) {
    const type = (raw as { type?: unknown } | null)?.type;
    if (typeof type === "string" && TRANSIENT.has(type)) {
      index++;
      continue;
    }
    try {
      events.push(parseEvent(raw));
    } catch (error) {
      if (!EventSchemaError.isInstance(error)) throw error;
      throw new DebuggerError(
        "invalid_events",
        `Event at index ${index} is not a Loom event: ${error.message} Pass events read from a journal or streamed by an agent.`,
        { cause: error },
      );
    }
    index++;
  }
  events.sort((a, b) => a.seq - b.seq);
  for (let i = 1; i < events.length; i++) {
    if (events[i]!.seq === events[i - 1]!.seq) {
      throw new DebuggerError(
        "invalid_events",
        `Two events have seq ${events[i]!.seq}; a thread's seqs are unique. Pass each event once.`,
      );
    }
  }
  const threads = new Set(events.map((e) => e.threadId));
  if (threads.size > 1) {
    throw new DebuggerError(
      "mixed_threads",
      `The events belong to ${threads.size} threads (${[...threads].slice(0, 3).join(", ")}); pass the events of one thread.`,
    );
  }
  return events;
}
