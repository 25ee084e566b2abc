import { JournalConflictError } from "@loom/core";

/**
 * Another writer (another process, or another `FsJournal` in this one) holds the thread. A
 * `JournalConflictError`, so writers that already handle "someone else appended first" handle this too.
 */
export class ThreadLockedError extends JournalConflictError {
  /** The lock file; delete it by hand only if the process it names is gone. */
  readonly lockFile: string;
  /** The pid of the process that holds the lock, when known. */
  readonly holderPid: number | undefined;

  constructor(
    threadId: string,
    expectedSeq: number,
    actualSeq: number,
    details: { reason: string; lockFile: string; holderPid: number | undefined },
  ) {
    super(threadId, expectedSeq, actualSeq, {
      message: `Thread "${threadId}" has another writer: ${details.reason}. A thread has one writer at a time: let that writer finish and close its journal, or stop it, then retry. If no such process exists any more, delete ${details.lockFile}.`,
    });
    this.lockFile = details.lockFile;
    this.holderPid = details.holderPid;
  }
}
