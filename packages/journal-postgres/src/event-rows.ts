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
 * Column arrays for one multi-row `INSERT ... SELECT FROM unnest(...)`, in `EVENT_COLUMNS` order after
 * thread_id. `dataJson` is each event's `JSON.stringify(data)`.
 */
export function eventColumns(events: readonly StoredEvent[], dataJson: readonly string[]): unknown[] {
  return [
    events.map((e) => e.seq),
    events.map((e) => e.v),
    events.map((e) => e.type),
    events.map((e) => e.runId),
    events.map((e) => e.ts),
    events.map((e) => e.frameId),
    events.map((e) => e.parentFrameId ?? null),
    events.map((e) => e.depth),
    events.map((e) => e.iteration),
    dataJson,
  ];
}

export const UNNEST_EVENTS =
  "unnest($2::integer[], $3::smallint[], $4::text[], $5::text[], $6::double precision[], $7::text[], $8::text[], $9::integer[], $10::integer[], $11::jsonb[])";

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
