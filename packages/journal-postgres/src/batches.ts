import { EventSchemaError, JournalCorruptionError, parseEvent, type StoredEvent } from "@loom/core";

/** One row of the batches table, as node-postgres returns it: one append's events (ADR 0013). */
export interface BatchRow {
  readonly first_seq: number;
  readonly last_seq: number;
  readonly events: string;
}

export const BATCH_COLUMNS = "first_seq, last_seq, events";

/**
 * A batch's `events` text: the events as one JSON array, each without its `threadId` (the row's key
 * holds it, and a fork copies the text as it is). `JSON.stringify` writes an unpaired surrogate and a
 * NUL as escapes, so every string an event can hold is stored and read back as it was.
 */
export function batchText(events: readonly StoredEvent[]): string {
  return JSON.stringify(
    events.map((e) => ({
      v: e.v,
      seq: e.seq,
      runId: e.runId,
      ts: e.ts,
      frameId: e.frameId,
      parentFrameId: e.parentFrameId,
      depth: e.depth,
      iteration: e.iteration,
      type: e.type,
      data: e.data,
    })),
  );
}

/** The seq of the batch's first snapshot event, which the snapshot index is keyed by; null if none. */
export function firstSnapshotSeq(events: readonly StoredEvent[]): number | null {
  return events.find((e) => e.type === "snapshot")?.seq ?? null;
}

/**
 * The events of a stored batch, validated with core's schemas. A row whose text does not parse, or
 * whose events are not its seqs in order, is a `JournalCorruptionError` naming the row.
 */
export function batchEvents(threadId: string, row: BatchRow, schema: string): StoredEvent[] {
  const where = `${schema}.batches thread "${threadId}" seqs ${row.first_seq} to ${row.last_seq}`;
  const fix =
    "The row is left as it is; fix or remove it by hand, or read the thread with a newer @loom/core.";
  let raw: unknown;
  try {
    raw = JSON.parse(row.events);
  } catch (error) {
    throw new JournalCorruptionError(where, `Its events are not JSON. ${fix}`, { cause: error });
  }
  if (!Array.isArray(raw) || raw.length !== row.last_seq - row.first_seq + 1) {
    throw new JournalCorruptionError(
      where,
      `Its events are not a JSON array of ${row.last_seq - row.first_seq + 1} events. ${fix}`,
    );
  }
  return raw.map((stored: unknown, index) => {
    const seq = row.first_seq + index;
    const fields = typeof stored === "object" && stored !== null ? (stored as Record<string, unknown>) : {};
    if (fields.seq !== seq) {
      throw new JournalCorruptionError(where, `Its event ${index} is not seq ${seq}. ${fix}`);
    }
    try {
      return parseEvent({ ...fields, threadId });
    } catch (error) {
      if (!EventSchemaError.isInstance(error)) throw error;
      throw new JournalCorruptionError(`${where}, seq ${seq}`, `${error.message} ${fix}`, { cause: error });
    }
  });
}
