/** Every this many seqs, a reader remembers where the seq's line starts. */
export const CHECKPOINT_EVERY = 1024;

/** The threads whose last appended batch is remembered (the most recently appended). */
const APPENDED_KEPT = 4096;

/**
 * Where the lines of every 1024th seq start in each thread file read so far (one number per 1024
 * events), so `read({ from })` seeks near `from` instead of scanning the file from its start. Only
 * lines of complete batches are remembered (a torn end, later cut off, never is), per file inode;
 * a reader still checks the seq of the line it lands on and starts over from the top if it differs.
 */
export class SeqCheckpoints {
  private readonly threads = new Map<string, { inode: number; offsets: number[] }>();
  /** One more place per thread, anywhere: where the event after its last snapshot starts. */
  private readonly hints = new Map<string, Place>();
  /**
   * And where the last batch this process appended starts: a run that continues the thread reads
   * from its last event (core's kept thread state) without scanning the file up to it.
   */
  private readonly appended = new Map<string, Place>();

  /** The latest checkpoint at or before `seq`, past seq 0. */
  before(threadId: string, inode: number, seq: number): { seq: number; offset: number } | undefined {
    const entry = this.threads.get(threadId);
    const k =
      entry && entry.inode === inode
        ? Math.min(Math.floor(seq / CHECKPOINT_EVERY), entry.offsets.length - 1)
        : 0;
    let best = k > 0 ? { seq: k * CHECKPOINT_EVERY, offset: entry!.offsets[k]! } : undefined;
    for (const place of [this.hints.get(threadId), this.appended.get(threadId)]) {
      if (place && place.inode === inode && place.seq <= seq && place.seq > (best?.seq ?? 0)) {
        best = { seq: place.seq, offset: place.offset };
      }
    }
    return best;
  }

  /** Remembers where `seq`'s line starts (a reader still checks the seq it lands on). */
  hint(threadId: string, inode: number, seq: number, offset: number): void {
    this.hints.set(threadId, { inode, seq, offset });
  }

  /** Remembers where the batch this process just appended to the thread starts. */
  appendedAt(threadId: string, inode: number, seq: number, offset: number): void {
    this.appended.delete(threadId);
    if (this.appended.size >= APPENDED_KEPT) this.appended.delete(this.appended.keys().next().value!);
    this.appended.set(threadId, { inode, seq, offset });
  }

  record(threadId: string, inode: number, seq: number, offset: number): void {
    if (seq % CHECKPOINT_EVERY !== 0) return;
    let entry = this.threads.get(threadId);
    if (!entry || entry.inode !== inode) {
      entry = { inode, offsets: [] };
      this.threads.set(threadId, entry);
    }
    if (seq / CHECKPOINT_EVERY === entry.offsets.length) entry.offsets.push(offset);
  }

  forget(threadId: string): void {
    this.threads.delete(threadId);
    this.hints.delete(threadId);
    this.appended.delete(threadId);
  }
}

interface Place {
  readonly inode: number;
  readonly seq: number;
  readonly offset: number;
}
