import { JournalError } from "./errors.js";

export const MAX_THREAD_ID_LENGTH = 200;
const THREAD_ID = /^[A-Za-z0-9_][A-Za-z0-9._:@+=-]*$/;

/**
 * Checks a thread id before it touches a file name or a query: 1 to 200 characters of letters,
 * digits and `._:@+=-`, not starting with a dot (so never `..`), no separators, no NUL.
 */
export function validateThreadId(threadId: unknown): string {
  const problem =
    typeof threadId !== "string"
      ? `must be a string, got ${typeof threadId}`
      : threadId.length === 0
        ? "is empty"
        : threadId.length > MAX_THREAD_ID_LENGTH
          ? `is ${threadId.length} characters long (at most ${MAX_THREAD_ID_LENGTH})`
          : !THREAD_ID.test(threadId)
            ? "may only hold letters, digits and . _ : @ + = - and may not start with a dot"
            : undefined;
  if (problem === undefined) return threadId as string;
  const shown = typeof threadId === "string" ? JSON.stringify(threadId.slice(0, 40)) : String(threadId);
  throw new JournalError(
    "invalid_thread_id",
    `Thread id ${shown}${(threadId as string)?.length > 40 ? "…" : ""} ${problem}.`,
  );
}
