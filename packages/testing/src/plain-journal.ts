import type { Journal } from "@loom/core";

/** The optional members of `Journal` v1: what a third party's journal may leave out. */
export const OPTIONAL_JOURNAL_MEMBERS = [
  "acquire",
  "requestCancel",
  "subscribe",
  "latestSnapshot",
  "pipelinesAppends",
  "filtersThreads",
  "deleteThread",
  "recentThreads",
] as const satisfies readonly (keyof Journal)[];

/**
 * `journal` seen as a journal that has only the required members of `Journal` v1, and of the
 * optional ones those named in `keep`: how code meets a third party's journal that does less.
 */
export function plainJournal(
  journal: Journal,
  ...keep: (typeof OPTIONAL_JOURNAL_MEMBERS)[number][]
): Journal {
  const plain: Record<string, unknown> = {
    specificationVersion: journal.specificationVersion,
    append: journal.append.bind(journal),
    read: journal.read.bind(journal),
    head: journal.head.bind(journal),
    threads: journal.threads.bind(journal),
    fork: journal.fork.bind(journal),
    close: journal.close.bind(journal),
  };
  for (const member of keep) {
    const value = journal[member];
    if (value !== undefined) plain[member] = typeof value === "function" ? value.bind(journal) : value;
  }
  return plain as unknown as Journal;
}
