import { LoomError } from "@loom/core";
import type pg from "pg";

/** Another worker holds the thread: the job is retried later. */
export class ThreadBusyError extends LoomError {
  readonly threadId: string;

  constructor(threadId: string) {
    super(
      "thread_busy",
      `Thread "${threadId}" is being run by another worker right now; this job will be retried after it.`,
    );
    this.threadId = threadId;
  }
}

/**
 * Runs `body` while this process holds a session advisory lock on the thread. The lock lives on one
 * connection: if the process dies, Postgres drops the connection and the lock with it, so a killed
 * worker never keeps a thread.
 */
export async function withThreadLock<T>(
  pool: pg.Pool,
  lockName: string,
  threadId: string,
  body: () => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  const onError = () => {
    broken = true;
  };
  client.on("error", onError);
  try {
    const { rows } = await client
      .query<{ locked: boolean }>("SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked", [
        lockName,
      ])
      .catch((error: unknown) => {
        broken = true;
        throw error;
      });
    if (!rows[0]?.locked) throw new ThreadBusyError(threadId);
    try {
      return await body();
    } finally {
      await client.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [lockName]).catch(() => {
        broken = true;
      });
    }
  } finally {
    client.off("error", onError);
    client.release(broken ? true : undefined);
  }
}
