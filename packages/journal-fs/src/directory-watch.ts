import { type FSWatcher, watch } from "node:fs";

/**
 * One `fs.watch` on a journal's folder, shared by its subscribers: a change to a thread's file (an
 * append by any process) wakes the subscribers of that file, who then read what is new. Watching
 * can miss changes (network file systems, some containers) or fail to start (the folder does not
 * exist yet), so subscribers also read again on a timer; a missed wake-up costs latency, never an
 * event.
 */
export class DirectoryWatch {
  private readonly listeners = new Map<string, Set<() => void>>();
  private watcher: FSWatcher | undefined;
  private closed = false;

  /**
   * `keepWatching`: the watch stays up between listeners until `close()` (for listeners that come and
   * go often, where starting a watch each time would cost more than keeping one).
   */
  constructor(
    private readonly dir: string,
    private readonly keepWatching = false,
  ) {}

  add(fileName: string, listener: () => void): () => void {
    let set = this.listeners.get(fileName);
    if (!set) {
      set = new Set();
      this.listeners.set(fileName, set);
    }
    set.add(listener);
    this.start();
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(fileName);
      if (this.listeners.size === 0 && !this.keepWatching) this.stop();
    };
  }

  /** Wakes the subscribers of one file (this process's own appends need no watcher). */
  notify(fileName: string): void {
    for (const listener of this.listeners.get(fileName) ?? []) listener();
  }

  /** Wakes every subscriber, so each sees the journal closed and ends. */
  notifyAll(): void {
    for (const set of this.listeners.values()) for (const listener of set) listener();
  }

  /** Stops watching for good. */
  close(): void {
    this.closed = true;
    this.stop();
  }

  private start(): void {
    if (this.watcher || this.closed) return;
    try {
      this.watcher = watch(this.dir, { persistent: false }, (_event, fileName) => {
        if (fileName) this.notify(fileName.toString());
        else this.notifyAll();
      });
      this.watcher.on("error", () => this.stop());
    } catch {
      // No folder yet, or no watching here: the subscribers' timer still reads.
      this.watcher = undefined;
    }
  }

  private stop(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}
