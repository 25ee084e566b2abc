import { open } from "node:fs/promises";
import type { StoredEvent } from "@loom/core";
import { corruptLine, foreignThreadProblem } from "./event-check.js";
import { linesForward } from "./file-lines.js";
import { parseLine, quickSeq } from "./line-format.js";

export interface FileReadRange {
  readonly from: number;
  readonly to: number;
  /** Read no further than this byte (a writer in this process caps readers at what it acknowledged). */
  readonly endByte?: number | undefined;
}

/**
 * Streams the events of one thread file, `from`..`to` inclusive, one line in memory at a time (plus
 * the lines of one unfinished batch). Events of a batch are yielded only once its last line is read;
 * an unfinished batch or a torn line at the end is not an error (a writer may be in the middle of
 * it), a bad line anywhere else is `JournalCorruptionError` with the file and line number.
 */
export async function* readThreadFile(
  path: string,
  threadId: string,
  range: FileReadRange,
): AsyncGenerator<StoredEvent> {
  const file = await open(path, "r").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
  if (!file) return;
  try {
    const size = (await file.stat()).size;
    const end = Math.min(size, range.endByte ?? size);
    let expectedSeq = 0;
    let lineNumber = 0;
    let batch: StoredEvent[] = [];
    for await (const line of linesForward(file, 0, end)) {
      lineNumber++;
      if (batch.length === 0 && expectedSeq < range.from && line.terminated) {
        const seq = quickSeq(line.text);
        if (seq === expectedSeq) {
          expectedSeq++;
          continue;
        }
      }
      const parsed = parseLine(line.text);
      if (!parsed.ok) {
        if (!line.terminated) return;
        throw corruptLine(path, lineNumber, parsed.problem);
      }
      const { event } = parsed;
      const foreign = foreignThreadProblem(event, threadId, path);
      if (foreign) throw corruptLine(path, lineNumber, foreign);
      if (event.seq !== expectedSeq) {
        throw corruptLine(path, lineNumber, `has seq ${event.seq} where seq ${expectedSeq} was expected`);
      }
      expectedSeq++;
      if (parsed.continues) {
        if (!line.terminated) return;
        batch.push(event);
        continue;
      }
      batch.push(event);
      for (const e of batch) if (e.seq >= range.from && e.seq <= range.to) yield e;
      batch = [];
      if (event.seq >= range.to) return;
    }
  } finally {
    await file.close();
  }
}
