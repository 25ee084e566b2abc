import type { StoredEvent } from "@loom/core";
import { corruptLine, foreignThreadProblem } from "./event-check.js";
import { lineNumberAt, linesBackward } from "./file-lines.js";
import { parseLine, quickSeq } from "./line-format.js";
import { OpenFile } from "./open-file.js";
import type { SeqCheckpoints } from "./seq-checkpoints.js";
import { scanTail } from "./tail-scan.js";

/** What a snapshot's line holds (JSON escapes the same text inside a string, so only keys match). */
const SNAPSHOT_MARK = '"type":"snapshot"';
const SNAPSHOT_CHUNK = 1024 * 1024;

/**
 * The last `snapshot` event at or before `atOrBefore` in a thread file, read backwards from the end
 * of its last complete batch (`endByte` when a writer in this process knows it): a snapshot a few
 * thousand events from the end costs those lines, whatever the file's length. Where the event after
 * it starts is remembered, so reading on from the snapshot seeks there.
 */
export async function findLatestSnapshot(
  path: string,
  threadId: string,
  atOrBefore: number | undefined,
  endByte: number | undefined,
  checkpoints: SeqCheckpoints,
): Promise<StoredEvent | undefined> {
  const file = OpenFile.openIfExists(path, "r");
  if (!file) return undefined;
  try {
    const stats = file.stat();
    const end = endByte ?? (await scanTail(file, stats.size, threadId, path)).committedEnd;
    let next: number | undefined;
    // A snapshot line is as big as the window it keeps (hundreds of kB): read in big steps.
    for await (const line of linesBackward(file, end, SNAPSHOT_CHUNK)) {
      const candidate = line.terminated && line.text.includes(SNAPSHOT_MARK);
      const seq = candidate ? quickSeq(line.text) : undefined;
      if (seq !== undefined && (atOrBefore === undefined || seq <= atOrBefore)) {
        const parsed = parseLine(line.text);
        if (!parsed.ok) throw corruptLine(path, await lineNumberAt(file, line.start), parsed.problem);
        const foreign = foreignThreadProblem(parsed.event, threadId, path);
        if (foreign) throw corruptLine(path, await lineNumberAt(file, line.start), foreign);
        if (parsed.event.type === "snapshot") {
          if (next !== undefined) checkpoints.hint(threadId, stats.ino, seq + 1, next);
          return parsed.event;
        }
      }
      next = line.start;
    }
    return undefined;
  } finally {
    file.close();
  }
}
