/**
 * Thread ids are already restricted to `[A-Za-z0-9_][A-Za-z0-9._:@+=-]*` (at most 200 characters) by
 * `validateThreadId`. Every one of those characters is safe in a file name on Linux and macOS except
 * `:` (Windows and classic macOS APIs refuse it), so `:` is written as `~`, which no thread id holds.
 * The mapping is one character for one character, so the longest file name is 206 bytes, under the
 * 255-byte limit of common file systems.
 */
export const THREAD_FILE_SUFFIX = ".jsonl";

export function threadFileName(threadId: string): string {
  return `${threadId.replaceAll(":", "~")}${THREAD_FILE_SUFFIX}`;
}

/** The thread id a journal file name stands for, or undefined for a file that is not a thread. */
export function threadIdFromFileName(fileName: string): string | undefined {
  if (!fileName.endsWith(THREAD_FILE_SUFFIX) || fileName.startsWith(".")) return undefined;
  const stem = fileName.slice(0, -THREAD_FILE_SUFFIX.length);
  if (stem.length === 0 || stem.includes(":")) return undefined;
  return stem.replaceAll("~", ":");
}
