import { randomUUID } from "node:crypto";
import { EVENT_VERSION, type NewEvent, sealEvents } from "@loom/core";
import pg from "pg";
import { batchText } from "../src/batches.ts";
import { PostgresJournal, type PostgresJournalOptions } from "../src/index.ts";

export const DATABASE_URL =
  process.env.LOOM_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/loom_test";

/** A schema name no other test run uses. */
export function uniqueSchema(label: string): string {
  return `t_${label}_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
}

/** A pool of the test's own, for setup and for checking what the journal stored. */
export function adminPool(): pg.Pool {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
  pool.on("error", () => undefined);
  return pool;
}

/**
 * Calls `observe` with each query the pool's connections are sent from now on (the pool's own
 * `pool.query` included), once it has gone out: the connection, what was sent, and the promise the
 * query returned (undefined for the pool's internal queries, which pass a callback).
 */
export function observeQueries(
  pool: pg.Pool,
  observe: (
    client: pg.PoolClient,
    config: string | pg.QueryConfig,
    result: Promise<pg.QueryResult> | undefined,
  ) => void,
): void {
  const observed = new WeakSet<pg.PoolClient>();
  // Each checkout, before the client is handed over.
  pool.on("acquire", (client) => {
    if (observed.has(client)) return;
    observed.add(client);
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      const result = query(...args);
      observe(client, args[0] as string | pg.QueryConfig, result instanceof Promise ? result : undefined);
      return result;
    };
  });
}

export async function dropSchema(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

export function journalIn(schema: string, options: PostgresJournalOptions = {}): PostgresJournal {
  return new PostgresJournal({ connectionString: DATABASE_URL, schema, ...options });
}

/**
 * Stores `events` from seq `firstSeq` on as one batch row by hand, as an append would store them but
 * without its head check or NOTIFY: what a crash after the commit, or a writer still in its
 * transaction, leaves.
 */
export async function insertBatchRow(
  client: pg.Pool | pg.PoolClient,
  schema: string,
  threadId: string,
  firstSeq: number,
  events: readonly NewEvent[],
): Promise<void> {
  await client.query(
    `INSERT INTO "${schema}".batches (thread_id, first_seq, last_seq, events) VALUES ($1, $2, $3, $4)`,
    [threadId, firstSeq, firstSeq + events.length - 1, batchText(sealEvents(threadId, firstSeq - 1, events))],
  );
}

/** The backend that holds a thread's advisory lock (its lease), as pg_locks shows it. */
export async function lockHolder(
  pool: pg.Pool,
  schema: string,
  threadId: string,
): Promise<number | undefined> {
  const { rows } = await pool.query<{ pid: number }>(
    `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
       AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)`,
    [`loom-thread:${schema}:${threadId}`],
  );
  return rows[0]?.pid;
}

/** A root-frame `snapshot` event with a small nested state. */
export function snapshotEvent(): NewEvent {
  return {
    v: EVENT_VERSION,
    runId: "run-1",
    ts: 1_700_000_000_009,
    frameId: "root",
    depth: 0,
    iteration: 2,
    type: "snapshot",
    data: { state: { format: 1, nested: { n: null, list: [1, "two"] } } },
  };
}
