// The journal kit measured: a journal with no flaw passes every check, and each flaw that loses or
// corrupts data fails the checks named for it. The shipped journals (MemoryJournal, FsJournal,
// PostgresJournal) pass the kit in their own packages' tests.
import { MemoryJournal, type ThreadLease, type ThreadQuery, threadMatches } from "@loom/core";
import { type JournalStorageFactory, runJournalConformance } from "@loom/testing";
import { journalConformance } from "@loom/testing/vitest";
import { describe, expect, it } from "vitest";
import {
  corrupt,
  destroy,
  type FlawedStorage,
  type Flaws,
  newStorage,
  open,
} from "./fixtures/flawed-journal.ts";

const processModule = new URL("./fixtures/flawed-journal.ts", import.meta.url);

function factory(flaws: Flaws): JournalStorageFactory<FlawedStorage> {
  return { newStorage: () => newStorage(flaws), open, destroy, corrupt, processModule };
}

// Every check but the two that start processes; those run only for the flaws they are there for.
const IN_PROCESS = [
  "basics.",
  "threads.",
  "ids.",
  "fork.",
  "status.",
  "close.",
  "concurrency.",
  "payload.",
  "long-thread.",
  "durability.",
  "corruption.",
  "leases.",
  "deletion.",
];

journalConformance(
  "a flawless node:sqlite journal (the fixture the flaws below are switched on in)",
  factory({}),
);

const FLAWS: [keyof Flaws, string, readonly string[], readonly string[]][] = [
  [
    "inMemory",
    "not durable at all (an in-memory store)",
    [
      "durability.reopen",
      "durability.second-instance",
      "durability.fork-mid-batch",
      "durability.large",
      "corruption.detected",
    ],
    IN_PROCESS,
  ],
  ["noLocking", "no locking between processes", ["processes.race"], ["processes.race"]],
  [
    "rowByRow",
    "a batch written row by row, without a transaction",
    ["processes.killed-mid-batch"],
    ["processes.killed-mid-batch"],
  ],
  ["seqAsText", 'seq sorted as text ("10" < "2")', ["long-thread.seq-order"], IN_PROCESS],
  [
    "strictIds",
    "valid but unusual thread ids refused (user:42, a@b.c, 200 characters)",
    ["ids.unusual"],
    IN_PROCESS,
  ],
  [
    "prefixAsPattern",
    "a threads() prefix matched as a LIKE pattern",
    ["threads.prefix-is-literal"],
    IN_PROCESS,
  ],
  ["caseInsensitiveOrder", "threads in case-insensitive order", ["threads.binary-order"], IN_PROCESS],
  ["anyDepthStatus", "a sub-agent's completion reported as the thread's", ["status.root-only"], IN_PROCESS],
  [
    "openAfterClose",
    "reads, head, threads and fork working after close()",
    ["close.refuses-everything"],
    IN_PROCESS,
  ],
  [
    "returnsDamaged",
    "a damaged stored event returned instead of JournalCorruptionError",
    ["corruption.detected"],
    IN_PROCESS,
  ],
  [
    "smallPayloads",
    "payloads over 64 KiB refused",
    ["payload.large-event", "payload.large-batch", "durability.large"],
    IN_PROCESS,
  ],
  [
    "forkLosesTail",
    "a fork in the middle of a batch that loses its tail on reopening",
    ["durability.fork-mid-batch"],
    IN_PROCESS,
  ],
  [
    "codesByClass",
    "the right error classes with the wrong codes",
    ["basics.ranges", "ids.invalid", "fork.refusals"],
    IN_PROCESS,
  ],
  ["leasesInProcess", "leases that hold within one process only", ["leases.across-processes"], ["leases."]],
  [
    "lostOnRelease",
    "a lease that says it was lost when it was released",
    ["leases.lost-signal"],
    ["leases."],
  ],
  [
    "deleteIgnoresLeases",
    "a delete that takes a thread from under its lease's owner",
    ["deletion.leased", "deletion.across-processes"],
    ["deletion."],
  ],
  [
    "deleteKeepsRow",
    "a delete that leaves the thread listed with its old head",
    ["deletion.basic", "deletion.expected-seq", "deletion.fork-stays", "durability.deleted-thread"],
    ["deletion.", "durability."],
  ],
  [
    "dropsNewerFields",
    "a tool.completed stored without the fields newer versions added (modelUsage)",
    ["basics.append-read"],
    IN_PROCESS,
  ],
  [
    "recentByCreation",
    "recentThreads ordered by creation, not by last activity",
    ["threads.recent"],
    ["threads."],
  ],
  [
    "deleteIgnoresExpectedSeq",
    "a delete that takes no notice of expectedSeq",
    ["deletion.expected-seq"],
    ["deletion."],
  ],
];

describe("journalConformance fails each flawed journal", () => {
  for (const [flaw, what, mustFail, only] of FLAWS) {
    it(`${what} (${flaw}) fails ${mustFail.join(", ")}`, async () => {
      const report = await runJournalConformance(flaw, factory({ [flaw]: true }), { only });
      const failed = report.failed.map((r) => r.id);
      expect(failed, report.failed.map((r) => `${r.id}: ${r.reason}`).join("\n")).toEqual(
        expect.arrayContaining([...mustFail]),
      );
      for (const result of report.failed) expect(result.reason, result.id).toBeTruthy();
    });
  }
});

/** Why the pipelining check skips a journal without `pipelinesAppends`. */
const NOT_PIPELINED = "this journal does not pipeline appends (pipelinesAppends is optional in v1)";
/** Why the recent-threads check skips a journal without `recentThreads`. */
const NO_RECENT = "this journal has no recentThreads() (listRecentThreads sorts its listing; optional in v1)";
/** Why the lease-loss check skips a journal whose leases have no `lost` signal. */
const NO_LOST_SIGNAL = "its leases have no `lost` signal (optional: leases lost only with their process)";

describe("what the kit reports about the factory it got", () => {
  it("fails the durability and cross-process checks of a plain journal function (the first API), naming the fix", async () => {
    const report = await runJournalConformance("a function", () => new MemoryJournal());
    const durability = report.results.filter((r) => r.id.startsWith("durability.")).map((r) => r.id);
    expect(durability.length).toBeGreaterThanOrEqual(6);
    expect(report.failed.map((r) => r.id).sort()).toEqual(
      [...durability, "processes.race", "processes.killed-mid-batch"].sort(),
    );
    for (const result of report.failed) {
      expect(result.reason).toContain(
        result.id.startsWith("durability.") ? "pass { newStorage, open }" : "processModule",
      );
    }
    const skipped = report.results.filter((r) => r.status === "skipped");
    expect(skipped.map((r) => [r.id, r.reason])).toEqual([
      ["threads.recent", NO_RECENT],
      ["pipelining.behind-in-flight", NOT_PIPELINED],
      ["corruption.detected", "the factory has no corrupt(storage, at) hook"],
      [
        "leases.lost-signal",
        "its leases have no `lost` signal (optional: leases lost only with their process)",
      ],
      ["leases.across-processes", "it needs processModule (see processes.*)"],
      ["deletion.across-processes", "it needs processModule (see processes.*)"],
    ]);
    expect(report.results.filter((r) => r.status === "passed")).toHaveLength(
      report.results.length - report.failed.length - skipped.length,
    );
  });

  it("fails a journal that says it filters threads but ignores a status, or fills a page before filtering", async () => {
    class IgnoresStatuses extends MemoryJournal {
      override threads(query: ThreadQuery = {}) {
        const { statuses: _, ...rest } = query;
        return super.threads(rest);
      }
    }
    class LimitsFirst extends MemoryJournal {
      override async *threads(query: ThreadQuery = {}) {
        const { statuses: _, updatedBefore: __, ...page } = query;
        for await (const info of super.threads(page)) if (threadMatches(info, query)) yield info;
      }
    }
    for (const flawed of [IgnoresStatuses, LimitsFirst]) {
      const report = await runJournalConformance(
        flawed.name,
        { newStorage: () => new flawed(), open: (journal: MemoryJournal) => journal },
        { only: ["threads."] },
      );
      expect(report.failed.map((r) => `${r.id}: ${r.reason}`)).toEqual([
        expect.stringMatching(/^threads.filters: /),
      ]);
    }
  });

  it("fails a journal that says it pipelines appends but checks only the head's seq", async () => {
    // MemoryJournal writes each append as it is called, so appends made behind each other land in
    // order; but one behind a refused append lands after another writer's batch of the same length.
    class SeqOnly extends MemoryJournal {
      readonly pipelinesAppends = true;
    }
    const report = await runJournalConformance(
      "SeqOnly",
      { newStorage: () => new SeqOnly(), open: (journal: SeqOnly) => journal },
      { only: ["pipelining."] },
    );
    expect(report.results.map((r) => r.id)).toEqual(["pipelining.behind-in-flight"]);
    expect(report.failed.map((r) => r.reason)).toEqual([
      expect.stringContaining("an append made behind a refused one"),
    ]);
  });

  it("fails a journal whose requestCancel says it asked the owner but never reaches the lease", async () => {
    class Deaf extends MemoryJournal {
      override async acquire(threadId: string): Promise<ThreadLease> {
        return { ...(await super.acquire(threadId)), cancelRequested: new AbortController().signal };
      }
    }
    const report = await runJournalConformance(
      "Deaf",
      { newStorage: () => new Deaf(), open: (journal: Deaf) => journal },
      { only: ["leases.cancel-request"] },
    );
    expect(report.failed.map((r) => [r.id, r.reason])).toEqual([
      [
        "leases.cancel-request",
        expect.stringContaining("cancelRequested.aborted within 5 s of requestCancel"),
      ],
    ]);
  });

  it("skips what a journal opts out of, by declaration, with its reason", async () => {
    const report = await runJournalConformance(
      "MemoryJournal",
      { newStorage: () => null, open: () => new MemoryJournal() },
      { optOut: { durability: "in memory", processes: "one process" } },
    );
    expect(report.failed).toEqual([]);
    const skipped = report.results.filter((r) => r.status === "skipped");
    expect(skipped.map((r) => [r.id, r.reason])).toEqual(
      report.results
        .filter((r) =>
          /^(durability|corruption|processes|pipelining)\.|^(leases|deletion)\.across-processes$|^leases\.lost-signal$|^threads\.recent$/.test(
            r.id,
          ),
        )
        .map((r) => [
          r.id,
          r.id.startsWith("pipelining.")
            ? NOT_PIPELINED
            : r.id === "threads.recent"
              ? NO_RECENT
              : r.id === "leases.lost-signal"
                ? NO_LOST_SIGNAL
                : `skipped by declaration: ${/^(durability|corruption)\./.test(r.id) ? "in memory" : "one process"}`,
        ]),
    );
    expect(skipped.length).toBe(16);
  });
});
