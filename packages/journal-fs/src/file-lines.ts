import { JournalError } from "@loom/core";
import type { ReadableFile } from "./open-file.js";

const NEWLINE = 0x0a;
const BACKWARD_CHUNK = 64 * 1024;
/** The first backward read: a thread's last batch is usually a few kB (each read after is 4× bigger). */
const FIRST_BACKWARD_CHUNK = 8 * 1024;
const FORWARD_CHUNK = 256 * 1024;
const ZERO_BLOCK_BYTES = 4096;
let zeroBlock: Buffer | undefined;

/** One line of a file: its text without the newline, where it starts, and whether a newline ends it. */
export interface FileLine {
  readonly text: string;
  readonly start: number;
  readonly terminated: boolean;
}

/**
 * The lines of the first `size` bytes of a file, last first, reading from the end 8 kB, then 4× more
 * each time up to `chunk` bytes (64 kB) at a time: finding the end of a thread costs the size of its
 * last lines, not of the file.
 */
export async function* linesBackward(
  file: ReadableFile,
  size: number,
  chunk = BACKWARD_CHUNK,
): AsyncGenerator<FileLine> {
  let pos = size;
  let carry: Buffer = Buffer.alloc(0);
  let terminated = false;
  let step = Math.min(FIRST_BACKWARD_CHUNK, chunk);
  for (;;) {
    const newline = carry.lastIndexOf(NEWLINE);
    if (newline === -1) {
      if (pos === 0) {
        if (carry.length > 0 || terminated) yield { text: carry.toString("utf8"), start: 0, terminated };
        return;
      }
      const n = Math.min(step, pos);
      const bytes = Buffer.allocUnsafe(n);
      await readFully(file, bytes, pos - n);
      pos -= n;
      step = Math.min(step * 4, chunk);
      carry = Buffer.concat([bytes, carry]);
      continue;
    }
    const line = carry.subarray(newline + 1);
    if (line.length > 0 || terminated) {
      yield { text: line.toString("utf8"), start: pos + newline + 1, terminated };
    }
    carry = carry.subarray(0, newline);
    terminated = true;
  }
}

/**
 * Where the content of the first `size` bytes of a file ends: past the last byte that is not zero.
 * A writer with `fsync: "always"` keeps a region of written zeros after its content and writes each
 * batch into it in place (ADR 0003, addendum); older files end with their content. A byte seen
 * here was written after every byte before it (batches are written in file order), so a reader that
 * goes on to read the bytes before this end reads them whole. A file that gets shorter meanwhile (a
 * writer cutting its zero tail as it closes) is read on from where it now ends.
 */
export async function contentEnd(file: ReadableFile, size: number): Promise<number> {
  let end = size;
  // Most files end with a newline: one small read.
  let bytes = Buffer.allocUnsafe(ZERO_BLOCK_BYTES);
  while (end > 0) {
    const n = Math.min(bytes.length, end);
    const { bytesRead } = await file.read(bytes, 0, n, end - n);
    const last = lastNonZero(bytes, bytesRead);
    if (last !== -1) return end - n + last + 1;
    end -= n;
    if (bytes.length < BACKWARD_CHUNK) bytes = Buffer.allocUnsafe(BACKWARD_CHUNK);
  }
  return 0;
}

function lastNonZero(bytes: Buffer, length: number): number {
  zeroBlock ??= Buffer.alloc(ZERO_BLOCK_BYTES);
  let i = length;
  while (i >= ZERO_BLOCK_BYTES && bytes.subarray(i - ZERO_BLOCK_BYTES, i).equals(zeroBlock)) {
    i -= ZERO_BLOCK_BYTES;
  }
  while (--i >= 0) if (bytes[i] !== 0) return i;
  return -1;
}

/** The lines of bytes `start`..`end` of a file, first first, in 256 kB reads; never the whole file at once. */
export async function* linesForward(
  file: ReadableFile,
  start: number,
  end: number,
): AsyncGenerator<FileLine> {
  let pos = start;
  let carry: Buffer = Buffer.alloc(0);
  let carryStart = start;
  const chunk = Buffer.allocUnsafe(Math.max(0, Math.min(FORWARD_CHUNK, end - start)));
  while (pos < end) {
    const { bytesRead } = await file.read(chunk, 0, Math.min(FORWARD_CHUNK, end - pos), pos);
    if (bytesRead === 0) break;
    pos += bytesRead;
    const fresh = chunk.subarray(0, bytesRead);
    const data = carry.length > 0 ? Buffer.concat([carry, fresh]) : fresh;
    let lineStart = 0;
    for (let newline = data.indexOf(NEWLINE, 0); newline !== -1; ) {
      yield {
        text: data.toString("utf8", lineStart, newline),
        start: carryStart + lineStart,
        terminated: true,
      };
      lineStart = newline + 1;
      newline = data.indexOf(NEWLINE, lineStart);
    }
    // Copy the partial line out: `chunk` is reused by the next read.
    carry = Buffer.from(data.subarray(lineStart));
    carryStart += lineStart;
  }
  if (carry.length > 0) yield { text: carry.toString("utf8"), start: carryStart, terminated: false };
}

/** The 1-based line number of the line that starts at byte `offset` (counts newlines before it). */
export async function lineNumberAt(file: ReadableFile, offset: number): Promise<number> {
  let count = 1;
  const chunk = Buffer.allocUnsafe(FORWARD_CHUNK);
  for (let pos = 0; pos < offset; ) {
    const { bytesRead } = await file.read(chunk, 0, Math.min(FORWARD_CHUNK, offset - pos), pos);
    if (bytesRead === 0) break;
    const fresh = chunk.subarray(0, bytesRead);
    for (let i = fresh.indexOf(NEWLINE, 0); i !== -1; i = fresh.indexOf(NEWLINE, i + 1)) count++;
    pos += bytesRead;
  }
  return count;
}

async function readFully(file: ReadableFile, into: Buffer, position: number): Promise<void> {
  for (let done = 0; done < into.length; ) {
    const { bytesRead } = await file.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) {
      throw new JournalError(
        "io",
        `A journal file ended at byte ${position + done} while it was being read; retry.`,
      );
    }
    done += bytesRead;
  }
}
