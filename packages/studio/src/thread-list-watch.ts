import type { z } from "zod";
import type { StudioApi, ThreadRow, ThreadsQuery } from "./api.js";

type Page = { threads: ThreadRow[]; next?: string };
type Send = (page: Page) => void;

interface Watch {
  readonly query: z.infer<typeof ThreadsQuery>;
  readonly clients: Set<Send>;
  last: string | undefined;
  latest: Page | undefined;
  timer: NodeJS.Timeout;
  busy: boolean;
}

/**
 * Follows the pages of the thread list that pages have open: each distinct page (prefix, status,
 * after, limit) is read again at most once per `intervalMs`, however many clients show it, and
 * sent to them only when a row changed. A page is one keyset read (`after` + `limit`) of the
 * journal's threads, so the cost does not grow with the number of threads in the journal.
 */
export class ThreadListWatch {
  private readonly watches = new Map<string, Watch>();
  /** Reads done, for the figures: one per open page per interval, none when no page is open. */
  reads = 0;

  constructor(
    private readonly api: StudioApi,
    private readonly intervalMs: number,
    private readonly onError: ((error: unknown) => void) | undefined,
  ) {}

  subscribe(query: z.infer<typeof ThreadsQuery>, send: Send): () => void {
    const key = JSON.stringify([query.prefix ?? "", query.status ?? "", query.after ?? "", query.limit]);
    let watch = this.watches.get(key);
    if (!watch) {
      const created: Watch = {
        query,
        clients: new Set(),
        last: undefined,
        latest: undefined,
        busy: false,
        timer: setInterval(() => void this.tick(created), this.intervalMs),
      };
      created.timer.unref();
      watch = created;
      this.watches.set(key, watch);
      void this.tick(watch);
    } else if (watch.latest) send(watch.latest);
    watch.clients.add(send);
    const joined = watch;
    return () => {
      joined.clients.delete(send);
      if (joined.clients.size === 0) {
        clearInterval(joined.timer);
        this.watches.delete(key);
      }
    };
  }

  close(): void {
    for (const watch of this.watches.values()) clearInterval(watch.timer);
    this.watches.clear();
  }

  private async tick(watch: Watch): Promise<void> {
    if (watch.busy) return;
    watch.busy = true;
    try {
      this.reads++;
      const page = await this.api.threads(watch.query);
      const signature = JSON.stringify(page);
      if (signature === watch.last) return;
      watch.last = signature;
      watch.latest = page;
      for (const send of watch.clients) send(page);
    } catch (error) {
      this.onError?.(error);
    } finally {
      watch.busy = false;
    }
  }
}
