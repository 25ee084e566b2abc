import type pg from "pg";

/** How long the journal keeps the appends' connection after its last append. */
export const KEEP_APPEND_CONNECTION_MS = 20;

/**
 * The connection appends go through, kept from one append to the next: a run appends every few
 * hundred microseconds, and taking a connection from the pool and giving it back for each append
 * (the pool's idle timer, its events, a copy of the query) cost about 5% of an append.
 *
 * It goes back to the pool when no append came for `KEEP_APPEND_CONNECTION_MS`, as soon as anyone
 * waits for one of the pool's connections (so a pool of one still serves everyone, each waiting at
 * most until the journal's next append ends), after a failed query (as `pool.query` does: its state
 * is unknown), and on `close()`. An append made while another is in flight goes through the pool.
 */
export class AppendConnection {
  private client: pg.PoolClient | undefined;
  private busy = false;
  private lastUsed = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** A kept connection that breaks while idle is dropped; without a listener its error would crash the process. */
  private readonly onIdleError = (): void => this.giveBack(true);

  constructor(private readonly pool: pg.Pool) {}

  async query<R extends pg.QueryResultRow>(config: pg.QueryConfig): Promise<pg.QueryResult<R>> {
    if (this.busy || this.pool.waitingCount > 0) {
      if (!this.busy) this.giveBack();
      return this.pool.query<R>(config);
    }
    this.busy = true;
    let client = this.client;
    try {
      if (!client) {
        client = await this.pool.connect();
        client.on("error", this.onIdleError);
        this.client = client;
      }
      return await client.query<R>(config);
    } catch (error) {
      if (client) this.giveBack(error instanceof Error ? error : true);
      throw error;
    } finally {
      this.busy = false;
      this.lastUsed = performance.now();
      if (this.pool.waitingCount > 0) this.giveBack();
      else if (this.client) this.timer ??= this.keepTimer(KEEP_APPEND_CONNECTION_MS);
    }
  }

  /** Gives the connection back to the pool (destroyed when `broken`), unless an append is using it. */
  giveBack(broken?: Error | true): void {
    const client = this.client;
    if (!client || (this.busy && broken === undefined)) return;
    this.client = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    client.off("error", this.onIdleError);
    client.release(broken);
  }

  /** One timer while the connection is kept, not one per append: it checks, then waits out the rest. */
  private keepTimer(ms: number): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.client || this.busy) return;
      const idle = performance.now() - this.lastUsed;
      if (idle >= KEEP_APPEND_CONNECTION_MS) this.giveBack();
      else this.timer = this.keepTimer(KEEP_APPEND_CONNECTION_MS - idle);
    }, ms);
    timer.unref?.();
    return timer;
  }
}
