import { JournalError } from "./errors.js";
import type { ExecutionFrame } from "./frame.js";
import type { Journal } from "./journal.js";
import { loadThread } from "./snapshot.js";
import { validateThreadId } from "./thread-id.js";
import type { Tokenizer } from "./tokenizer.js";

/**
 * The state of a thread as it was right after event `seq`: the same fold the executor uses,
 * over the thread's first `seq + 1` events (from the last snapshot at or before `seq`, when the
 * journal finds one: older messages then load on demand, see `loadHistory`). Calls no model and no
 * tool.
 */
export async function stateAt(
  journal: Journal,
  threadId: string,
  seq: number,
  options: { tokenizer?: Tokenizer } = {},
): Promise<ExecutionFrame> {
  validateThreadId(threadId);
  const head = await journal.head(threadId);
  if (head < 0) throw new JournalError("thread_not_found", `Thread "${threadId}" has no events.`);
  if (!Number.isInteger(seq) || seq < 0 || seq > head) {
    throw new JournalError(
      "invalid_range",
      `Thread "${threadId}" has seqs 0 to ${head}; there is no seq ${seq}.`,
    );
  }
  return loadThread(journal, threadId, { at: seq, ...options });
}
