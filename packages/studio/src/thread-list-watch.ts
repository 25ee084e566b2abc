import type { z } from "zod";
import type { StudioApi, ThreadRow, ThreadsQuery } from "./api.js";

type Page = { threads: ThreadRow[]; next?: string };
type Send = (page: Page) => void;

interface Watch {
  readonly query: z.infer<typeof ThreadsQuery>;
  readonly clients: Set<Send>;
  last: string | undefined;
  latest: Page | undefined;
  timer: NodeJS.Timeout | undefined;
  closed: boolean;
}

/** A page that takes long to read is read less often: at most a tenth of the time goes to reading it. */
const DUTY = 10;

/**
 * Follows the pages of the thread list that pages have open: each distinct page (prefix, status,
 * after, limit) is read again at most once per `intervalMs`, however many clients show it, and
 * sent to them only when a row changed. A page is one keyset read (`after` + `limit`) of the
 * journal's threads; a journal whose read is slow (a folder of 100,000 thread files, a status
 * filter's scan) is read after ten times the last read's duration instead, so following a page
 * never takes more than a tenth of the process's time.
 */
export class ThreadListWatch {
  private readonly watches = new Map<string, Watch>();
  constructor(
    private readonly api: StudioApi,
    private readonly intervalMs: number,
    private readonly onError: ((error: unknown) => void) | undefined,
  ) {}

  subscribe(query: z.infer<typeof ThreadsQuery>, send: Send): () => void {
    const key = JSON.stringify([query.prefix ?? "", query.status ?? "", query.after ?? "", query.limit]);
    let watch = this.watches.get(key);
    if (!watch) {
      watch = {
        query,
        clients: new Set(),
        last: undefined,
        latest: undefined,
        timer: undefined,
        closed: false,
      };
      this.watches.set(key, watch);
      void this.tick(watch);
    } else if (watch.latest) send(watch.latest);
    watch.clients.add(send);
    const joined = watch;
    return () => {
      joined.clients.delete(send);
      if (joined.clients.size === 0) {
        joined.closed = true;
        clearTimeout(joined.timer);
        this.watches.delete(key);
      }
    };
  }

  close(): void {
    for (const watch of this.watches.values()) {
      watch.closed = true;
      clearTimeout(watch.timer);
    }
    this.watches.clear();
  }

  private async tick(watch: Watch): Promise<void> {
    const started = performance.now();
    try {
      const page = await this.api.threads(watch.query);
      const signature = JSON.stringify(page);
      if (signature !== watch.last) {
        watch.last = signature;
        watch.latest = page;
        for (const send of watch.clients) send(page);
      }
    } catch (error) {
      this.onError?.(error);
    }
    if (watch.closed) return;
    const took = performance.now() - started;
    watch.timer = setTimeout(() => void this.tick(watch), Math.max(this.intervalMs, DUTY * took));
    watch.timer.unref();
  }
}
