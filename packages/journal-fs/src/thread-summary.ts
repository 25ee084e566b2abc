import { type Stats, statSync } from "node:fs";
import type { FrameStatus } from "@loom/core";
import { OpenFile, type ReadableFile } from "./open-file.js";
import { scanTail } from "./tail-scan.js";

export interface ThreadSummary {
  readonly lastSeq: number;
  readonly status: FrameStatus | undefined;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/**
 * Head, status and times of threads this process does not write, read from the end of their files
 * and remembered until the file changes (same inode, size and modification time), so listing
 * threads again costs a `stat` per thread. A file with a zero tail (ADR 0003, addendum) grows inside
 * its size, and two writes can share a modification time: its summary also needs the byte where its
 * content ended to still be zero.
 */
export class ThreadSummaryCache {
  private readonly entries = new Map<string, { key: string; contentEnd: number; summary: ThreadSummary }>();

  async get(threadId: string, path: string): Promise<ThreadSummary | undefined> {
    let stats: Stats;
    try {
      stats = statSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      this.entries.delete(threadId);
      return undefined;
    }
    const key = `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
    const cached = this.entries.get(threadId);
    if (cached?.key === key && cached.contentEnd === stats.size) return cached.summary;
    const file = OpenFile.open(path, "r");
    try {
      if (cached?.key === key && (await zeroAt(file, cached.contentEnd))) return cached.summary;
      const tail = await scanTail(file, stats.size, threadId, path);
      const createdAt = stats.birthtimeMs > 0 ? stats.birthtimeMs : stats.mtimeMs;
      const summary: ThreadSummary = {
        lastSeq: tail.lastSeq,
        status: tail.status,
        createdAt,
        updatedAt: Math.max(createdAt, stats.mtimeMs),
      };
      this.entries.set(threadId, { key, contentEnd: tail.contentEnd, summary });
      return summary;
    } finally {
      file.close();
    }
  }
}

async function zeroAt(file: ReadableFile, position: number): Promise<boolean> {
  const byte = Buffer.alloc(1);
  const { bytesRead } = await file.read(byte, 0, 1, position);
  return bytesRead === 1 && byte[0] === 0;
}
