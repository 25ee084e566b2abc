import { type Journal, parseEvent, type StoredEvent } from "@loom/core";
import { EventSpans, type SpanOptions } from "./event-spans.js";
import { runTraceIdOf } from "./trace-ids.js";

export interface ExportThreadOptions extends SpanOptions {
  /** The thread to read, when the source is a journal. */
  readonly threadId?: string;
}

export interface ExportedThread {
  /** Events read. */
  readonly events: number;
  /** The trace id of each run found, in order: what to look up in Jaeger, Tempo or Langfuse. */
  readonly traceIds: readonly string[];
}

const isJournal = (source: unknown): source is Journal =>
  typeof source === "object" && source !== null && "specificationVersion" in source && "append" in source;

/**
 * Emits the spans of a stored thread, from its journal or its events, through `tracer`: the same
 * spans, with the same names, attributes, times and trace ids, as `tracedJournal` emits live. Spans
 * still open at the thread's last event (a crash, a run still going) end there with `loom.open`.
 * Flush your span processor afterwards (`provider.forceFlush()`).
 */
export async function exportThread(
  source: Journal | Iterable<StoredEvent> | AsyncIterable<StoredEvent>,
  options: ExportThreadOptions,
): Promise<ExportedThread> {
  let events: Iterable<StoredEvent> | AsyncIterable<StoredEvent>;
  if (isJournal(source)) {
    if (options.threadId === undefined)
      throw new TypeError("exportThread(journal, { tracer, threadId }): give the thread to export.");
    events = source.read(options.threadId);
  } else events = source;
  const threads = new Map<string, EventSpans>();
  const traceIds: string[] = [];
  let count = 0;
  for await (const raw of events) {
    const event = isJournal(source) ? raw : parseEvent(raw);
    let spans = threads.get(event.threadId);
    if (!spans) {
      spans = new EventSpans(options);
      threads.set(event.threadId, spans);
    }
    if (event.type === "run.started" && event.depth === 0)
      traceIds.push(runTraceIdOf(event.threadId, event.runId, event.data.trace));
    spans.add(event);
    count++;
  }
  for (const spans of threads.values()) spans.endAll();
  return { events: count, traceIds };
}
