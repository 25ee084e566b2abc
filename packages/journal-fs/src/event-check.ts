import { JournalCorruptionError, JournalError, type StoredEvent } from "@loom/core";

/** A line of `path` is bad: the error names the file and line, and says nothing was discarded. */
export function corruptLine(path: string, lineNumber: number, problem: string): JournalCorruptionError {
  return new JournalCorruptionError(
    `${path}:${lineNumber}`,
    `line ${lineNumber} ${problem}. Nothing was discarded: the lines after it are still in the file. Repair or remove this line by hand (or restore the file from a backup), then open the thread again.`,
  );
}

/**
 * Every event of a thread's file must carry that thread's id. Returns what is wrong for a corruption
 * error (the caller knows the line number), undefined when all is well.
 */
export function foreignThreadProblem(event: StoredEvent, threadId: string, path: string): string | undefined {
  if (event.threadId === threadId) return undefined;
  if (event.threadId.toLowerCase() === threadId.toLowerCase()) {
    throw new JournalError(
      "invalid_thread_id",
      `Thread id "${threadId}" and thread "${event.threadId}" map to the same file ${path} because this file system ignores case in file names. Use thread ids that differ by more than letter case.`,
    );
  }
  return `holds an event of thread "${event.threadId}", not of "${threadId}"`;
}
