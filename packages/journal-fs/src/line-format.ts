import { EventSchemaError, parseEvent, type StoredEvent } from "@loom/core";

/**
 * Every line but the last of a multi-event batch carries `"$more":true`: the batch goes on in the
 * next line. A line without it ends a batch. So a reader knows where batches end, and a batch torn
 * by a crash (some lines written, not its last) is recognised and left out as a whole.
 */
export const BATCH_CONTINUES = "$more";
const CONTINUES_SUFFIX = `,"${BATCH_CONTINUES}":true}`;

/** One write's worth of bytes: every event a line, `$more` on all but the last. */
export function serializeBatch(events: readonly StoredEvent[]): Buffer {
  return Buffer.from(serializeBatchText(events), "utf8");
}

/** The lines of a batch as text, newline included. */
export function serializeBatchText(events: readonly StoredEvent[]): string {
  let text = "";
  const last = events.length - 1;
  for (let i = 0; i <= last; i++) {
    const json = JSON.stringify(events[i]);
    text += i < last ? `${json.slice(0, -1)}${CONTINUES_SUFFIX}\n` : `${json}\n`;
  }
  return text;
}

/**
 * Several batches' texts as one batch (appends written together: `fsync: "batch"`): the last line of
 * every text but the last gains `"$more":true`, so a crash leaves all of them or none.
 * `extraPerText` is the bytes each of those gains (the marker is ASCII).
 */
export function joinBatchTexts(texts: readonly string[]): {
  text: string;
  extraBytes: number;
  extraPerText: number;
} {
  const last = texts.length - 1;
  let text = "";
  for (let i = 0; i < last; i++) text += `${texts[i]!.slice(0, -2)}${CONTINUES_SUFFIX}\n`;
  text += texts[last] ?? "";
  const extraPerText = CONTINUES_SUFFIX.length - 1;
  return { text, extraBytes: extraPerText * Math.max(0, last), extraPerText };
}

/** Whether a line this journal wrote says its batch goes on (checked without parsing the line). */
export function continuesBatch(text: string): boolean {
  return text.endsWith(CONTINUES_SUFFIX);
}

export type ParsedLine =
  | { readonly ok: true; readonly event: StoredEvent; readonly continues: boolean }
  | { readonly ok: false; readonly problem: string; readonly cause?: unknown };

/**
 * Parses one line (without its newline) into an event, validated with core's `parseEvent`. Problems
 * never quote the line: events may hold secrets.
 */
export function parseLine(text: string): ParsedLine {
  if (text.length === 0) return { ok: false, problem: "is empty" };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, problem: `is not JSON (${text.length} characters)` };
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { ok: false, problem: "is JSON but not an object" };
  }
  const continues = (raw as Record<string, unknown>)[BATCH_CONTINUES];
  if (continues !== undefined && continues !== true) {
    return { ok: false, problem: `has "${BATCH_CONTINUES}": ${JSON.stringify(continues)}, expected true` };
  }
  try {
    // No copy without "$more" first: parseEvent returns a new event of the schema's keys only.
    return { ok: true, event: parseEvent(raw), continues: continues === true };
  } catch (cause) {
    if (!EventSchemaError.isInstance(cause)) throw cause;
    return { ok: false, problem: `is not a valid event: ${(cause as EventSchemaError).message}`, cause };
  }
}

const QUICK_SEQ = /^\{"v":\d+,"threadId":"[^"\\]*","seq":(\d+)[,}]/;

/**
 * The seq of a line this journal wrote, read without parsing the line (lines are written with
 * core's schema key order: v, threadId, seq, ...). Undefined when the line does not look like that.
 */
export function quickSeq(text: string): number | undefined {
  const match = QUICK_SEQ.exec(text);
  return match ? Number(match[1]) : undefined;
}
