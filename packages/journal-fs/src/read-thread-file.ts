import type { StoredEvent } from "@loom/core";
import { corruptLine, foreignThreadProblem } from "./event-check.js";
import { contentEnd, type FileLine, lineNumberAt, linesForward } from "./file-lines.js";
import { continuesBatch, parseLine, quickSeq } from "./line-format.js";
import { OpenFile } from "./open-file.js";
import type { SeqCheckpoints } from "./seq-checkpoints.js";
import { scanTail } from "./tail-scan.js";

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
 * it), a bad line anywhere else is `JournalCorruptionError` with the file and line number. Lines
 * before `from` are skipped without being parsed, from the nearest checkpoint.
 */
export async function* readThreadFile(
  path: string,
  threadId: string,
  range: FileReadRange,
  checkpoints: SeqCheckpoints,
): AsyncGenerator<StoredEvent> {
  const file = OpenFile.openIfExists(path, "r");
  if (!file) return;
  try {
    const stats = file.stat();
    const end =
      range.endByte !== undefined ? Math.min(stats.size, range.endByte) : await contentEnd(file, stats.size);
    const start = checkpoints.before(threadId, stats.ino, range.from);
    const reader = readLines(file, path, threadId, range, end, stats, checkpoints, start);
    const first = await reader.next();
    if (first.done && first.value === "stale-checkpoint") {
      checkpoints.forget(threadId);
      yield* readLines(file, path, threadId, range, end, stats, checkpoints, undefined);
      return;
    }
    if (!first.done) {
      yield first.value;
      yield* reader;
    }
  } finally {
    file.close();
  }
}

async function* readLines(
  file: OpenFile,
  path: string,
  threadId: string,
  range: FileReadRange,
  end: number,
  stats: { readonly ino: number; readonly size: number },
  checkpoints: SeqCheckpoints,
  start: { seq: number; offset: number } | undefined,
): AsyncGenerator<StoredEvent, "stale-checkpoint" | undefined> {
  const corrupt = async (line: FileLine, problem: string) =>
    corruptLine(path, await lineNumberAt(file, line.start), problem);
  /** A line with zeros in it is the torn last batch (ADR 0003, addendum) if the tail scan says so. */
  const inTornBatch = async (line: FileLine) =>
    line.text.includes("\0") && line.start >= (await scanTail(file, stats.size, threadId, path)).committedEnd;
  const inode = stats.ino;
  let expectedSeq = start?.seq ?? 0;
  let batch: StoredEvent[] = [];
  let batchStarts: [number, number][] = [];
  let checkStart = start !== undefined;
  for await (const line of linesForward(file, start?.offset ?? 0, end)) {
    if (checkStart) {
      checkStart = false;
      if (!line.terminated || quickSeq(line.text) !== expectedSeq) return "stale-checkpoint";
    }
    if (
      batch.length === 0 &&
      expectedSeq < range.from &&
      line.terminated &&
      quickSeq(line.text) === expectedSeq &&
      !line.text.includes("\0")
    ) {
      batchStarts.push([expectedSeq, line.start]);
      if (!continuesBatch(line.text)) {
        for (const [seq, offset] of batchStarts) checkpoints.record(threadId, inode, seq, offset);
        batchStarts = [];
      }
      expectedSeq++;
      continue;
    }
    const parsed = parseLine(line.text);
    if (!parsed.ok) {
      if (!line.terminated || (await inTornBatch(line))) return;
      throw await corrupt(line, parsed.problem);
    }
    const { event } = parsed;
    const foreign = foreignThreadProblem(event, threadId, path);
    if (foreign) throw await corrupt(line, foreign);
    if (event.seq !== expectedSeq) {
      throw await corrupt(line, `has seq ${event.seq} where seq ${expectedSeq} was expected`);
    }
    expectedSeq++;
    if (parsed.continues && !line.terminated) return;
    batch.push(event);
    batchStarts.push([event.seq, line.start]);
    if (parsed.continues) continue;
    for (const [seq, offset] of batchStarts) checkpoints.record(threadId, inode, seq, offset);
    for (const e of batch) if (e.seq >= range.from && e.seq <= range.to) yield e;
    batch = [];
    batchStarts = [];
    if (event.seq >= range.to) return;
  }
  return;
}
