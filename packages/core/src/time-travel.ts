import { JournalError } from "./errors.js";
import { type ExecutionFrame, foldAll } from "./frame.js";
import { type Journal, readAll } from "./journal.js";
import { validateThreadId } from "./thread-id.js";

/**
 * The state of a thread as it was right after event `seq`: the same fold the executor uses,
 * over the thread's first `seq + 1` events. Calls no model and no tool.
 */
export async function stateAt(journal: Journal, threadId: string, seq: number): Promise<ExecutionFrame> {
  validateThreadId(threadId);
  const head = await journal.head(threadId);
  if (head < 0) throw new JournalError("thread_not_found", `Thread "${threadId}" has no events.`);
  if (!Number.isInteger(seq) || seq < 0 || seq > head) {
    throw new JournalError(
      "invalid_range",
      `Thread "${threadId}" has seqs 0 to ${head}; there is no seq ${seq}.`,
    );
  }
  return foldAll(threadId, await readAll(journal, threadId, { to: seq }));
}
