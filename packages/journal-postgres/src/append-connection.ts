import type pg from "pg";

/** A statement handed to the append connection: where it went, for one to be sent behind it. */
export interface SentStatement<R extends pg.QueryResultRow> {
  /**
   * The kept connection it went on: undefined while it waits for one (the connection is being taken,
   * or the statement waits for the one before it to settle), and when it went through the pool.
   */
  readonly client: pg.PoolClient | undefined;
  /** Resolves with `client` once the statement is on its way (never rejects). */
  readonly placed: Promise<pg.PoolClient | undefined>;
  readonly result: Promise<pg.QueryResult<R>>;
}

/**
 * The connection appends go through, kept from one append to the next: a run appends every few
 * hundred microseconds, and taking a connection from the pool and giving it back for each append
 * (the pool's idle timer, its events, a copy of the query) cost about 5% of an append.
 *
 * It is kept only while appends follow each other within one turn of the event loop (an agent's
 * loop between two appends is promise continuations, no timer, when its model and tools answer at
 * once): it goes back to the pool when the loop turns with nothing in flight on it, as soon as anyone
 * waits for one of the pool's connections, after a failed query (as `pool.query` does: its state is
 * unknown), and on `close()`. An append made while another is in flight goes through the pool,
 * unless it is sent behind that one (`after`): then it is pipelined on the same connection when the
 * connection is in pipeline mode (once that one is on its connection, if it is still being taken),
 * and sent once that one has settled when it is not (ADR 0016).
 */
export class AppendConnection {
  private client: pg.PoolClient | undefined;
  /** Statements sent on `client` and not yet settled. */
  private inFlight = 0;
  /** The check that gives the connection back once the event loop turns (one at a time). */
  private check: ReturnType<typeof setImmediate> | undefined;
  /**
   * Listens to the connection while it is kept, idle or busy: one that breaks is dropped. A checked
   * out connection has no listener of the pool's, and an error event without one ends the process.
   */
  private readonly onError = (): void => this.giveBack(true);

  constructor(private readonly pool: pg.Pool) {}

  /** Sends `config`, behind `after` on the same connection when it is given (see the class). */
  send<R extends pg.QueryResultRow>(
    config: pg.QueryConfig,
    after?: SentStatement<pg.QueryResultRow>,
  ): SentStatement<R> {
    if (after === undefined) return this.sendNow<R>(config);
    if (after.client !== undefined) return this.sendBehind<R>(config, after, after.client);
    // Not on a connection yet (a run's first append, while its connection is taken): placed behind
    // it once it is, so a run's appends pipeline from its second one on.
    return later(after.placed.then((client) => this.sendBehind<R>(config, after, client)));
  }

  private sendBehind<R extends pg.QueryResultRow>(
    config: pg.QueryConfig,
    after: SentStatement<pg.QueryResultRow>,
    client: pg.PoolClient | undefined,
  ): SentStatement<R> {
    if (client !== undefined && client === this.client && this.inFlight > 0 && isPipelined(client)) {
      return placedOn(client, this.run<R>(client, config));
    }
    const settled = after.result.then(
      () => undefined,
      () => undefined,
    );
    return later(settled.then(() => this.sendNow<R>(config)));
  }

  private sendNow<R extends pg.QueryResultRow>(config: pg.QueryConfig): SentStatement<R> {
    if (this.inFlight > 0 || this.pool.waitingCount > 0) {
      if (this.inFlight === 0) this.giveBack();
      return placedOn(undefined, this.pool.query<R>(config));
    }
    const client = this.client;
    if (client) return placedOn(client, this.run<R>(client, config));
    return this.connectAndSend<R>(config);
  }

  private connectAndSend<R extends pg.QueryResultRow>(config: pg.QueryConfig): SentStatement<R> {
    // Counted while connecting, so another append meanwhile goes through the pool.
    this.inFlight++;
    const connected = this.pool.connect().then(
      (client) => {
        this.inFlight--;
        client.on("error", this.onError);
        this.client = client;
        return placedOn(client, this.run<R>(client, config));
      },
      (error: unknown) => {
        this.inFlight--;
        return placedOn<R>(undefined, Promise.reject(error));
      },
    );
    return later(connected);
  }

  private async run<R extends pg.QueryResultRow>(
    client: pg.PoolClient,
    config: pg.QueryConfig,
  ): Promise<pg.QueryResult<R>> {
    this.inFlight++;
    try {
      return await client.query<R>(config);
    } catch (error) {
      this.giveBack(error instanceof Error ? error : true, client);
      throw error;
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) {
        if (this.pool.waitingCount > 0) this.giveBack();
        else if (this.client) this.check ??= setImmediate(this.giveBackIdle);
      }
    }
  }

  /**
   * Gives the connection back to the pool (destroyed when `broken`), unless a statement is in flight
   * on it. When `client` is given, only if it is still the kept one.
   */
  giveBack(broken?: Error | true, client: pg.PoolClient | undefined = this.client): void {
    if (!client || client !== this.client || (this.inFlight > 0 && broken === undefined)) return;
    this.client = undefined;
    clearImmediate(this.check);
    this.check = undefined;
    client.off("error", this.onError);
    client.release(broken);
  }

  private readonly giveBackIdle = (): void => {
    this.check = undefined;
    if (this.inFlight === 0) this.giveBack();
  };
}

/** Whether node-postgres sends this connection's queries without waiting for the one before. */
function isPipelined(client: pg.PoolClient): boolean {
  return (client as pg.PoolClient & { readonly pipeline?: boolean }).pipeline === true;
}

function placedOn<R extends pg.QueryResultRow>(
  client: pg.PoolClient | undefined,
  result: Promise<pg.QueryResult<R>>,
): SentStatement<R> {
  return { client, placed: Promise.resolve(client), result };
}

/** A statement sent once `sending` settles: its `client` is known from then on. */
function later<R extends pg.QueryResultRow>(sending: Promise<SentStatement<R>>): SentStatement<R> {
  const sent: {
    client: pg.PoolClient | undefined;
    placed: SentStatement<R>["placed"];
    result: SentStatement<R>["result"];
  } = {
    client: undefined,
    placed: sending.then((inner) => inner.placed),
    result: sending.then((inner) => inner.result),
  };
  sent.placed = sent.placed.then(
    (client) => {
      sent.client = client;
      return client;
    },
    () => undefined,
  );
  return sent;
}
