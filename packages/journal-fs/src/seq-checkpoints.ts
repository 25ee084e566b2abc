/** Every this many seqs, a reader remembers where the seq's line starts. */
export const CHECKPOINT_EVERY = 1024;

/**
 * Where the lines of every 1024th seq start in each thread file read so far (one number per 1024
 * events), so `read({ from })` seeks near `from` instead of scanning the file from its start. Only
 * lines of complete batches are remembered (a torn end, later cut off, never is), per file inode;
 * a reader still checks the seq of the line it lands on and starts over from the top if it differs.
 */
export class SeqCheckpoints {
  private readonly threads = new Map<string, { inode: number; offsets: number[] }>();
  /** One more place per thread, anywhere: where the event after its last snapshot starts. */
  private readonly hints = new Map<string, { inode: number; seq: number; offset: number }>();

  /** The latest checkpoint at or before `seq`, past seq 0. */
  before(threadId: string, inode: number, seq: number): { seq: number; offset: number } | undefined {
    const entry = this.threads.get(threadId);
    const k =
      entry && entry.inode === inode
        ? Math.min(Math.floor(seq / CHECKPOINT_EVERY), entry.offsets.length - 1)
        : 0;
    const regular = k > 0 ? { seq: k * CHECKPOINT_EVERY, offset: entry!.offsets[k]! } : undefined;
    const hint = this.hints.get(threadId);
    if (hint && hint.inode === inode && hint.seq <= seq && hint.seq > (regular?.seq ?? 0)) {
      return { seq: hint.seq, offset: hint.offset };
    }
    return regular;
  }

  /** Remembers where `seq`'s line starts (a reader still checks the seq it lands on). */
  hint(threadId: string, inode: number, seq: number, offset: number): void {
    this.hints.set(threadId, { inode, seq, offset });
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
  }
}
