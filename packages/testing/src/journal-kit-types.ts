import type { Journal } from "@loom/core";

/**
 * How the kit gets journals: fresh, empty storage for each check (a folder, a schema, a database
 * file), and as many journals opened on one storage as a check needs (a second instance beside the
 * first, a new one after `close()`, one in each writer process).
 */
export interface JournalStorageFactory<S = unknown> {
  /** Fresh, empty storage. Must be JSON-serialisable when `processModule` is given. */
  newStorage(): S | Promise<S>;
  /** Opens a journal on the storage. Called many times per storage, also after every other journal on it was closed. */
  open(storage: S): Journal | Promise<Journal>;
  /** Drops the storage after a check (every journal on it was closed). */
  destroy?(storage: S): void | Promise<void>;
  /**
   * Damages the stored event `seq` of `threadId` (flip bytes, cut it short, break its JSON): reading
   * it must then raise `JournalCorruptionError`. Called while no journal is open on the storage.
   * Without it, the corruption check is skipped (and says so).
   */
  corrupt?(storage: S, at: { threadId: string; seq: number }): void | Promise<void>;
  /**
   * A module (absolute path or `file:` URL) that exports `open(storage)` (named, or as a method of
   * its default export), loadable by plain `node` (JavaScript, or TypeScript that Node can strip).
   * The kit's writer processes load it to open the same storage. Without it, the cross-process
   * checks fail unless `optOut.processes` says why the journal is not for several processes.
   */
  processModule?: string | URL;
}

/** A factory of the kit's first version: a fresh, empty journal per call (it cannot reopen its storage). */
export type JournalFactory = () => Journal | Promise<Journal>;

export interface JournalConformanceOptions {
  /** For a `JournalFactory`: called after each check with the journal it used (after `close()`). */
  readonly destroy?: (journal: Journal) => Promise<void> | void;
  /** Writers racing on one thread within a process. Default 10. */
  readonly concurrentWriters?: number;
  /** Writer processes racing on one thread. Default 4. */
  readonly writerProcesses?: number;
  /** Appender processes killed with SIGKILL mid-batch. Default 20. */
  readonly kills?: number;
  /** Events in the long thread (seq order, ranges across pages). Default 5000. */
  readonly longThread?: number;
  /**
   * Cases this journal does not claim, each with the reason: they are reported as skipped by
   * declaration, with the reason in the test name. `durability`: it keeps nothing after `close()`
   * (an in-memory journal); `processes`: one process only.
   */
  readonly optOut?: { readonly durability?: string; readonly processes?: string };
  /** Only the checks whose id starts with one of these (ids are printed in the test names). */
  readonly only?: readonly string[];
}

export type JournalCheckStatus = "passed" | "failed" | "skipped";

export interface JournalCheckResult {
  readonly id: string;
  readonly title: string;
  readonly status: JournalCheckStatus;
  /** Why it failed or was skipped. */
  readonly reason?: string;
  readonly error?: unknown;
  readonly ms: number;
}

export interface JournalConformanceReport {
  readonly name: string;
  readonly results: readonly JournalCheckResult[];
  readonly failed: readonly JournalCheckResult[];
}
