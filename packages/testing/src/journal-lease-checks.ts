import { type Journal, readAll, type ThreadLease } from "@loom/core";
import { CheckSkipped, equal, fail, rejects } from "./journal-assert.js";
import { BAD_THREAD_IDS, type JournalCheck } from "./journal-checks.js";
import { WriterProcess } from "./journal-writers.js";
import { sampleEvents } from "./sample-events.js";

type Leasing = Journal & { acquire(threadId: string): Promise<ThreadLease> };

async function busy(journal: Leasing, threadId: string): Promise<void> {
  const error = (await rejects(
    () => journal.acquire(threadId),
    "thread_busy",
    `acquire("${threadId}") of a held thread`,
  )) as {
    threadId?: unknown;
  };
  equal(error.threadId, threadId, "ThreadBusyError's threadId");
}

const leasing =
  (check: (journal: Leasing) => Promise<void>) =>
  async ({ journal }: { journal: Journal }) =>
    check(journal as Leasing);

/** A process that opens the storage and leases `threadId` (for 30 s at most), once it holds it. */
export async function leaseInAnotherProcess(
  processModule: string,
  storage: unknown,
  threadId: string,
): Promise<WriterProcess> {
  const holder = new WriterProcess({
    module: processModule,
    storage,
    kind: "lease",
    threadId,
    writer: "holder",
    template: sampleEvents(2)[1]!,
    deadlineMs: 30_000,
  });
  await holder.whenReady();
  holder.go();
  await holder.firstAck();
  return holder;
}

/** Checks for journals with `acquire`: one owner per thread, until it releases. */
export const LEASE_CHECKS: readonly JournalCheck[] = [
  {
    id: "leases.busy",
    title: "refuses a second acquire of a held thread (thread_busy)",
    needs: "leases",
    run: leasing(async (journal) => {
      const lease = await journal.acquire("t-lease");
      equal(lease.threadId, "t-lease", "lease.threadId");
      await busy(journal, "t-lease");
      await busy(journal, "t-lease");
      await lease.release();
    }),
  },
  {
    id: "leases.reacquire",
    title: "lets a released thread be acquired again",
    needs: "leases",
    run: leasing(async (journal) => {
      await (await journal.acquire("t-lease")).release();
      const second = await journal.acquire("t-lease");
      await busy(journal, "t-lease");
      await second.release();
    }),
  },
  {
    id: "leases.two-threads",
    title: "holds two threads at once",
    needs: "leases",
    run: leasing(async (journal) => {
      const [a, b] = await Promise.all([journal.acquire("t-lease-a"), journal.acquire("t-lease-b")]);
      await busy(journal, "t-lease-a");
      await busy(journal, "t-lease-b");
      await a.release();
      await busy(journal, "t-lease-b");
      await (await journal.acquire("t-lease-a")).release();
      await b.release();
    }),
  },
  {
    id: "leases.one-winner",
    title: "lets only one of many concurrent acquires of a thread win",
    needs: "leases",
    run: leasing(async (journal) => {
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => journal.acquire("t-lease")));
      const won = results.filter((r): r is PromiseFulfilledResult<ThreadLease> => r.status === "fulfilled");
      equal(won.length, 1, "acquires that won");
      for (const lost of results) {
        if (lost.status === "rejected")
          await rejects(() => Promise.reject(lost.reason), "thread_busy", "a losing acquire");
      }
      await won[0]?.value.release();
    }),
  },
  {
    id: "leases.idempotent-release",
    title: "makes release idempotent: a second release never frees the thread's next owner",
    needs: "leases",
    run: leasing(async (journal) => {
      const first = await journal.acquire("t-lease");
      await first.release();
      await first.release();
      const second = await journal.acquire("t-lease");
      await first.release();
      await busy(journal, "t-lease");
      await second.release();
    }),
  },
  {
    id: "leases.holder-writes",
    title: "lets the leaseholder append and read its thread",
    needs: "leases",
    run: leasing(async (journal) => {
      const lease = await journal.acquire("t-lease");
      equal(await journal.append("t-lease", sampleEvents(2), -1), { lastSeq: 1 }, "append by the holder");
      equal(
        (await readAll(journal, "t-lease")).map((e) => e.seq),
        [0, 1],
        "seqs",
      );
      await lease.release();
      equal(await journal.head("t-lease"), 1, "head after release");
    }),
  },
  {
    id: "leases.lost-signal",
    title:
      "gives a lease's `lost`, when it has one, as an AbortSignal that neither holding, writing nor releasing aborts",
    needs: "leases",
    run: leasing(async (journal) => {
      const lease = await journal.acquire("t-lease");
      const other = await journal.acquire("t-lease-b");
      if (lease.lost === undefined) {
        await lease.release();
        await other.release();
        throw new CheckSkipped(
          "its leases have no `lost` signal (optional: leases lost only with their process)",
        );
      }
      equal(lease.lost instanceof AbortSignal, true, "lease.lost is an AbortSignal");
      await journal.append("t-lease", sampleEvents(2), -1);
      await other.release();
      equal(
        lease.lost.aborted,
        false,
        "lost.aborted while held, after an append and another lease's release",
      );
      await lease.release();
      equal(lease.lost.aborted, false, "lost.aborted after release()");
    }),
  },
  {
    id: "leases.cancel-request",
    title:
      "carries requestCancel to the lease holding the thread (its cancelRequested aborts with the reason), and answers false when no lease does",
    needs: "leases",
    run: leasing(async (journal) => {
      if (typeof journal.requestCancel !== "function") {
        throw new CheckSkipped(
          "it has no requestCancel (optional: a run is then cancelled only where it runs)",
        );
      }
      equal(
        await journal.requestCancel("t-lease", "nobody runs it"),
        false,
        "requestCancel of a free thread",
      );
      const lease = await journal.acquire("t-lease");
      const other = await journal.acquire("t-lease-b");
      try {
        const asked = lease.cancelRequested;
        if (!asked) fail("a journal with requestCancel must give its leases a cancelRequested signal");
        equal(await journal.requestCancel("t-lease", "please stop"), true, "requestCancel of a held thread");
        for (let waited = 0; !asked.aborted && waited < 5_000; waited += 10) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        equal(asked.aborted, true, "cancelRequested.aborted within 5 s of requestCancel");
        equal(asked.reason, "please stop", "cancelRequested.reason");
        equal(other.cancelRequested?.aborted ?? false, false, "another thread's cancelRequested.aborted");
      } finally {
        await lease.release();
        await other.release();
      }
      equal(await journal.requestCancel("t-lease", "too late"), false, "requestCancel after release");
    }),
  },
  {
    id: "leases.across-processes",
    title:
      "refuses a thread leased by another process (thread_busy), and takes it over promptly once that process is killed",
    needs: "leases",
    optOutBy: "processes",
    async run({ journal, storage, processModule }) {
      if (processModule === undefined) throw new CheckSkipped("it needs processModule (see processes.*)");
      const leasing = journal as Leasing;
      const holder = await leaseInAnotherProcess(processModule, storage, "t-held");
      try {
        await busy(leasing, "t-held");
        const other = await leasing.acquire("t-free");
        await other.release();
      } finally {
        await holder.kill();
      }
      const started = Date.now();
      for (;;) {
        try {
          await (await leasing.acquire("t-held")).release();
          break;
        } catch (error) {
          if ((error as { code?: unknown }).code !== "thread_busy" || Date.now() - started > 10_000) {
            fail(`the lease of a killed process was not taken over within 10 s: ${String(error)}`);
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    },
  },
  {
    id: "leases.bad-ids",
    title: "refuses to lease a bad thread id (invalid_thread_id)",
    needs: "leases",
    run: leasing(async (journal) => {
      for (const [what, id] of BAD_THREAD_IDS)
        await rejects(() => journal.acquire(id), "invalid_thread_id", `acquire with ${what}`);
    }),
  },
];
