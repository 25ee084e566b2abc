import { ConfigError } from "./errors.js";
import type { StoredEvent } from "./events.js";
import { canonicalJson, fold } from "./frame.js";
import type { Journal } from "./journal.js";
import { type FoldedThread, type LoadThreadOptions, loadThreadState } from "./snapshot.js";
import type { Tokenizer } from "./tokenizer.js";

/** A thread's state as a run in this process left it, and the last event folded into it. */
export type KeptThread = FoldedThread & { readonly last: StoredEvent };

/**
 * The states of the threads run last (at most `limit`; the least recently kept goes first), so
 * that the next run of one of them reads only what was appended after it instead of the thread
 * from its latest snapshot. A run takes its thread's state out and puts it back only when it ends
 * with every event it folded durable.
 *
 * Each agent keeps its own unless given one: `createAgent({ keptThreads: shared })` with the same
 * `new KeptThreads(n)` lets agents created per request (each with its own tools or prompt) start
 * where the last run of the thread left it, whichever agent ran it. A state is used only by an
 * agent with the tokenizer that counted it, and only once the journal is checked to still hold the
 * event it ended with (ADR 0014), so agents on different journals can share one too.
 */
export class KeptThreads {
  private readonly states = new Map<string, KeptThread>();

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 0) {
      throw new ConfigError(
        `new KeptThreads(limit): limit must be a whole number of threads, 0 or more (0 keeps none), got ${String(limit)}.`,
      );
    }
  }

  /** The thread's kept state, taken out; only if `tokenizer` counted it (else it is dropped). */
  take(threadId: string, tokenizer: Tokenizer): KeptThread | undefined {
    const kept = this.states.get(threadId);
    this.states.delete(threadId);
    return kept?.frame.messages.tokenizer === tokenizer ? kept : undefined;
  }

  keep(threadId: string, state: KeptThread): void {
    if (this.limit === 0) return;
    this.states.delete(threadId);
    if (this.states.size >= this.limit) this.states.delete(this.states.keys().next().value!);
    this.states.set(threadId, state);
  }
}

/**
 * The thread's state: `kept` and the events after it, by any writer, when the journal still holds
 * `kept.last` at its seq; else loaded from the journal (a thread whose end is not what this process
 * wrote, or a journal that lost it, is read as any resume reads it).
 */
export async function loadKept(
  journal: Journal,
  threadId: string,
  kept: KeptThread | undefined,
  options: LoadThreadOptions,
): Promise<FoldedThread> {
  if (kept) {
    const caughtUp = await catchUp(journal, threadId, kept);
    if (caughtUp) return caughtUp;
  }
  return loadThreadState(journal, threadId, options);
}

async function catchUp(
  journal: Journal,
  threadId: string,
  kept: KeptThread,
): Promise<FoldedThread | undefined> {
  let frame = kept.frame;
  let last: StoredEvent | undefined;
  for await (const event of journal.read(threadId, { from: kept.last.seq })) {
    if (last === undefined && !sameEvent(event, kept.last)) return undefined;
    if (last !== undefined) frame = fold(frame, event);
    last = event;
  }
  return last && { frame, last };
}

/** The same event: as written and as read back (a journal may store it in another key order). */
function sameEvent(read: StoredEvent, written: StoredEvent): boolean {
  return read.seq === written.seq && canonicalJson(read) === canonicalJson(written);
}
