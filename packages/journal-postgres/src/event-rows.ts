import { EventSchemaError, JournalCorruptionError, parseEvent, type StoredEvent } from "@loom/core";

/** One row of the events table, as node-postgres returns it. */
export interface EventRow {
  readonly thread_id: string;
  readonly seq: number;
  readonly v: number;
  readonly type: string;
  readonly run_id: string;
  readonly ts: number;
  readonly frame_id: string;
  readonly parent_frame_id: string | null;
  readonly depth: number;
  readonly iteration: number;
  readonly data: unknown;
}

export const EVENT_COLUMNS =
  "thread_id, seq, v, type, run_id, ts, frame_id, parent_frame_id, depth, iteration, data";

/**
 * The batch as one JSON array of rows for `json_to_recordset` (`EVENT_RECORDSET`): one parameter,
 * one `JSON.stringify`, instead of ten arrays the driver turns into array literals and escapes
 * element by element (a third of an append's CPU in the client). The event's `data` is embedded as
 * JSON, and becomes jsonb in the insert.
 */
export function eventRowsJson(events: readonly StoredEvent[]): string {
  return JSON.stringify(
    events.map((e) => ({
      seq: e.seq,
      v: e.v,
      type: e.type,
      run_id: e.runId,
      ts: e.ts,
      frame_id: e.frameId,
      parent_frame_id: e.parentFrameId ?? null,
      depth: e.depth,
      iteration: e.iteration,
      data: e.data,
    })),
  );
}

/** The rows of `eventRowsJson` (parameter $2), in `EVENT_COLUMNS` order after thread_id. */
export const EVENT_RECORDSET =
  "json_to_recordset($2::json) AS e(seq integer, v smallint, type text, run_id text, ts double precision, frame_id text, parent_frame_id text, depth integer, iteration integer, data jsonb)";

/** Turns a row back into an event, validated with core's schemas. */
export function rowToEvent(row: EventRow, schema: string): StoredEvent {
  const raw = {
    v: row.v,
    threadId: row.thread_id,
    seq: row.seq,
    runId: row.run_id,
    ts: row.ts,
    frameId: row.frame_id,
    ...(row.parent_frame_id !== null ? { parentFrameId: row.parent_frame_id } : {}),
    depth: row.depth,
    iteration: row.iteration,
    type: row.type,
    data: row.data,
  };
  try {
    return parseEvent(raw);
  } catch (error) {
    if (!EventSchemaError.isInstance(error)) throw error;
    throw new JournalCorruptionError(
      `${schema}.events thread "${row.thread_id}" seq ${row.seq}`,
      `${error.message} The row is left as it is; fix or remove it by hand, or read the thread with a newer @loom/core.`,
      { cause: error },
    );
  }
}
