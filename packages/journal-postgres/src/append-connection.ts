import type pg from "pg";

/**
 * The connection appends go through, kept from one append to the next: a run appends every few
 * hundred microseconds, and taking a connection from the pool and giving it back for each append
 * (the pool's idle timer, its events, a copy of the query) cost about 5% of an append.
 *
 * It is kept only while appends follow each other within one turn of the event loop (an agent's
 * loop between two appends is promise continuations, no timer, when its model and tools answer at
 * once): it goes back to the pool when the loop turns without a new append, as soon as anyone waits
 * for one of the pool's connections, after a failed query (as `pool.query` does: its state is
 * unknown), and on `close()`. An append made while another is in flight goes through the pool.
 */
export class AppendConnection {
  private client: pg.PoolClient | undefined;
  private busy = false;
  /** The check that gives the connection back once the event loop turns (one at a time). */
  private check: ReturnType<typeof setImmediate> | undefined;
  /**
   * Listens to the connection while it is kept, idle or busy: one that breaks is dropped. A checked
   * out connection has no listener of the pool's, and an error event without one ends the process.
   */
  private readonly onError = (): void => this.giveBack(true);

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
        client.on("error", this.onError);
        this.client = client;
      }
      return await client.query<R>(config);
    } catch (error) {
      if (client) this.giveBack(error instanceof Error ? error : true);
      throw error;
    } finally {
      this.busy = false;
      if (this.pool.waitingCount > 0) this.giveBack();
      else if (this.client) this.check ??= setImmediate(this.giveBackIdle);
    }
  }

  /** Gives the connection back to the pool (destroyed when `broken`), unless an append is using it. */
  giveBack(broken?: Error | true): void {
    const client = this.client;
    if (!client || (this.busy && broken === undefined)) return;
    this.client = undefined;
    clearImmediate(this.check);
    this.check = undefined;
    client.off("error", this.onError);
    client.release(broken);
  }

  private readonly giveBackIdle = (): void => {
    this.check = undefined;
    if (!this.busy) this.giveBack();
  };
}
