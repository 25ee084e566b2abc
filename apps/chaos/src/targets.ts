import type { Journal } from "@loom/core";

/** A journal that processes share: where it lives, so each process opens its own. */
export type SharedJournal =
  | { readonly kind: "fs"; readonly dir: string; readonly fsync?: "always" }
  | { readonly kind: "postgres"; readonly url: string; readonly schema: string };

/** `fs-always`: journal-fs with `fsync: "always"`, which writes each batch in place into zeros. */
export type JournalKind = "memory" | "fs" | "fs-always" | "postgres";

/**
 * Opens the shared journal. Control runs, to see that the counts do see double runs:
 * LOOM_CHAOS_CONTROL=no-lease hides the journal's `acquire` (as a journal without leases would be);
 * `deaf-lease` hides its leases' `lost` signal (an owner that goes on after losing its lease).
 */
export async function openJournal(target: SharedJournal): Promise<Journal> {
  const journal = await openSharedJournal(target);
  const control = process.env.LOOM_CHAOS_CONTROL;
  if (control === "no-lease") return leaseless(journal);
  if (control === "deaf-lease" && journal.acquire) {
    const acquire = journal.acquire.bind(journal);
    return {
      ...leaseless(journal),
      acquire: async (threadId) => {
        const lease = await acquire(threadId);
        return { threadId, release: () => lease.release() };
      },
    };
  }
  return journal;
}

/** The journal's methods but `acquire`: a journal that cannot lease, or whose lease a caller wraps. */
export function leaseless(journal: Journal): Journal {
  return {
    specificationVersion: journal.specificationVersion,
    append: (threadId, events, expectedSeq) => journal.append(threadId, events, expectedSeq),
    read: (threadId, range) => journal.read(threadId, range),
    head: (threadId) => journal.head(threadId),
    threads: (query) => journal.threads(query),
    fork: (from, atSeq, to) => journal.fork(from, atSeq, to),
    close: () => journal.close(),
  };
}

/** Loads only the journal package it needs: a process on journal-fs does not load pg. */
async function openSharedJournal(target: SharedJournal): Promise<Journal> {
  if (target.kind === "fs") {
    const { FsJournal } = await import("@loom/journal-fs");
    return new FsJournal({
      dir: target.dir,
      onRecovery: () => {},
      ...(target.fsync ? { fsync: target.fsync } : {}),
    });
  }
  const { PostgresJournal } = await import("@loom/journal-postgres");
  return new PostgresJournal({ connectionString: target.url, schema: target.schema, poolConfig: { max: 3 } });
}

/**
 * For a Postgres process of a `lose` plan: `terminate()` has the backend holding the thread's lease
 * terminated, from a connection of its own (as an operator's `pg_terminate_backend` or a server
 * restart would end it), without waiting. Undefined on journal-fs, whose leases are lost only with
 * their process.
 */
export async function leaseTerminator(
  target: SharedJournal,
  threadId: string,
): Promise<{ terminate(): void; close(): Promise<void> } | undefined> {
  if (target.kind !== "postgres") return undefined;
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: target.url });
  await client.connect();
  let terminating: Promise<unknown> | undefined;
  return {
    terminate: () => {
      terminating ??= client
        .query(
          `SELECT pg_terminate_backend(pid) FROM pg_locks
            WHERE locktype = 'advisory' AND granted AND objsubid = 1
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)`,
          [`loom-thread:${target.schema}:${threadId}`],
        )
        .catch(() => undefined);
    },
    close: async () => {
      await terminating;
      await client.end();
    },
  };
}

export const DATABASE_URL =
  process.env.LOOM_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/loom_test";
