import {
  EVENT_VERSION,
  type Journal,
  JournalCorruptionError,
  listedBefore,
  type NewEvent,
  type RecentThreadsCursor,
  type RecentThreadsQuery,
  readAll,
  type StoredEvent,
  type ThreadInfo,
  type ThreadQuery,
  threadMatches,
} from "@loom/core";
import { CheckSkipped, ConformanceFailure, check, equal, rejects } from "./journal-assert.js";
import type { JournalConformanceOptions } from "./journal-kit-types.js";
import { WriterProcess } from "./journal-writers.js";
import { sampleEvents } from "./sample-events.js";

/** What a check gets: a journal on fresh storage, and a way to open more journals on the same storage. */
export interface CheckContext {
  readonly journal: Journal;
  /** Another journal on the same storage (the kit closes it after the check). */
  reopen(): Promise<Journal>;
  /** Closes every journal of this check that is still open, then damages a stored event. */
  corrupt(at: { threadId: string; seq: number }): Promise<void>;
  readonly storage: unknown;
  readonly processModule: string | undefined;
  readonly options: JournalConformanceOptions;
}

export type CheckNeed = "durability" | "processes" | "corrupt" | "leases" | "deletion" | "filters" | "recent";

export interface JournalCheck {
  readonly id: string;
  readonly title: string;
  readonly needs?: CheckNeed;
  /** An opt-out that also skips this check (a lease check that needs processes). */
  readonly optOutBy?: "durability" | "processes";
  run(ctx: CheckContext): Promise<void>;
}

/** Thread ids a journal must refuse with `invalid_thread_id`. */
export const BAD_THREAD_IDS: readonly (readonly [string, string])[] = [
  ["a parent path", "../x"],
  ["an empty id", ""],
  ["a 201-character id", "x".repeat(201)],
  ["a 10 kB id", "x".repeat(10_240)],
  ["a NUL byte", "a\u0000b"],
  ["a path separator", "a/b"],
  ["a backslash", "a\\b"],
  ["a dot-dot id", ".."],
  ["a leading dot", ".hidden"],
  ["a space", "a b"],
  ["a percent sign", "ab%"],
];

/** Valid ids that a journal must take like any other (`validateThreadId` allows them). */
export const UNUSUAL_THREAD_IDS: readonly string[] = [
  "user:42",
  "a@b.c",
  "x".repeat(200),
  "A_b.c+d=e-f",
  "9",
  "_",
  "UPPER",
  "upper",
];

export async function list(journal: Journal, query?: ThreadQuery): Promise<ThreadInfo[]> {
  const all: ThreadInfo[] = [];
  for await (const info of journal.threads(query)) all.push(info);
  return all;
}

export const ids = async (journal: Journal, query?: ThreadQuery) =>
  (await list(journal, query)).map((t) => t.threadId);
const seqsOf = async (journal: Journal, threadId: string, range?: { from?: number; to?: number }) =>
  (await readAll(journal, threadId, range)).map((e) => e.seq);
const withoutThread = (events: readonly StoredEvent[]) => events.map(({ threadId: _, ...rest }) => rest);
export const stored = (threadId: string, events: readonly NewEvent[], start = 0): StoredEvent[] =>
  events.map((e, i) => ({ ...e, threadId, seq: start + i }) as StoredEvent);

/** Appends `sizes` batches of sample events; returns every event appended. */
export async function appendBatches(
  journal: Journal,
  threadId: string,
  sizes: readonly number[],
): Promise<NewEvent[]> {
  const all: NewEvent[] = [];
  for (const size of sizes) {
    const batch = sampleEvents(size, { start: all.length });
    const { lastSeq } = await journal.append(threadId, batch, all.length - 1);
    all.push(...batch);
    equal(lastSeq, all.length - 1, `append of ${size} events to "${threadId}": lastSeq`);
  }
  return all;
}

export function rootEvent(type: "run.completed" | "run.failed", depth = 0): NewEvent {
  const base = { v: EVENT_VERSION, runId: "run-1", ts: 1, iteration: 1 } as const;
  const frame = depth === 0 ? { frameId: "root", depth } : { frameId: "sub-1", parentFrameId: "root", depth };
  return type === "run.completed"
    ? ({ ...base, ...frame, type, data: { text: "done" } } as NewEvent)
    : ({ ...base, ...frame, type, data: { error: { message: "boom", code: "x" } } } as NewEvent);
}

/** A tool result of about `chars` characters (multi-byte ones included), so roughly that many bytes or more. */
export function bigEvent(chars: number, n: number): NewEvent {
  const unit = `chunk ${n} — ünïcode ✓ "quoted" \\ back\nslash\t`;
  const content = unit.repeat(Math.ceil(chars / unit.length)).slice(0, chars);
  return {
    v: EVENT_VERSION,
    runId: "run-big",
    ts: 1_700_000_000_000 + n,
    frameId: "root",
    depth: 0,
    iteration: n,
    type: "tool.completed",
    data: { callId: `call-${n}`, name: "fetch", content, output: { size: chars } },
  } as NewEvent;
}

const MB = 1024 * 1024;

/** Checks that every batch of the `batches` writer protocol (`runId` "<writer>.<n>", `size` events) is whole. */
function wholeBatches(events: readonly StoredEvent[], size: number, reader: string): void {
  const seqs = events.map((e) => e.seq);
  equal(
    seqs,
    events.map((_, i) => i),
    `${reader}: seqs`,
  );
  for (let start = 0; start < events.length; start += size) {
    const batch = events.slice(start, start + size);
    const runId = batch[0]?.runId;
    check(
      batch.length === size && batch.every((e, i) => e.runId === runId && e.iteration === i),
      `${reader}: the batch starting at seq ${start} (runId ${runId}) is not whole: it has ${batch.filter((e) => e.runId === runId).length} of its ${size} events (${batch.map((e) => `${e.runId}#${e.iteration}`).join(", ")}). A batch must be all there or not there.`,
    );
  }
}

/** A root-frame event of run-1 at iteration `n`. */
function rootFrameEvent(n: number, type: string, data: unknown): NewEvent {
  return {
    v: EVENT_VERSION,
    runId: "run-1",
    ts: 1_700_000_000_000 + n,
    frameId: "root",
    depth: 0,
    iteration: n,
    type,
    data,
  } as NewEvent;
}

const snapshotEvent = (n: number) =>
  rootFrameEvent(n, "snapshot", {
    state: { format: 1, note: `state before ${n}`, nested: { type: "snapshot" } },
  });

/** A tool call whose arguments look like a snapshot's type field to a reader that does not parse. */
const lookalikeEvent = (n: number) =>
  rootFrameEvent(n, "tool.started", {
    callId: `call-${n}`,
    name: "save",
    args: { type: "snapshot" },
    idempotencyKey: `k-${n}`,
  });

/** Appends a thread with snapshots at seqs 3 and 6 (and a look-alike at 7) in three batches. */
async function appendSnapshots(journal: Journal): Promise<StoredEvent[]> {
  const events = [
    ...sampleEvents(3),
    snapshotEvent(3),
    ...sampleEvents(2, { start: 4 }),
    snapshotEvent(6),
    lookalikeEvent(7),
    ...sampleEvents(2, { start: 8 }),
  ];
  await journal.append("t-snap", events.slice(0, 5), -1);
  await journal.append("t-snap", events.slice(5, 7), 4);
  await journal.append("t-snap", events.slice(7), 6);
  return stored("t-snap", events);
}

async function checkLatestSnapshot(all: readonly StoredEvent[], reader: Journal): Promise<void> {
  const at = async (seq?: number) => (await reader.latestSnapshot!("t-snap", seq))?.seq;
  equal(await reader.latestSnapshot!("t-snap"), all[6], "latestSnapshot() is the event at seq 6");
  const cases: [number, number | undefined][] = [
    [9, 6],
    [7, 6],
    [6, 6],
    [5, 3],
    [3, 3],
    [2, undefined],
    [100, 6],
  ];
  for (const [seq, expected] of cases) equal(await at(seq), expected, `latestSnapshot(at ${seq})`);
  equal(await seqsOf(reader, "t-snap", { from: 7 }), [7, 8, 9], "read on from the snapshot");
}

export const JOURNAL_CHECKS: readonly JournalCheck[] = [
  {
    id: "snapshots.latest",
    title: "latestSnapshot (when implemented) finds the last snapshot at or before a seq",
    async run({ journal }) {
      if (!journal.latestSnapshot) return;
      equal(await journal.latestSnapshot("t-never"), undefined, "latestSnapshot of a thread never written");
      await checkLatestSnapshot(await appendSnapshots(journal), journal);
      for (const bad of [-1, 1.5]) {
        await rejects(
          () => journal.latestSnapshot!("t-snap", bad),
          "invalid_range",
          `latestSnapshot(at ${bad})`,
        );
      }
      await rejects(() => journal.latestSnapshot!("../x"), "invalid_thread_id", 'latestSnapshot("../x")');
    },
  },
  {
    id: "durability.latest-snapshot",
    title: "latestSnapshot (when implemented) finds the same snapshots after reopening",
    needs: "durability",
    async run({ journal, reopen }) {
      if (!journal.latestSnapshot) return;
      await checkLatestSnapshot(await appendSnapshots(journal), await reopen());
    },
  },
  {
    id: "basics.specification-version",
    title: 'declares specificationVersion "v1"',
    async run({ journal }) {
      equal(journal.specificationVersion, "v1", "specificationVersion");
    },
  },
  {
    id: "basics.empty-thread",
    title: "has nothing for a thread never written: head -1, empty read, not listed",
    async run({ journal }) {
      equal(await journal.head("never-written"), -1, "head");
      equal(await readAll(journal, "never-written"), [], "read");
      equal(await ids(journal), [], "threads()");
    },
  },
  {
    id: "basics.append-read",
    title: "appends and reads back events with thread id and gapless seqs",
    async run({ journal }) {
      const events = sampleEvents(6);
      equal(await journal.append("t-basic", events.slice(0, 1), -1), { lastSeq: 0 }, "first append");
      equal(await journal.append("t-basic", events.slice(1, 4), 0), { lastSeq: 3 }, "second append");
      equal(await journal.append("t-basic", events.slice(4), 3), { lastSeq: 5 }, "third append");
      equal(await journal.append("t-basic", [], 5), { lastSeq: 5 }, "an empty batch");
      equal(await journal.head("t-basic"), 5, "head");
      equal(await readAll(journal, "t-basic"), stored("t-basic", events), "events read back");
    },
  },
  {
    id: "basics.copy-on-append",
    title: "keeps what was appended even if the caller changes its objects afterwards",
    async run({ journal }) {
      const events = sampleEvents(3);
      await journal.append("t-copy", events, -1);
      (events[0] as { data: { input: string } }).data.input = "changed";
      const first = (await readAll(journal, "t-copy"))[0] as { data: { input: string } } | undefined;
      check(first?.data.input !== "changed", "the stored event changed with the caller's object");
    },
  },
  {
    id: "basics.conflict",
    title: "refuses a stale or future expectedSeq (journal_conflict) and stores nothing",
    async run({ journal }) {
      await journal.append("t-conflict", sampleEvents(2), -1);
      for (const expected of [-1, 0, 2, 7]) {
        const error = (await rejects(
          () => journal.append("t-conflict", sampleEvents(1, { start: 2 }), expected),
          "journal_conflict",
          `append with expectedSeq ${expected} on a thread at 1`,
        )) as { threadId?: unknown; expectedSeq?: unknown; actualSeq?: unknown };
        equal(
          [error.threadId, error.expectedSeq, error.actualSeq],
          ["t-conflict", expected, 1],
          "JournalConflictError's threadId, expectedSeq, actualSeq",
        );
      }
      await rejects(
        () => journal.append("t-new", sampleEvents(1), 0),
        "journal_conflict",
        "append with expectedSeq 0 to a thread that does not exist",
      );
      equal(await journal.head("t-new"), -1, "head of the refused new thread");
      equal(await journal.head("t-conflict"), 1, "head after refused appends");
      equal(await journal.append("t-conflict", sampleEvents(1, { start: 2 }), 1), { lastSeq: 2 }, "append");
    },
  },
  {
    id: "basics.invalid-batch",
    title: "stores none of a batch with one malformed event (event_schema or invalid_events)",
    async run({ journal }) {
      await journal.append("t-atomic", sampleEvents(1), -1);
      const batch = sampleEvents(4, { start: 1 });
      const broken = [
        ...batch.slice(0, 2),
        { ...batch[2], type: "no.such.type" } as unknown as NewEvent,
        batch[3]!,
      ];
      await rejects(
        () => journal.append("t-atomic", broken, 0),
        ["event_schema", "invalid_events"],
        "a batch with an unknown event type",
      );
      const noData = [{ ...batch[0], data: undefined } as unknown as NewEvent];
      await rejects(
        () => journal.append("t-atomic", noData, 0),
        ["event_schema", "invalid_events"],
        "an event without data",
      );
      equal(await journal.head("t-atomic"), 0, "head after the refused batches");
      equal(await seqsOf(journal, "t-atomic"), [0], "seqs after the refused batches");
      equal(await journal.append("t-atomic", batch, 0), { lastSeq: 4 }, "the good batch");
    },
  },
  {
    id: "basics.ranges",
    title: "reads inclusive ranges; a bad range is invalid_range",
    async run({ journal }) {
      await journal.append("t-range", sampleEvents(10), -1);
      const cases: [{ from?: number; to?: number }, number[]][] = [
        [{ from: 3 }, [3, 4, 5, 6, 7, 8, 9]],
        [{ to: 2 }, [0, 1, 2]],
        [{ from: 4, to: 6 }, [4, 5, 6]],
        [{ from: 9, to: 9 }, [9]],
        [{ from: 10 }, []],
        [{ from: 6, to: 5 }, []],
        [{ from: 5, to: 100 }, [5, 6, 7, 8, 9]],
      ];
      for (const [range, expected] of cases)
        equal(await seqsOf(journal, "t-range", range), expected, `read ${JSON.stringify(range)}`);
      for (const range of [{ from: -1 }, { to: -1 }, { from: 1.5 }, { from: Number.NaN }]) {
        await rejects(
          () => readAll(journal, "t-range", range),
          "invalid_range",
          `read ${String(JSON.stringify(range))}`,
        );
      }
    },
  },
  {
    id: "threads.listing",
    title:
      "lists threads in id order with counts, by prefix, and in pages that cover every thread once; a bad limit is invalid_range",
    async run({ journal }) {
      const names = ["p-a", "p-b", "p-c", "p-d", "p-e", "q-a"];
      for (const [i, id] of names.entries()) await journal.append(id, sampleEvents(i + 1), -1);
      const all = await list(journal);
      equal(
        all.map((t) => t.threadId),
        names,
        "threads()",
      );
      equal(
        all.map((t) => t.eventCount),
        [1, 2, 3, 4, 5, 6],
        "eventCount",
      );
      equal(
        all.map((t) => t.lastSeq),
        [0, 1, 2, 3, 4, 5],
        "lastSeq",
      );
      for (const t of all) {
        check(
          typeof t.createdAt === "number" && t.updatedAt >= t.createdAt,
          `createdAt/updatedAt of ${t.threadId}`,
        );
      }
      equal(await ids(journal, { prefix: "p-" }), names.slice(0, 5), 'threads({ prefix: "p-" })');
      equal(await ids(journal, { limit: 0 }), [], "threads({ limit: 0 })");
      for (const limit of [-1, 1.5]) {
        await rejects(() => ids(journal, { limit }), "invalid_range", `threads({ limit: ${limit} })`);
      }
      const paged: string[] = [];
      let after: string | undefined;
      for (let page = 0; page < 10; page++) {
        const got = await ids(journal, { prefix: "p-", limit: 2, ...(after ? { after } : {}) });
        if (got.length === 0) break;
        check(got.length <= 2, `a page of limit 2 held ${got.length} threads`);
        paged.push(...got);
        after = got.at(-1);
      }
      equal(paged, names.slice(0, 5), "threads in pages of 2");
    },
  },
  {
    id: "threads.filters",
    title:
      "applies statuses and updatedBefore where it lists (a page's limit counts only threads that pass); a bad one is invalid_range",
    needs: "filters",
    async run({ journal }) {
      const pause = () => new Promise((resolve) => setTimeout(resolve, 15));
      // f-a completed, f-b running (written again later), f-c failed; then f-d completed, f-e running.
      await journal.append("f-a", [...sampleEvents(1), rootEvent("run.completed")], -1);
      await journal.append("f-b", sampleEvents(1), -1);
      await journal.append("f-c", [...sampleEvents(1), rootEvent("run.failed")], -1);
      await pause();
      await journal.append("f-d", [...sampleEvents(1), rootEvent("run.completed")], -1);
      await journal.append("f-e", sampleEvents(2), -1);
      await journal.append("f-b", sampleEvents(1, { start: 1 }), 0);
      await journal.append("g-a", [...sampleEvents(1), rootEvent("run.completed")], -1);
      const all = await list(journal, { prefix: "f-" });
      const at = (id: string) => all.find((t) => t.threadId === id)!.updatedAt;
      check(
        at("f-c") < at("f-d"),
        `f-c (written ${at("f-c")}) is listed as written before f-d (${at("f-d")})`,
      );
      const tracked = all.every((t) => t.status !== undefined);
      if (tracked) {
        equal(await ids(journal, { statuses: ["completed"] }), ["f-a", "f-d", "g-a"], "statuses completed");
      }
      const queries: ThreadQuery[] = [
        { prefix: "f-", statuses: ["completed"] },
        { prefix: "f-", statuses: ["completed", "failed"], limit: 2 },
        { prefix: "f-", statuses: ["completed"], limit: 1, after: "f-a" },
        { prefix: "f-", statuses: [] },
        { prefix: "f-", updatedBefore: at("f-d") },
        { prefix: "f-", statuses: ["running"], updatedBefore: at("f-d") },
        {
          prefix: "f-",
          statuses: ["failed", "running"],
          updatedBefore: at("f-e") + 1,
          limit: 1,
          after: "f-b",
        },
      ];
      for (const query of queries) {
        const expected = all
          .filter((t) => threadMatches(t, query) && (query.after === undefined || t.threadId > query.after))
          .slice(0, query.limit)
          .map((t) => t.threadId);
        equal(await ids(journal, query), expected, `threads(${JSON.stringify(query)})`);
      }
      if (tracked) {
        equal(await ids(journal, queries[1]), ["f-a", "f-c"], `threads(${JSON.stringify(queries[1])})`);
        equal(await ids(journal, queries[4]), ["f-a", "f-c"], `threads(${JSON.stringify(queries[4])})`);
      }
      const bad: ThreadQuery[] = [
        { statuses: ["done" as "completed"] },
        { statuses: "completed" as unknown as ["completed"] },
        { updatedBefore: Number.NaN },
      ];
      for (const query of bad)
        await rejects(
          () => ids(journal, query),
          "invalid_range",
          `threads(${String(JSON.stringify(query))})`,
        );
    },
  },
  {
    id: "threads.recent",
    title:
      "lists recentThreads by last activity (updatedAt, then id, descending), with prefix, statuses and pages that lose or repeat none; a bad query is invalid_range",
    needs: "recent",
    async run({ journal }) {
      const pause = () => new Promise((resolve) => setTimeout(resolve, 15));
      const recent = async (query: RecentThreadsQuery) => {
        const out: ThreadInfo[] = [];
        for await (const info of journal.recentThreads!(query)) out.push(info);
        return out;
      };
      // Written in this order, r-b again last; r-c and r-d in one turn (perhaps the same ms).
      await journal.append("r-a", [...sampleEvents(1), rootEvent("run.completed")], -1);
      await journal.append("r-b", sampleEvents(1), -1);
      await pause();
      await journal.append("r-c", [...sampleEvents(1), rootEvent("run.failed")], -1);
      await journal.append("r-d", sampleEvents(1), -1);
      await pause();
      await journal.append("r-b", sampleEvents(1, { start: 1 }), 0);
      await journal.append("s-a", sampleEvents(1), -1);
      const all = await list(journal, { prefix: "r-" });
      const expected = [...all].sort((a, b) => (listedBefore(a, b) ? -1 : listedBefore(b, a) ? 1 : 0));
      const listed = await recent({ prefix: "r-" });
      equal(
        listed.map((t) => t.threadId),
        expected.map((t) => t.threadId),
        "recentThreads({ prefix }) against threads() sorted by updatedAt, then id, descending",
      );
      equal(listed[0]?.threadId, "r-b", "the thread written last comes first");
      equal(
        listed.map((t) => [t.updatedAt, t.lastSeq, t.status]),
        expected.map((t) => [t.updatedAt, t.lastSeq, t.status]),
        "each thread's updatedAt, lastSeq and status as threads() lists them",
      );
      const paged: string[] = [];
      let before: RecentThreadsCursor | undefined;
      for (let page = 0; page < 5; page++) {
        const rows = await recent({ prefix: "r-", limit: 2, ...(before ? { before } : {}) });
        paged.push(...rows.map((t) => t.threadId));
        if (rows.length < 2) break;
        before = { updatedAt: rows.at(-1)!.updatedAt, threadId: rows.at(-1)!.threadId };
      }
      equal(
        paged,
        expected.map((t) => t.threadId),
        "recentThreads in pages of 2 (before: the last listed)",
      );
      if (all.every((t) => t.status !== undefined)) {
        equal(
          (await recent({ prefix: "r-", statuses: ["completed", "failed"] })).map((t) => t.threadId),
          expected.filter((t) => t.threadId === "r-a" || t.threadId === "r-c").map((t) => t.threadId),
          "recentThreads({ statuses: completed, failed })",
        );
      }
      equal(
        (await recent({ limit: 1 })).map((t) => t.threadId),
        ["s-a"],
        "recentThreads({ limit: 1 }) over every prefix",
      );
      const bad = [
        { limit: -1 },
        { statuses: ["done"] },
        { before: { updatedAt: Number.NaN, threadId: "r-a" } },
      ] as unknown as RecentThreadsQuery[];
      for (const query of bad)
        await rejects(() => recent(query), "invalid_range", `recentThreads(${JSON.stringify(query)})`);
    },
  },
  {
    id: "threads.prefix-is-literal",
    title: "matches a threads() prefix literally and case-sensitively (no LIKE pattern: _ is not a wildcard)",
    async run({ journal }) {
      const names = ["AB-1", "ab", "ab_1", "abc", "abd_2", "aB_3", "b"];
      for (const id of names) await journal.append(id, sampleEvents(1), -1);
      equal(await ids(journal, { prefix: "ab_" }), ["ab_1"], 'threads({ prefix: "ab_" })');
      equal(
        await ids(journal, { prefix: "ab" }),
        ["ab", "ab_1", "abc", "abd_2"],
        'threads({ prefix: "ab" })',
      );
      equal(await ids(journal, { prefix: "AB" }), ["AB-1"], 'threads({ prefix: "AB" })');
      equal(
        await ids(journal, { prefix: "a" }),
        ["aB_3", "ab", "ab_1", "abc", "abd_2"],
        'threads({ prefix: "a" })',
      );
    },
  },
  {
    id: "threads.binary-order",
    title: "orders threads by code unit (upper case before lower case), in pages too",
    async run({ journal }) {
      const names = [
        "b",
        "a",
        "B",
        "A",
        "_x",
        "0",
        "Z9",
        "user:42",
        "user-1",
        "user.2",
        "a@b.c",
        "a+b",
        "a=b",
      ];
      for (const id of names) await journal.append(id, sampleEvents(1), -1);
      const sorted = [...names].sort();
      equal(await ids(journal), sorted, "threads() order");
      equal(
        await ids(journal, { after: "Z9" }),
        sorted.slice(sorted.indexOf("Z9") + 1),
        'threads({ after: "Z9" })',
      );
      equal(
        await ids(journal, { after: "a", limit: 3 }),
        sorted.slice(sorted.indexOf("a") + 1).slice(0, 3),
        'threads({ after: "a", limit: 3 })',
      );
    },
  },
  {
    id: "ids.invalid",
    title: "refuses bad thread ids (invalid_thread_id) on every method, creating nothing",
    async run({ journal }) {
      await journal.append("t-ok", sampleEvents(1), -1);
      for (const [what, id] of BAD_THREAD_IDS) {
        const calls: [string, () => Promise<unknown>][] = [
          ["append", () => journal.append(id, sampleEvents(1), -1)],
          ["read", () => readAll(journal, id)],
          ["head", () => journal.head(id)],
          ["fork to", () => journal.fork("t-ok", 0, id)],
          ["fork from", () => journal.fork(id, 0, "t-ok-2")],
        ];
        for (const [op, call] of calls) await rejects(call, "invalid_thread_id", `${op} with ${what}`);
      }
      equal(await ids(journal), ["t-ok"], "threads() after refused ids");
    },
  },
  {
    id: "ids.unusual",
    title: "takes valid but unusual thread ids: user:42, a@b.c, 200 characters, +=_-., digits first",
    async run({ journal }) {
      for (const id of UNUSUAL_THREAD_IDS) {
        const events = sampleEvents(2);
        equal(await journal.append(id, events, -1), { lastSeq: 1 }, `append to ${JSON.stringify(id)}`);
        equal(await journal.head(id), 1, `head of ${JSON.stringify(id)}`);
        equal(await readAll(journal, id), stored(id, events), `read of ${JSON.stringify(id)}`);
      }
      equal(await ids(journal), [...UNUSUAL_THREAD_IDS].sort(), "threads()");
      await journal.fork("user:42", 0, "a@b.c.fork");
      equal(await seqsOf(journal, "a@b.c.fork"), [0], "fork into a@b.c.fork");
    },
  },
  {
    id: "fork.basic",
    title: "forks a thread at a seq into a new thread, leaving the original untouched",
    async run({ journal }) {
      await journal.append("t-src", sampleEvents(8), -1);
      await journal.fork("t-src", 4, "t-fork");
      const forked = await readAll(journal, "t-fork");
      equal(
        forked.map((e) => e.seq),
        [0, 1, 2, 3, 4],
        "forked seqs",
      );
      check(
        forked.every((e) => e.threadId === "t-fork"),
        "forked events carry the new thread id",
      );
      const original = await readAll(journal, "t-src");
      equal(withoutThread(forked), withoutThread(original.slice(0, 5)), "forked events");
      equal(
        await journal.append("t-fork", sampleEvents(1, { start: 5 }), 4),
        { lastSeq: 5 },
        "append to the fork",
      );
      equal(await journal.head("t-src"), 7, "head of the original");
      const listed = await list(journal);
      equal(
        listed.map((t) => [t.threadId, t.eventCount]),
        [
          ["t-fork", 6],
          ["t-src", 8],
        ],
        "threads() after the fork",
      );
    },
  },
  {
    id: "fork.refusals",
    title:
      "refuses to fork from a missing thread (thread_not_found), past its head (invalid_range), or into an existing thread (thread_exists)",
    async run({ journal }) {
      await journal.append("t-src2", sampleEvents(3), -1);
      await journal.append("t-taken", sampleEvents(1), -1);
      const cases: [string, number, string, string][] = [
        ["t-missing", 0, "t-new1", "thread_not_found"],
        ["t-src2", 3, "t-new2", "invalid_range"],
        ["t-src2", -1, "t-new3", "invalid_range"],
        ["t-src2", 1.5, "t-new4", "invalid_range"],
        ["t-src2", 1, "t-taken", "thread_exists"],
        ["t-src2", 1, "t-src2", "thread_exists"],
      ];
      for (const [from, at, to, code] of cases)
        await rejects(() => journal.fork(from, at, to), code, `fork ${from}@${at} -> ${to}`);
      equal(await journal.head("t-taken"), 0, "head of the existing target");
      equal(await journal.head("t-src2"), 2, "head of the source");
      equal(await ids(journal), ["t-src2", "t-taken"], "threads() after refused forks");
    },
  },
  {
    id: "fork.mid-batch",
    title:
      "forks in the middle of a batch, at a batch's end, and at seq 0: exactly the events up to that seq",
    async run({ journal }) {
      const all = await appendBatches(journal, "t-batches", [3, 5, 1, 4]);
      for (const at of [0, 1, 2, 3, 5, 7, 8, 9, 12]) {
        await journal.fork("t-batches", at, `t-at-${at}`);
        equal(await journal.head(`t-at-${at}`), at, `head of the fork at ${at}`);
        equal(
          await readAll(journal, `t-at-${at}`),
          stored(`t-at-${at}`, all.slice(0, at + 1)),
          `the fork at ${at}`,
        );
      }
      equal(
        await journal.append("t-at-5", sampleEvents(2, { start: 6 }), 5),
        { lastSeq: 7 },
        "append to the fork at 5",
      );
    },
  },
  {
    id: "status.root-only",
    title: "reports the root frame's status, never a sub-agent's completion as the thread's",
    async run({ journal }) {
      const statusOf = async (id: string) =>
        (await list(journal, { prefix: id })).find((t) => t.threadId === id)?.status;
      await journal.append("t-status", sampleEvents(2), -1);
      const tracked = (await statusOf("t-status")) !== undefined;
      if (tracked) equal(await statusOf("t-status"), "running", "status after run.started");
      await journal.append("t-status", [rootEvent("run.completed", 1)], 1);
      if (tracked)
        equal(await statusOf("t-status"), "running", "status after a sub-agent's run.completed (depth 1)");
      await journal.append("t-status", [rootEvent("run.failed", 2)], 2);
      if (tracked)
        equal(await statusOf("t-status"), "running", "status after a sub-agent's run.failed (depth 2)");
      await journal.append("t-status", [rootEvent("run.completed")], 3);
      if (tracked) equal(await statusOf("t-status"), "completed", "status after the root's run.completed");
      await journal.fork("t-status", 2, "t-status-fork");
      if (tracked)
        equal(await statusOf("t-status-fork"), "running", "status of a fork before the root completed");
    },
  },
  {
    id: "close.refuses-everything",
    title: "refuses every method after close() with journal_closed; close() twice is fine",
    async run({ journal }) {
      await journal.append("t-before", sampleEvents(2), -1);
      await journal.close();
      await journal.close();
      const calls: [string, () => unknown][] = [
        ["append", () => journal.append("t-before", sampleEvents(1, { start: 2 }), 1)],
        ["append to a new thread", () => journal.append("t-after", sampleEvents(1), -1)],
        ["read", () => readAll(journal, "t-before")],
        ["head", () => journal.head("t-before")],
        ["threads", () => list(journal)],
        ["fork", () => journal.fork("t-before", 0, "t-forked")],
      ];
      if (typeof journal.acquire === "function") calls.push(["acquire", () => journal.acquire?.("t-before")]);
      if (typeof journal.deleteThread === "function")
        calls.push(["deleteThread", () => journal.deleteThread?.("t-before")]);
      for (const [op, call] of calls) await rejects(call, "journal_closed", `${op} after close()`);
    },
  },
  {
    id: "concurrency.in-process",
    title: "lets exactly one of many concurrent writers (one journal) win each seq",
    async run({ journal, options }) {
      const writers = options.concurrentWriters ?? 10;
      for (let round = 0; round < 5; round++) {
        const results = await Promise.allSettled(
          Array.from({ length: writers }, (_, w) =>
            journal.append(
              "t-race",
              [{ ...sampleEvents(1, { start: round })[0]!, runId: `writer-${w}` }],
              round - 1,
            ),
          ),
        );
        const won = results.filter((r) => r.status === "fulfilled");
        equal(won.length, 1, `winners of round ${round}`);
        for (const lost of results) {
          if (lost.status === "rejected")
            await rejects(() => Promise.reject(lost.reason), "journal_conflict", "a losing writer");
        }
      }
      equal(await seqsOf(journal, "t-race"), [0, 1, 2, 3, 4], "seqs");
    },
  },
  {
    id: "pipelining.behind-in-flight",
    title:
      "pipelinesAppends (when declared): appends made behind one in flight land in call order; one behind a refused append is refused",
    async run({ journal, reopen }) {
      if (journal.pipelinesAppends !== true) {
        throw new CheckSkipped("this journal does not pipeline appends (pipelinesAppends is optional in v1)");
      }
      // Each made before the one it follows has settled, expecting that one's last seq.
      const made = [0, 1, 2, 3].map((i) =>
        journal.append("t-pipe", sampleEvents(2, { start: 2 * i }), 2 * i - 1),
      );
      equal(
        (await Promise.all(made)).map((r) => r.lastSeq),
        [1, 3, 5, 7],
        "last seqs of appends made behind each other",
      );
      equal(await seqsOf(journal, "t-pipe"), [0, 1, 2, 3, 4, 5, 6, 7], "seqs");

      // Another writer takes the head first with a batch of the same length: the append expecting the
      // old head is refused, and so is the one behind it, though the head is then the seq it expects.
      const other = await reopen();
      await other.append("t-pipe", sampleEvents(2, { start: 8, runId: "other" }), 7);
      const refused = journal.append("t-pipe", sampleEvents(2, { start: 8, runId: "mine" }), 7);
      const behind = journal.append("t-pipe", sampleEvents(2, { start: 10, runId: "mine" }), 9);
      await rejects(() => refused, "journal_conflict", "an append at a head another writer took");
      const outcome = await behind.then(
        () => "written",
        () => "refused",
      );
      equal(outcome, "refused", "an append made behind a refused one");
      const events = await readAll(journal, "t-pipe");
      equal(
        events.slice(8).map((e) => [e.seq, e.runId]),
        [
          [8, "other"],
          [9, "other"],
        ],
        "the thread after the other writer's batch",
      );
    },
  },
  {
    id: "payload.large-event",
    title: "takes 1 MB events and reads them back exactly",
    async run({ journal }) {
      const events = [bigEvent(MB, 0), bigEvent(MB + 17, 1)];
      await journal.append("t-big", events.slice(0, 1), -1);
      await journal.append("t-big", events.slice(1), 0);
      equal(await readAll(journal, "t-big"), stored("t-big", events), "1 MB events read back");
    },
  },
  {
    id: "payload.large-batch",
    title: "takes an 8 MB batch (eight 1 MB events) atomically and reads it back exactly",
    async run({ journal }) {
      await journal.append("t-big-batch", sampleEvents(1), -1);
      const batch = Array.from({ length: 8 }, (_, i) => bigEvent(MB, i + 1));
      equal(await journal.append("t-big-batch", batch, 0), { lastSeq: 8 }, "append of the 8 MB batch");
      const back = await readAll(journal, "t-big-batch", { from: 1 });
      equal(back, stored("t-big-batch", batch, 1), "the 8 MB batch read back");
    },
  },
  {
    id: "long-thread.seq-order",
    title:
      "keeps seq order in a thread of thousands of events (10 after 9, not after 1), and reads ranges across any page size",
    async run({ journal, options }) {
      const total = options.longThread ?? 5000;
      const sizes: number[] = [];
      for (let left = total, i = 0; left > 0; i++) {
        const size = Math.min(left, [1, 7, 64, 250, 499][i % 5]!);
        sizes.push(size);
        left -= size;
      }
      const all = await appendBatches(journal, "t-long", sizes);
      equal(await journal.head("t-long"), total - 1, "head");
      const whole = await readAll(journal, "t-long");
      equal(
        whole.map((e) => e.seq),
        all.map((_, i) => i),
        "seqs of the whole thread",
      );
      equal(whole.at(-1), stored("t-long", all).at(-1), "the last event");
      const ranges: [number, number | undefined][] = [
        [9, 11],
        [95, 1105],
        [99, 101],
        [255, 257],
        [999, 1001],
        [1023, 2049],
        [0, 4095],
        [total - 3, undefined],
        [total - 1, total + 100],
      ];
      for (const [from, to] of ranges) {
        const last = Math.min(to ?? total - 1, total - 1);
        const expected = Array.from({ length: Math.max(0, last - from + 1) }, (_, i) => from + i);
        equal(
          await seqsOf(journal, "t-long", { from, ...(to === undefined ? {} : { to }) }),
          expected,
          `read { from: ${from}, to: ${to} }`,
        );
      }
      const info = (await list(journal, { prefix: "t-long" }))[0];
      equal([info?.eventCount, info?.lastSeq], [total, total - 1], "eventCount and lastSeq from threads()");
      await journal.fork("t-long", 1234, "t-long-fork");
      equal(
        await seqsOf(journal, "t-long-fork", { from: 1200 }),
        Array.from({ length: 35 }, (_, i) => 1200 + i),
        "the fork's tail",
      );
      // An early stop of a read must leave the journal usable.
      for await (const event of journal.read("t-long", { from: 10 })) if (event.seq >= 12) break;
      equal(
        await journal.append("t-long", sampleEvents(1, { start: total }), total - 1),
        { lastSeq: total },
        "append after a read stopped early",
      );
    },
  },
  {
    id: "durability.reopen",
    title: "keeps everything acknowledged: a new journal on the same storage, after close(), reads the same",
    needs: "durability",
    async run({ journal, reopen }) {
      const a = await appendBatches(journal, "t-a", [1, 3, 2]);
      const b = await appendBatches(journal, "t-b", [4]);
      await journal.append("t-b", [rootEvent("run.completed")], 3);
      await journal.fork("t-a", 3, "t-a-fork");
      const before = await list(journal);
      await journal.close();
      const again = await reopen();
      equal(await readAll(again, "t-a"), stored("t-a", a), "t-a after reopening");
      equal(
        await readAll(again, "t-b"),
        stored("t-b", [...b, rootEvent("run.completed")]),
        "t-b after reopening",
      );
      equal(await readAll(again, "t-a-fork"), stored("t-a-fork", a.slice(0, 4)), "the fork after reopening");
      const after = await list(again);
      equal(
        after.map((t) => [t.threadId, t.eventCount, t.lastSeq, t.status]),
        before.map((t) => [t.threadId, t.eventCount, t.lastSeq, t.status]),
        "threads() after reopening",
      );
      await rejects(
        () => again.append("t-a", sampleEvents(1, { start: 6 }), 4),
        "journal_conflict",
        "a stale append after reopening",
      );
      equal(
        await again.append("t-a", sampleEvents(1, { start: 6 }), 5),
        { lastSeq: 6 },
        "append after reopening",
      );
      await again.close();
      const third = await reopen();
      equal(await third.head("t-a"), 6, "head after a second reopening");
    },
  },
  {
    id: "durability.unusual-ids",
    title:
      "keeps unusual thread ids exactly across reopening (user:42, a@b.c, UPPER beside upper, 200 characters)",
    needs: "durability",
    async run({ journal, reopen }) {
      for (const [i, id] of UNUSUAL_THREAD_IDS.entries()) await journal.append(id, sampleEvents(i + 1), -1);
      await journal.close();
      const again = await reopen();
      equal(await ids(again), [...UNUSUAL_THREAD_IDS].sort(), "threads() after reopening");
      for (const [i, id] of UNUSUAL_THREAD_IDS.entries()) {
        equal(
          await readAll(again, id),
          stored(id, sampleEvents(i + 1)),
          `${JSON.stringify(id)} after reopening`,
        );
      }
    },
  },
  {
    id: "durability.close-with-appends-in-flight",
    title: "keeps every append acknowledged around close(): appends in flight when close() is called",
    needs: "durability",
    async run({ journal, reopen }) {
      const threads = Array.from({ length: 12 }, (_, i) => `t-flight-${i}`);
      for (const id of threads) await journal.append(id, sampleEvents(2), -1);
      const inFlight = threads.map((id) => journal.append(id, sampleEvents(3, { start: 2 }), 1));
      const closing = journal.close();
      let timer: NodeJS.Timeout | undefined;
      const outcomes = await Promise.race([
        Promise.allSettled(inFlight),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new ConformanceFailure(
                  "appends in flight when close() was called did not settle within 20 s",
                ),
              ),
            20_000,
          );
        }),
      ]).finally(() => clearTimeout(timer));
      await closing;
      const again = await reopen();
      for (const [i, outcome] of outcomes.entries()) {
        const id = threads[i]!;
        const seqs = await seqsOf(again, id);
        if (outcome.status === "fulfilled") {
          equal(seqs, [0, 1, 2, 3, 4], `${id}: its append was acknowledged before close() finished`);
        } else {
          check(
            seqs.length === 2 || seqs.length === 5,
            `${id}: a refused append left ${seqs.length - 2} of its 3 events (a batch is all there or not there)`,
          );
        }
      }
    },
  },
  {
    id: "durability.second-instance",
    title: "shows a second journal open on the same storage every acknowledged append at once",
    needs: "durability",
    async run({ journal, reopen }) {
      const second = await reopen();
      const events = await appendBatches(journal, "t-shared", [2, 3]);
      equal(await second.head("t-shared"), 4, "head seen by the second journal");
      equal(
        await readAll(second, "t-shared"),
        stored("t-shared", events),
        "events seen by the second journal",
      );
      await second.append("t-other", sampleEvents(2), -1);
      equal(await journal.head("t-other"), 1, "head seen by the first journal");
      equal(await ids(journal), ["t-other", "t-shared"], "threads() seen by the first journal");
      await rejects(
        () => second.fork("t-other", 0, "t-shared"),
        "thread_exists",
        "a fork into a thread the other journal wrote",
      );
    },
  },
  {
    id: "durability.fork-mid-batch",
    title: "keeps a fork taken in the middle of a batch whole after reopening, and it takes appends",
    needs: "durability",
    async run({ journal, reopen }) {
      const all = await appendBatches(journal, "t-src", [6, 4]);
      await journal.fork("t-src", 2, "t-mid");
      await journal.fork("t-src", 7, "t-mid2");
      await journal.close();
      const again = await reopen();
      equal(await readAll(again, "t-mid"), stored("t-mid", all.slice(0, 3)), "the fork at 2 after reopening");
      equal(
        await readAll(again, "t-mid2"),
        stored("t-mid2", all.slice(0, 8)),
        "the fork at 7 after reopening",
      );
      equal(
        await again.append("t-mid", sampleEvents(1, { start: 3 }), 2),
        { lastSeq: 3 },
        "append to the fork",
      );
    },
  },
  {
    id: "durability.large",
    title: "keeps an 8 MB batch and a long thread across reopening",
    needs: "durability",
    async run({ journal, reopen, options }) {
      const batch = Array.from({ length: 8 }, (_, i) => bigEvent(MB, i));
      await journal.append("t-big", batch, -1);
      const total = Math.min(options.longThread ?? 5000, 3000);
      await appendBatches(journal, "t-long", [total - 1, 1]);
      await journal.close();
      const again = await reopen();
      equal(await readAll(again, "t-big"), stored("t-big", batch), "the 8 MB batch after reopening");
      equal(
        await seqsOf(again, "t-long", { from: 8, to: 12 }),
        [8, 9, 10, 11, 12],
        "seqs 8..12 after reopening",
      );
      equal(await again.head("t-long"), total - 1, "head of the long thread after reopening");
    },
  },
  {
    id: "corruption.detected",
    title: "raises JournalCorruptionError (journal_corrupt) on a damaged stored event, never returns it",
    needs: "corrupt",
    async run({ journal, reopen, corrupt }) {
      const events = await appendBatches(journal, "t-damaged", [2, 3, 2]);
      await journal.append("t-fine", sampleEvents(2), -1);
      await corrupt({ threadId: "t-damaged", seq: 3 });
      const again = await reopen();
      const seen: StoredEvent[] = [];
      const error = await rejects(
        async () => {
          for await (const event of again.read("t-damaged")) seen.push(event);
        },
        "journal_corrupt",
        "reading a thread whose seq 3 is damaged",
      );
      check(JournalCorruptionError.isInstance(error), "the error is a JournalCorruptionError");
      check(seen.length <= 3, `the read returned ${seen.length} events, seq 3 (damaged) or later among them`);
      equal(
        seen,
        stored("t-damaged", events).slice(0, seen.length),
        "events returned before the damaged one",
      );
      equal(await seqsOf(again, "t-fine"), [0, 1], "another thread of the same storage");
    },
  },
  {
    id: "processes.race",
    title: "lets exactly one writer process win each seq: writer processes racing on one thread",
    needs: "processes",
    async run({ journal, storage, processModule, options }) {
      const count = options.writerProcesses ?? 4;
      const wins = 15;
      const template = sampleEvents(2)[1]!;
      const writers = Array.from(
        { length: count },
        (_, w) =>
          new WriterProcess({
            module: processModule!,
            storage,
            kind: "race",
            threadId: "t-race",
            writer: `w${w}`,
            wins,
            template,
            deadlineMs: 20_000,
          }),
      );
      try {
        await Promise.all(writers.map((w) => w.whenReady()));
        for (const w of writers) w.go();
        await Promise.all(writers.map((w) => w.finished()));
      } finally {
        await Promise.all(writers.map((w) => w.kill()));
      }
      const owner = new Map<number, string>();
      for (const [w, writer] of writers.entries()) {
        for (const seq of writer.acked) {
          const other = owner.get(seq);
          check(
            other === undefined,
            `seq ${seq} was acknowledged to two writer processes, w${w} and ${other}`,
          );
          owner.set(seq, `w${w}`);
        }
      }
      const events = await readAll(journal, "t-race");
      equal(
        events.map((e) => e.seq),
        events.map((_, i) => i),
        "seqs after the race",
      );
      for (const [seq, writer] of owner) {
        check(
          events[seq]?.runId === writer,
          `seq ${seq}, acknowledged to ${writer}, holds ${events[seq]?.runId ?? "nothing"}`,
        );
      }
      equal(owner.size, events.length, "events stored vs appends acknowledged");
      check(owner.size >= wins, `only ${owner.size} appends were acknowledged within 20 s`);
    },
  },
  {
    id: "processes.killed-mid-batch",
    title:
      "keeps each batch all there or not there when its appender process is killed (SIGKILL) mid-batch, to every reader",
    needs: "processes",
    async run({ journal, storage, processModule, options, reopen }) {
      const kills = options.kills ?? 20;
      const size = 25;
      const template = sampleEvents(2)[1]!;
      const start = (k: number) =>
        new WriterProcess({
          module: processModule!,
          storage,
          kind: "batches",
          threadId: "t-killed",
          writer: `k${k}`,
          batchSize: size,
          template,
          deadlineMs: 30_000,
        });
      // The next writer loads while the current one runs: loading is most of a writer's life.
      let next = start(0);
      let acked = -1;
      for (let k = 0; k < kills; k++) {
        const writer = next;
        if (k + 1 < kills) next = start(k + 1);
        try {
          await writer.whenReady();
          writer.go();
          await writer.firstAck();
          await new Promise((resolve) => setTimeout(resolve, (k * 7) % 23));
        } finally {
          await writer.kill();
        }
        acked = Math.max(acked, ...writer.acked);
        const fresh = await reopen();
        for (const [reader, j] of [
          ["a journal opened before the kills", journal],
          [`a journal opened after kill ${k + 1}`, fresh],
        ] as const) {
          // A batch the killed process sent may still commit after it died (a database server
          // finishing the statement): it was never acknowledged, and it must land whole. So the
          // head is read first, and the events read after it reach at least that far.
          const head = await j.head("t-killed");
          const events = await readAll(j, "t-killed");
          check(head >= acked, `${reader}: seq ${acked} was acknowledged, the head is ${head}`);
          check(
            events.length - 1 >= head,
            `${reader}: the head is ${head}, the events read end at ${events.length - 1}`,
          );
          wholeBatches(events, size, `${reader}, after kill ${k + 1}`);
        }
        await fresh.close();
      }
      await next.kill();
      // The last killed writer's batch may still land (see above): a conflict then is expected, once.
      for (let attempt = 1; ; attempt++) {
        const head = await journal.head("t-killed");
        try {
          equal(
            await journal.append("t-killed", sampleEvents(1, { start: 1 }), head),
            { lastSeq: head + 1 },
            "append after the kills",
          );
          break;
        } catch (error) {
          if ((error as { code?: unknown }).code !== "journal_conflict" || attempt === 3) throw error;
        }
      }
      wholeBatches((await readAll(journal, "t-killed")).slice(0, -1), size, "after the kills");
    },
  },
];
