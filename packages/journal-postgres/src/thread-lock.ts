import { createHash } from "node:crypto";
import { ThreadBusyError } from "@loom/core";
import type pg from "pg";

/** The advisory lock of a thread. Workers of earlier versions, which locked around each job, take the same one. */
export function threadLockName(schema: string, threadId: string): string {
  return `loom-thread:${schema}:${threadId}`;
}

/** A thread's session advisory lock, held on one connection until `release()`. */
export interface HeldThreadLock {
  /**
   * Aborts when the connection breaks while the lock is held (Postgres dropped the lock with the
   * session), its reason an `Error` saying so. Never aborted by `release()`.
   */
  readonly lost: AbortSignal;
  /** Aborts when `requestThreadCancel` asks the holder to cancel, its reason the requester's text. */
  readonly cancelRequested: AbortSignal;
  /** Unlocks and returns the connection to the pool (or discards it if it broke). Safe to call twice. */
  release(): Promise<void>;
}

/**
 * The channel a lock's holder listens on for cancel requests, on its lock's own connection: one per
 * thread and schema, at most 63 bytes as Postgres requires.
 */
export function cancelChannel(lockName: string): string {
  return `loom_cancel_${createHash("sha256").update(lockName).digest("hex").slice(0, 40)}`;
}

/**
 * A lock name as a SQL string literal (a simple query carries no parameters). Schema and thread id
 * rules leave no quote or backslash in it; quotes are doubled all the same.
 */
export const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * Takes a session advisory lock on the thread on a connection of its own from `pool`, and keeps that
 * connection until `release()`. If the process dies, Postgres drops the connection and the lock with
 * it, so a killed owner never keeps a thread. Raises core's `ThreadBusyError`, naming the session
 * that holds the lock, when another session holds it. The connection also listens for cancel
 * requests to the holder (`cancelChannel`), in the same round trip as the lock.
 */
export async function holdThreadLock(
  pool: pg.Pool,
  lockName: string,
  threadId: string,
): Promise<HeldThreadLock> {
  const client = await pool.connect();
  const channel = cancelChannel(lockName);
  const lost = new AbortController();
  const cancel = new AbortController();
  const onError = (error?: Error) => {
    if (lost.signal.aborted) return;
    const why = error?.message ? `: ${error.message}` : "";
    lost.abort(new Error(`its PostgreSQL connection broke${why}`));
  };
  const onEnd = () => onError();
  const onNotification = (message: pg.Notification) => {
    if (message.channel === channel) cancel.abort(message.payload || "cancel requested");
  };
  const stopListening = () => {
    client.off("error", onError);
    client.off("end", onEnd);
    client.off("notification", onNotification);
  };
  client.on("error", onError);
  client.on("end", onEnd);
  client.on("notification", onNotification);
  let locked: boolean;
  try {
    const results = (await client.query(
      `SELECT pg_try_advisory_lock(hashtextextended(${literal(lockName)}, 0)) AS locked; LISTEN ${channel}`,
    )) as unknown as pg.QueryResult<{ locked: boolean }>[];
    locked = results[0]?.rows[0]?.locked === true;
  } catch (error) {
    stopListening();
    client.release(true);
    throw error;
  }
  if (!locked) {
    stopListening();
    // Not returned to the pool listening: a connection that cannot stop is discarded.
    const clean = await client.query(`UNLISTEN ${channel}`).then(
      () => true,
      () => false,
    );
    client.release(clean ? undefined : true);
    throw ThreadBusyError.owned(threadId, await describeHolder(pool, lockName));
  }
  let released: Promise<void> | undefined;
  return {
    lost: lost.signal,
    cancelRequested: cancel.signal,
    release: () => {
      released ??= (async () => {
        let broken = lost.signal.aborted;
        if (!broken) {
          await client
            .query(
              `SELECT pg_advisory_unlock(hashtextextended(${literal(lockName)}, 0)); UNLISTEN ${channel}`,
            )
            .catch(() => {
              broken = true;
            });
        }
        stopListening();
        // A connection that broke, or failed to unlock, is discarded: closing it drops the lock.
        client.release(broken ? true : undefined);
      })();
      return released;
    },
  };
}

/**
 * Asks the holder of a thread's lock, in whichever process, to cancel (`cancelRequested` aborts
 * there with `reason`): a NOTIFY on its `cancelChannel`, sent only if a session holds the lock.
 * True when one did. A holder that lets go meanwhile never hears it.
 */
export async function requestThreadCancel(pool: pg.Pool, lockName: string, reason: string): Promise<boolean> {
  const { rowCount } = await pool.query(
    `SELECT pg_notify($1, $2) FROM pg_locks l
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended($3, 0)`,
    [cancelChannel(lockName), reason, lockName],
  );
  return (rowCount ?? 0) > 0;
}

/**
 * Who holds the lock, for the error message: its backend pid, application name and client address.
 * `db` may be a client inside a transaction (deleteThread asks on its own connection).
 */
export async function describeHolder(db: pg.Pool | pg.PoolClient, lockName: string): Promise<string> {
  const fallback = "another PostgreSQL session";
  try {
    const { rows } = await db.query<{
      pid: number;
      application_name: string | null;
      client: string | null;
    }>(
      `SELECT l.pid, a.application_name, host(a.client_addr) AS client
       FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended($1, 0)
       LIMIT 1`,
      [lockName],
    );
    const holder = rows[0];
    if (!holder) return fallback;
    const details = [
      holder.application_name ? `application "${holder.application_name}"` : undefined,
      holder.client ? `client ${holder.client}` : undefined,
    ].filter(Boolean);
    return `PostgreSQL session ${holder.pid}${details.length > 0 ? ` (${details.join(", ")})` : ""}`;
  } catch {
    return fallback;
  }
}

/**
 * Which of `lockNames` no session holds, read from `pg_locks` without taking any (a probe that took
 * the lock, even for a moment, could make a live owner's `acquire` fail). The answer is a snapshot:
 * a lock free now may be taken a moment later.
 */
export async function freeThreadLocks(pool: pg.Pool, lockNames: readonly string[]): Promise<Set<string>> {
  if (lockNames.length === 0) return new Set();
  // pg_locks is read once (materialized), not once per name.
  const { rows } = await pool.query<{ name: string }>(
    `WITH held AS MATERIALIZED (
       SELECT (l.classid::bigint << 32) | l.objid::bigint AS key
       FROM pg_locks l
       WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
     )
     SELECT name FROM unnest($1::text[]) AS name
     WHERE hashtextextended(name, 0) NOT IN (SELECT key FROM held)`,
    [lockNames],
  );
  return new Set(rows.map((row) => row.name));
}
