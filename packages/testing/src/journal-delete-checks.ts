import { type Journal, readAll, type ThreadLease } from "@loom/core";
import { CheckSkipped, check, equal, fail, rejects } from "./journal-assert.js";
import {
  appendBatches,
  BAD_THREAD_IDS,
  ids,
  type JournalCheck,
  list,
  rootEvent,
  stored,
} from "./journal-checks.js";
import { leaseInAnotherProcess } from "./journal-lease-checks.js";
import { sampleEvents } from "./sample-events.js";

type Deleting = Journal & Required<Pick<Journal, "deleteThread">>;

const deleting =
  (run: (journal: Deleting, ctx: Parameters<JournalCheck["run"]>[0]) => Promise<void>) =>
  async (ctx: Parameters<JournalCheck["run"]>[0]) =>
    run(ctx.journal as Deleting, ctx);

/** What a thread that was never written reads as, checked for a deleted one. */
async function gone(journal: Journal, threadId: string, what: string): Promise<void> {
  equal(await journal.head(threadId), -1, `head of ${what}`);
  equal(await readAll(journal, threadId), [], `read of ${what}`);
  check(!(await ids(journal)).includes(threadId), `threads() still lists ${what}`);
  if (journal.latestSnapshot)
    equal(await journal.latestSnapshot(threadId), undefined, `latestSnapshot of ${what}`);
}

/** Checks for journals with `deleteThread`. */
export const DELETE_CHECKS: readonly JournalCheck[] = [
  {
    id: "deletion.basic",
    title: "deletes a thread whole, leaves the others, and lets its id start anew",
    needs: "deletion",
    run: deleting(async (journal) => {
      await appendBatches(journal, "t-del", [1, 3, 2]);
      await journal.append("t-del", [rootEvent("run.completed")], 5);
      const kept = await appendBatches(journal, "t-kept", [2, 1]);
      equal(await journal.deleteThread("t-del"), true, "deleteThread of a thread with events");
      await gone(journal, "t-del", "the deleted thread");
      equal(await readAll(journal, "t-kept"), stored("t-kept", kept), "the other thread");
      equal(
        (await list(journal)).map((t) => [t.threadId, t.eventCount]),
        [["t-kept", 3]],
        "threads() after the delete",
      );
      equal(await journal.deleteThread("t-del"), false, "a second deleteThread of the same thread");
      equal(await journal.deleteThread("never-written"), false, "deleteThread of a thread never written");
      await rejects(
        () => journal.append("t-del", sampleEvents(1, { start: 6 }), 6),
        "journal_conflict",
        "an append after the deleted thread's old head",
      );
      const again = sampleEvents(2);
      equal(await journal.append("t-del", again, -1), { lastSeq: 1 }, "a new first append to the deleted id");
      equal(
        await readAll(journal, "t-del"),
        stored("t-del", again),
        "the id's new events, and none of the old",
      );
      const [info] = await list(journal, { prefix: "t-del" });
      equal([info?.eventCount, info?.lastSeq, info?.status], [2, 1, "running"], "the new thread's listing");
    }),
  },
  {
    id: "deletion.expected-seq",
    title: "with expectedSeq, deletes only a thread still at that seq (journal_conflict otherwise)",
    needs: "deletion",
    run: deleting(async (journal) => {
      await appendBatches(journal, "t-moved", [2, 2]);
      for (const expectedSeq of [1, 4, -1]) {
        const error = (await rejects(
          () => journal.deleteThread("t-moved", { expectedSeq }),
          "journal_conflict",
          `deleteThread with expectedSeq ${expectedSeq} of a thread at 3`,
        )) as { expectedSeq?: unknown; actualSeq?: unknown };
        equal(
          [error.expectedSeq, error.actualSeq],
          [expectedSeq, 3],
          "JournalConflictError's expectedSeq, actualSeq",
        );
      }
      equal(await journal.head("t-moved"), 3, "head after refused deletes");
      equal(await journal.deleteThread("t-moved", { expectedSeq: 3 }), true, "deleteThread at its head");
      await gone(journal, "t-moved", "the thread deleted at its head");
      equal(
        await journal.deleteThread("t-moved", { expectedSeq: -1 }),
        false,
        "deleteThread at -1 of no thread",
      );
      for (const expectedSeq of [-2, 1.5, Number.NaN]) {
        await rejects(
          () => journal.deleteThread("t-moved", { expectedSeq }),
          "invalid_range",
          `deleteThread with expectedSeq ${expectedSeq}`,
        );
      }
    }),
  },
  {
    id: "deletion.fork-stays",
    title: "deleting a thread leaves its forks, and deleting a fork leaves its source",
    needs: "deletion",
    run: deleting(async (journal) => {
      const events = await appendBatches(journal, "t-src", [3, 3]);
      await journal.fork("t-src", 3, "t-fork-a");
      await journal.fork("t-src", 5, "t-fork-b");
      equal(await journal.deleteThread("t-src"), true, "deleteThread of the source");
      equal(
        await readAll(journal, "t-fork-a"),
        stored("t-fork-a", events.slice(0, 4)),
        "a fork of the deleted thread",
      );
      equal(await journal.deleteThread("t-fork-a"), true, "deleteThread of a fork");
      equal(await readAll(journal, "t-fork-b"), stored("t-fork-b", events), "the other fork");
      equal(await ids(journal), ["t-fork-b"], "threads()");
    }),
  },
  {
    id: "deletion.bad-ids",
    title: "refuses to delete a bad thread id (invalid_thread_id)",
    needs: "deletion",
    run: deleting(async (journal) => {
      await appendBatches(journal, "t-x", [1]);
      for (const [what, id] of BAD_THREAD_IDS)
        await rejects(() => journal.deleteThread(id), "invalid_thread_id", `deleteThread with ${what}`);
      equal(await journal.head("t-x"), 0, "the thread beside them");
    }),
  },
  {
    id: "deletion.leased",
    title: "refuses to delete a leased thread (thread_busy), deleting nothing, and deletes it once released",
    needs: "deletion",
    run: deleting(async (journal) => {
      if (typeof journal.acquire !== "function") throw new CheckSkipped("this journal has no acquire()");
      const events = await appendBatches(journal, "t-leased", [2, 1]);
      const lease: ThreadLease = await journal.acquire("t-leased");
      try {
        await rejects(
          () => journal.deleteThread("t-leased"),
          "thread_busy",
          "deleteThread of a leased thread",
        );
        equal(
          await readAll(journal, "t-leased"),
          stored("t-leased", events),
          "the leased thread after the refusal",
        );
        equal(
          await journal.append("t-leased", sampleEvents(1, { start: 3 }), 2),
          { lastSeq: 3 },
          "the owner's append after the refusal",
        );
      } finally {
        await lease.release();
      }
      equal(await journal.deleteThread("t-leased"), true, "deleteThread once released");
      await gone(journal, "t-leased", "the thread deleted after its lease");
      await (await journal.acquire("t-leased")).release();
    }),
  },
  {
    id: "durability.deleted-thread",
    title: "keeps a thread deleted across reopening, and the others whole",
    needs: "durability",
    async run({ journal, reopen }) {
      if (typeof journal.deleteThread !== "function")
        throw new CheckSkipped("this journal has no deleteThread()");
      await appendBatches(journal, "t-gone", [2, 2]);
      const kept = await appendBatches(journal, "t-here", [3]);
      await journal.deleteThread("t-gone");
      await journal.close();
      const again = await reopen();
      await gone(again, "t-gone", "the deleted thread after reopening");
      equal(await readAll(again, "t-here"), stored("t-here", kept), "the other thread after reopening");
      equal(
        await again.append("t-gone", sampleEvents(1), -1),
        { lastSeq: 0 },
        "a new first append after reopening",
      );
    },
  },
  {
    id: "deletion.across-processes",
    title:
      "refuses to delete a thread another process holds (thread_busy), and deletes it once that process is killed",
    needs: "deletion",
    optOutBy: "processes",
    run: deleting(async (journal, { storage, processModule, reopen }) => {
      if (typeof journal.acquire !== "function") throw new CheckSkipped("this journal has no acquire()");
      if (processModule === undefined) throw new CheckSkipped("it needs processModule (see processes.*)");
      // Written through a journal of its own, closed before the holder takes the thread.
      const writer = await reopen();
      const events = await appendBatches(writer, "t-held", [2, 1]);
      await writer.close();
      const holder = await leaseInAnotherProcess(processModule, storage, "t-held");
      try {
        await rejects(
          () => journal.deleteThread("t-held"),
          "thread_busy",
          "deleteThread of a thread another process holds",
        );
        const left = await readAll(journal, "t-held");
        equal(
          left.slice(0, events.length),
          stored("t-held", events),
          "the held thread after a refused delete",
        );
      } finally {
        await holder.kill();
      }
      const started = Date.now();
      for (;;) {
        try {
          equal(await journal.deleteThread("t-held"), true, "deleteThread after the holder was killed");
          break;
        } catch (error) {
          if ((error as { code?: unknown }).code !== "thread_busy" || Date.now() - started > 10_000) {
            fail(`a killed process's thread could not be deleted within 10 s: ${String(error)}`);
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      await gone(journal, "t-held", "the thread deleted after its holder died");
    }),
  },
];
