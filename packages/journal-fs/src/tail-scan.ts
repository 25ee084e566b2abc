import type { FileHandle } from "node:fs/promises";
import { type FrameStatus, type StoredEvent, threadStatusAfter } from "@loom/core";
import { corruptLine, foreignThreadProblem } from "./event-check.js";
import { type FileLine, lineNumberAt, linesBackward } from "./file-lines.js";
import { parseLine } from "./line-format.js";

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
  /** Bytes after `committedEnd`: lines of a batch whose last line was never written, and a torn line. */
  readonly tornBytes: number;
  /** Whole events among those bytes. */
  readonly tornEvents: number;
}

/**
 * Reads a thread file backwards from `size` to its last complete batch (and on to the last root-frame
 * event, for the status). A bad line followed by a good one is corruption; a torn line is only ever
 * the file's last, unterminated one.
 */
export async function scanTail(
  file: FileHandle,
  size: number,
  threadId: string,
  path: string,
): Promise<ThreadTail> {
  let closer: { event: StoredEvent; line: FileLine; end: number } | undefined;
  let status: FrameStatus | undefined;
  let tornEvents = 0;
  let earliestTornSeq: number | undefined;
  let nextLineStart = size;
  const corrupt = async (line: FileLine, problem: string) =>
    corruptLine(path, await lineNumberAt(file, line.start), problem);

  for await (const line of linesBackward(file, size)) {
    const end = nextLineStart;
    nextLineStart = line.start;
    const parsed = parseLine(line.text);
    if (closer) {
      if (!parsed.ok) throw await corrupt(line, parsed.problem);
      if (parsed.event.depth === 0) {
        status = threadStatusAfter(undefined, parsed.event);
        break;
      }
      continue;
    }
    if (!parsed.ok) {
      if (line.terminated) throw await corrupt(line, parsed.problem);
      continue; // the torn last line
    }
    const foreign = foreignThreadProblem(parsed.event, threadId, path);
    if (foreign) throw await corrupt(line, foreign);
    if (earliestTornSeq !== undefined && parsed.event.seq !== earliestTornSeq - 1) {
      throw await corrupt(line, `has seq ${parsed.event.seq}, but the next line has seq ${earliestTornSeq}`);
    }
    if (parsed.continues) {
      tornEvents++;
      earliestTornSeq = parsed.event.seq;
      continue;
    }
    closer = { event: parsed.event, line, end };
    if (parsed.event.depth === 0) {
      status = threadStatusAfter(undefined, parsed.event);
      break;
    }
  }

  if (!closer) {
    return {
      committedEnd: 0,
      lastSeq: -1,
      lastTs: undefined,
      status: undefined,
      missingNewline: false,
      tornBytes: size,
      tornEvents,
    };
  }
  return {
    committedEnd: closer.end,
    lastSeq: closer.event.seq,
    lastTs: closer.event.ts,
    status,
    missingNewline: !closer.line.terminated,
    tornBytes: size - closer.end,
    tornEvents,
  };
}
