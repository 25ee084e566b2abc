import { type FrameStatus, type StoredEvent, threadStatusAfter } from "@loom/core";
import { corruptLine, foreignThreadProblem } from "./event-check.js";
import { contentEnd, type FileLine, lineNumberAt, linesBackward } from "./file-lines.js";
import { continuesBatch, parseLine } from "./line-format.js";
import type { ReadableFile } from "./open-file.js";

/** What the end of a thread file says, read from its last lines only. */
export interface ThreadTail {
  /** Byte offset just past the last complete batch (its newline included when it has one). */
  readonly committedEnd: number;
  /** Seq of the last event of the last complete batch, -1 when there is none. */
  readonly lastSeq: number;
  /** `ts` of that event. */
  readonly lastTs: number | undefined;
  /** The root frame's status after the last complete batch. */
  readonly status: FrameStatus | undefined;
  /** The last complete batch lacks only its final newline (the crash hit just before it). */
  readonly missingNewline: boolean;
  /**
   * Bytes after `committedEnd` and before `contentEnd`: lines of a batch whose last line was never
   * written, a torn line, or a batch with zeros where some of its bytes never reached the disk.
   */
  readonly tornBytes: number;
  /** Whole events among those bytes. */
  readonly tornEvents: number;
  /** Past this, up to the file's size, only zeros: the region a writer preallocates (ADR 0003, addendum). */
  readonly contentEnd: number;
}

/**
 * Reads a thread file backwards from the end of its content to its last complete batch (and on to
 * the last root-frame event, for the status). A bad line followed by a good one is corruption; a torn
 * line is only ever the file's last, unterminated one. A line with a zero byte in it belongs to the
 * last batch that was written: a batch written in place into the zeros of a preallocated region
 * reads as zeros wherever a power cut kept its bytes from the disk (JSON never holds a zero byte), so
 * that batch is torn, whole, and the complete batch before it ends the file. Such a batch always has
 * zeros after it, so only a file that ends with zeros has its last batch checked line by line.
 */
export async function scanTail(
  file: ReadableFile,
  size: number,
  threadId: string,
  path: string,
): Promise<ThreadTail> {
  const end = await contentEnd(file, size);
  let closer: { event: StoredEvent; line: FileLine; end: number } | undefined;
  /** `$more` lines of the closer's own batch, read so far. */
  let closerBatch = 0;
  let sawZeros = false;
  let tornEvents = 0;
  let earliestSeq: number | undefined;
  let nextLineStart = end;
  const corrupt = async (line: FileLine, problem: string) =>
    corruptLine(path, await lineNumberAt(file, line.start), problem);

  for await (const line of linesBackward(file, end)) {
    const lineEnd = nextLineStart;
    nextLineStart = line.start;
    if (line.text.includes("\0")) {
      // Its end intact and not a `$more` line: it closed a batch before the complete one after it,
      // so that batch had been synced, and zeros in it are damage, not a torn write.
      if (closer && line.terminated && line.text.endsWith("}") && !continuesBatch(line.text)) {
        throw await corrupt(line, "has zero bytes in it, and a complete batch follows");
      }
      if (closer) tornEvents += 1 + closerBatch;
      closer = undefined;
      closerBatch = 0;
      sawZeros = true;
      earliestSeq = undefined;
      continue;
    }
    if (closer) {
      // The closer's batch has no zeros once the line before its first is reached; the lines before
      // are checked by the readers that reach them, as before the zero region.
      if (!continuesBatch(line.text)) break;
      closerBatch++;
      continue;
    }
    const parsed = parseLine(line.text);
    if (!parsed.ok) {
      if (line.terminated) throw await corrupt(line, parsed.problem);
      continue; // the torn last line
    }
    const foreign = foreignThreadProblem(parsed.event, threadId, path);
    if (foreign) throw await corrupt(line, foreign);
    if (earliestSeq !== undefined && parsed.event.seq !== earliestSeq - 1) {
      throw await corrupt(line, `has seq ${parsed.event.seq}, but the next line has seq ${earliestSeq}`);
    }
    earliestSeq = parsed.event.seq;
    if (parsed.continues) {
      tornEvents++;
      continue;
    }
    closer = { event: parsed.event, line, end: lineEnd };
    // Zeros after it: only the last batch written can have them, so this batch was synced before it.
    // No zeros after the content: no batch was torn in place (each is written with zeros after it).
    if (sawZeros || end === size) break;
  }

  if (!closer) {
    return {
      committedEnd: 0,
      lastSeq: -1,
      lastTs: undefined,
      status: undefined,
      missingNewline: false,
      tornBytes: end,
      tornEvents,
      contentEnd: end,
    };
  }
  return {
    committedEnd: closer.end,
    lastSeq: closer.event.seq,
    lastTs: closer.event.ts,
    status: await rootStatus(file, closer.event, closer.line.start, path),
    missingNewline: !closer.line.terminated,
    tornBytes: end - closer.end,
    tornEvents,
    contentEnd: end,
  };
}

/** The root frame's status after `last`: from the last root-frame event at or before it. */
async function rootStatus(
  file: ReadableFile,
  last: StoredEvent,
  lastStart: number,
  path: string,
): Promise<FrameStatus | undefined> {
  if (last.depth === 0) return threadStatusAfter(undefined, last);
  for await (const line of linesBackward(file, lastStart)) {
    const parsed = parseLine(line.text);
    if (!parsed.ok) throw corruptLine(path, await lineNumberAt(file, line.start), parsed.problem);
    if (parsed.event.depth === 0) return threadStatusAfter(undefined, parsed.event);
  }
  return undefined;
}
