import { EventSchemaError, JournalCorruptionError, parseEvent, type StoredEvent } from "@loom/core";

/** One row of the batches table, as node-postgres returns it: one append's events (ADR 0013). */
export interface BatchRow {
  readonly first_seq: number;
  readonly last_seq: number;
  readonly events: string;
}

export const BATCH_COLUMNS = "first_seq, last_seq, events";

/** Fields an iteration's events usually share, written once per batch when all its events share them. */
const SHAREABLE = ["v", "runId", "frameId", "parentFrameId", "depth", "iteration", "ts"] as const;

/**
 * A batch's `events` text: `{"shared": {...}, "events": [...]}`, the fields every event of the batch
 * has alike once in `shared` (an iteration's 7 events share their run, frame and depth: a third of
 * the bytes), the rest of each event in order, without `threadId` (the row's key holds it, and a
 * fork copies the text as it is) and without `seq` (the row's `first_seq` plus the position).
 * `JSON.stringify` writes an unpaired surrogate and a NUL as escapes, so every string an event can
 * hold is stored and read back as it was.
 */
export function batchText(events: readonly StoredEvent[]): string {
  const first = events[0];
  const shared: Record<string, unknown> = {};
  const own = new Set<string>();
  for (const key of SHAREABLE) {
    if (first !== undefined && events.every((e) => e[key] === first[key])) shared[key] = first[key];
    else own.add(key);
  }
  return JSON.stringify({
    shared,
    events: events.map((e) => {
      const rest: Record<string, unknown> = {};
      for (const key of own) rest[key] = e[key as keyof StoredEvent];
      rest.type = e.type;
      rest.data = e.data;
      return rest;
    }),
  });
}

/** The seq of the batch's first snapshot event, which the snapshot index is keyed by; null if none. */
export function firstSnapshotSeq(events: readonly StoredEvent[]): number | null {
  return events.find((e) => e.type === "snapshot")?.seq ?? null;
}

/**
 * The events of a stored batch, validated with core's schemas. A row whose text does not parse, or
 * does not hold `last_seq - first_seq + 1` events, is a `JournalCorruptionError` naming the row.
 */
export function batchEvents(threadId: string, row: BatchRow, schema: string): StoredEvent[] {
  const where = `${schema}.batches thread "${threadId}" seqs ${row.first_seq} to ${row.last_seq}`;
  const fix =
    "The row is left as it is; fix or remove it by hand, or read the thread with a newer @loom/core.";
  const count = row.last_seq - row.first_seq + 1;
  let stored: { shared?: unknown; events?: unknown };
  try {
    stored = JSON.parse(row.events);
  } catch (error) {
    throw new JournalCorruptionError(where, `Its events are not JSON. ${fix}`, { cause: error });
  }
  const { shared, events } = typeof stored === "object" && stored !== null ? stored : {};
  if (!isRecord(shared) || !Array.isArray(events) || events.length !== count) {
    throw new JournalCorruptionError(
      where,
      `It does not hold its ${count} events with their shared fields. ${fix}`,
    );
  }
  return events.map((fields: unknown, index) => {
    const seq = row.first_seq + index;
    try {
      return parseEvent({ ...shared, ...(isRecord(fields) ? fields : {}), seq, threadId });
    } catch (error) {
      if (!EventSchemaError.isInstance(error)) throw error;
      throw new JournalCorruptionError(`${where}, seq ${seq}`, `${error.message} ${fix}`, { cause: error });
    }
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
