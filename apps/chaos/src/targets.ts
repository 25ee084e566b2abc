import type { Journal } from "@loom/core";

/** A journal that processes share: where it lives, so each process opens its own. */
export type SharedJournal =
  | { readonly kind: "fs"; readonly dir: string; readonly fsync?: "always" }
  | { readonly kind: "postgres"; readonly url: string; readonly schema: string };

/** `fs-always`: journal-fs with `fsync: "always"`, which writes each batch in place into zeros. */
export type JournalKind = "memory" | "fs" | "fs-always" | "postgres";

/**
 * Opens the shared journal. LOOM_CHAOS_CONTROL=no-lease hides the journal's `acquire` (as a journal
 * without leases would be): a control run, to see that the counts do see double runs.
 */
export async function openJournal(target: SharedJournal): Promise<Journal> {
  const journal = await openSharedJournal(target);
  return process.env.LOOM_CHAOS_CONTROL === "no-lease" ? leaseless(journal) : journal;
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

export const DATABASE_URL =
  process.env.LOOM_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/loom_test";
