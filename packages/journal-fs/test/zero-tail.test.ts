import fs, { appendFileSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { JournalCorruptionError, type NewEvent, readAll, type StoredEvent } from "@loom/core";
import { describe, expect, it, vi } from "vitest";
import { FsJournal } from "../src/index.js";
import { EXTEND_FIRST } from "../src/thread-writer.js";
import { event, recordingJournal, seqsOf, tempRoot, watchPooled, writeBatches } from "./helpers.js";
import { WriterProcess } from "./writer-process.js";

// ADR 0003, addendum: with fsync "always" (and "batch", second addendum), a thread file is kept ahead of its content by written
// zeros, and batches are written into them in place, from a writer's (EXTEND_FIRST + 1)th batch on.

const newDir = tempRoot("zero-tail");
const ZEROS = 64 * 1024;

const snapshot = (note: string): NewEvent =>
  ({ ...event(note), type: "snapshot", data: { state: { note } } }) as NewEvent;

/**
 * Appends the EXTEND_FIRST batches an "always" writer appends at the file's end before it lays down
 * zeros (one event each, starting at `head`), and returns the new head.
 */
async function extendFirst(journal: FsJournal, threadId: string, head: number): Promise<number> {
  for (let i = 0; i < EXTEND_FIRST; i++)
    head = (await journal.append(threadId, [event(`x${i}`)], head)).lastSeq;
  return head;
}

/** Where a file's content ends: past its last byte that is not zero. */
function contentLength(bytes: Buffer): number {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return end;
}

/** The bytes a batch of `sizes.at(-1)` events adds after batches `sizes` minus the last (as one write). */
async function batchBytes(sizes: number[]): Promise<Buffer> {
  const scratch = newDir();
  await writeBatches(scratch, "t", sizes.slice(0, -1));
  const before = readFileSync(join(scratch, "t.jsonl")).length;
  const journal = new FsJournal({ dir: scratch });
  const head = await journal.head("t");
  const size = sizes.at(-1)!;
  await journal.append(
    "t",
    Array.from({ length: size }, (_, i) => event(`last ${i}`)),
    head,
  );
  await journal.close();
  return readFileSync(join(scratch, "t.jsonl")).subarray(before);
}

/**
 * A thread of batches `sizes` whose last batch is followed by zeros, as an "always" writer that did
 * not close leaves it; `damage` changes the last batch's bytes first (a torn or partly lost write).
 */
async function fileWithZeroTail(sizes: number[], damage: (last: Buffer) => Buffer = (b) => b) {
  const dir = newDir();
  await writeBatches(dir, "t", sizes.slice(0, -1));
  const file = join(dir, "t.jsonl");
  const committed = readFileSync(file).length;
  const last = damage(Buffer.from(await batchBytes(sizes)));
  appendFileSync(file, Buffer.concat([last, Buffer.alloc(ZEROS)]));
  return { dir, file, committed, last };
}

/** Zeros `length` bytes from `at` (negative: from the end) of a copy. */
function zeroed(bytes: Buffer, at: number, length: number): Buffer {
  const copy = Buffer.from(bytes);
  const start = at < 0 ? copy.length + at : at;
  copy.fill(0, start, Math.min(copy.length, start + length));
  return copy;
}

async function listed(journal: FsJournal) {
  const infos = [];
  for await (const info of journal.threads()) infos.push(info);
  return infos;
}

// "batch" keeps zeros too, and writes the appends that wait for a write or fsync as one batch.
for (const fsync of ["always", "batch"] as const) {
  describe(`a "${fsync}" writer writes into zeros it laid down before`, () => {
    it("appends its first batches at the file's end (a short run lays down no zeros and cuts none), then lays zeros down", async () => {
      const dir = newDir();
      const file = join(dir, "t.jsonl");
      let writer = new FsJournal({ dir, fsync });
      let head = -1;
      for (let i = 0; i < EXTEND_FIRST; i++) {
        head = (await writer.append("t", [event(`short ${i}`)], head)).lastSeq;
        const bytes = readFileSync(file);
        expect(bytes.length).toBe(contentLength(bytes));
      }
      let truncated = 0;
      watchPooled("ftruncate", () => truncated++);
      try {
        await writer.close();
      } finally {
        vi.restoreAllMocks();
      }
      expect(truncated).toBe(0);

      // Counted per writer: the next one extends the file for its own first batches again.
      writer = new FsJournal({ dir, fsync });
      head = await extendFirst(writer, "t", head);
      expect(statSync(file).size).toBe(contentLength(readFileSync(file)));
      head = (await writer.append("t", [event("into zeros")], head)).lastSeq;
      const bytes = readFileSync(file);
      expect(bytes.length).toBeGreaterThanOrEqual(ZEROS);
      expect(contentLength(bytes)).toBeLessThan(bytes.length);
      await writer.close();
      expect(await seqsOf(new FsJournal({ dir }), "t")).toEqual([...Array(head + 1).keys()]);
    });

    it("keeps zeros after the content while it writes, in place (the size holds), and leaves plain JSON Lines when it closes", async () => {
      const dir = newDir();
      const file = join(dir, "t.jsonl");
      const writer = new FsJournal({ dir, fsync });
      let head = await extendFirst(writer, "t", -1);
      head = (await writer.append("t", [event("a"), event("b")], head)).lastSeq;
      const size = statSync(file).size;
      const bytes = readFileSync(file);
      expect(size).toBeGreaterThanOrEqual(ZEROS);
      expect(contentLength(bytes)).toBeLessThan(size);
      head = (await writer.append("t", [event("c"), snapshot("s"), event("d")], head)).lastSeq;
      head = (await writer.append("t", [event("e")], head)).lastSeq;
      expect(statSync(file).size).toBe(size);

      // A journal that does not write the thread reads to the content's end: never the zeros.
      const reader = new FsJournal({ dir });
      const all = [...Array(EXTEND_FIRST + 6).keys()];
      expect(await seqsOf(reader, "t")).toEqual(all);
      expect(await reader.head("t")).toBe(head);
      expect(await listed(reader)).toMatchObject([{ threadId: "t", eventCount: all.length, lastSeq: head }]);
      expect((await reader.latestSnapshot("t"))?.seq).toBe(head - 2);
      expect((await readAll(reader, "t", { from: head - 1 })).map((e) => e.seq)).toEqual([head - 1, head]);

      await writer.close();
      const closed = readFileSync(file);
      expect(closed.includes(0)).toBe(false);
      expect(closed.at(-1)).toBe(0x0a);
      expect(closed.toString("utf8").trimEnd().split("\n")).toHaveLength(all.length);
      expect(await seqsOf(reader, "t")).toEqual(all);
      await reader.close();
    });

    it("lays down more zeros as the content reaches the end of them, and the thread reads back whole", async () => {
      const dir = newDir();
      const file = join(dir, "t.jsonl");
      const writer = new FsJournal({ dir, fsync });
      const pad = "x".repeat(4000);
      let head = await extendFirst(writer, "t", -1);
      const sizes = new Set<number>();
      for (let i = 0; i < 40; i++) {
        head = (await writer.append("t", [event(`${i}${pad}`), event(`${i}${pad}`)], head)).lastSeq;
        const now = statSync(file).size;
        sizes.add(now);
        expect(contentLength(readFileSync(file))).toBeLessThan(now);
      }
      expect(sizes.size).toBeGreaterThan(2);
      const reader = new FsJournal({ dir });
      expect(await seqsOf(reader, "t")).toEqual([...Array(EXTEND_FIRST + 80).keys()]);
      await writer.close();
      expect(statSync(file).size).toBe(contentLength(readFileSync(file)));
      await reader.close();
    });
  });

  describe(`laying down zeros ("${fsync}")`, () => {
    it("syncs them before the batch that needed them is written, and leaves zeros after that batch", async () => {
      const dir = newDir();
      const file = join(dir, "t.jsonl");
      const writer = new FsJournal({ dir, fsync });
      let head = await extendFirst(writer, "t", -1);
      const calls: string[] = [];
      const realWriteSync = fs.writeSync;
      watchPooled("write", () => calls.push("zeros"));
      watchPooled("fdatasync", () => calls.push("datasync"));
      vi.spyOn(fs, "writeSync").mockImplementation(((...args: Parameters<typeof fs.writeSync>) => {
        calls.push("batch");
        return (realWriteSync as (...a: unknown[]) => number)(...args);
      }) as typeof fs.writeSync);
      const pad = "x".repeat(10_000);
      const sizes: number[] = [];
      try {
        for (let i = 0; i < 12; i++) {
          const before = calls.length;
          head = (await writer.append("t", [event(`${i}${pad}`)], head)).lastSeq;
          const made = calls.slice(before);
          if (made.includes("zeros")) {
            // Zeros, their fdatasync, then the batch into them, then the batch's own fdatasync.
            expect(made.indexOf("datasync")).toBeGreaterThan(made.lastIndexOf("zeros"));
            expect(made.indexOf("batch")).toBeGreaterThan(made.indexOf("datasync"));
            expect(made.lastIndexOf("datasync")).toBeGreaterThan(made.indexOf("batch"));
          } else {
            expect(made.filter((c) => c === "zeros")).toEqual([]);
          }
          const bytes = readFileSync(file);
          expect(bytes.at(-1)).toBe(0);
          sizes.push(bytes.length);
        }
      } finally {
        vi.restoreAllMocks();
      }
      expect(new Set(sizes).size).toBeGreaterThan(1);
      expect(calls.filter((c) => c === "zeros").length).toBeGreaterThan(0);
      await writer.close();
    });
  });

  describe(`a file a writer left with zeros after its content (killed, or still writing), "${fsync}"`, () => {
    it("is read to the content's end by read, head, threads(), latestSnapshot and read({ from })", async () => {
      const { dir } = await fileWithZeroTail([2, 3]);
      const journal = new FsJournal({ dir });
      expect(await seqsOf(journal, "t")).toEqual([0, 1, 2, 3, 4]);
      expect(await journal.head("t")).toBe(4);
      expect(await listed(journal)).toMatchObject([{ threadId: "t", eventCount: 5 }]);
      expect(await journal.latestSnapshot("t")).toBeUndefined();
      expect((await readAll(journal, "t", { from: 3 })).map((e) => e.seq)).toEqual([3, 4]);
      await journal.close();
    });

    it(`a "${fsync}" writer appends into the zeros, in place and without a recovery report`, async () => {
      const { dir, file } = await fileWithZeroTail([2, 3]);
      const size = statSync(file).size;
      const { journal, reports } = recordingJournal({ dir, fsync });
      expect(await journal.append("t", [event("after")], 4)).toEqual({ lastSeq: 5 });
      expect(statSync(file).size).toBe(size);
      expect(reports).toEqual([]);
      expect(await seqsOf(journal, "t")).toEqual([0, 1, 2, 3, 4, 5]);
      await journal.close();
      expect(await seqsOf(new FsJournal({ dir }), "t")).toEqual([0, 1, 2, 3, 4, 5]);
    });

    it(`a "${fsync}" writer syncs the file before its first write into the zeros (a killed writer's unsynced batch goes to disk first)`, async () => {
      const { dir } = await fileWithZeroTail([2, 3]);
      const calls: string[] = [];
      const realWriteSync = fs.writeSync;
      watchPooled("fdatasync", () => calls.push("datasync"));
      vi.spyOn(fs, "writeSync").mockImplementation(((...args: Parameters<typeof fs.writeSync>) => {
        calls.push("write");
        return (realWriteSync as (...a: unknown[]) => number)(...args);
      }) as typeof fs.writeSync);
      const journal = new FsJournal({ dir, fsync });
      try {
        await journal.append("t", [event("after")], 4);
      } finally {
        vi.restoreAllMocks();
      }
      expect(calls[0]).toBe("datasync");
      expect(calls).toContain("write");
      await journal.close();
    });

    it("a reader's remembered head follows a write into the zeros that kept the file's size and time", async () => {
      const { dir, file } = await fileWithZeroTail([2, 3]);
      // The same modification time before and after the write, as two writes within one tick of the
      // file system's clock get.
      const tick = new Date(1_700_000_000_000);
      utimesSync(file, tick, tick);
      const reader = new FsJournal({ dir });
      expect(await reader.head("t")).toBe(4);
      const { size, mtimeMs } = statSync(file);
      const writer = new FsJournal({ dir, fsync });
      await writer.append("t", [event("after")], 4);
      utimesSync(file, tick, tick);
      expect(statSync(file)).toMatchObject({ size, mtimeMs });
      expect(await reader.head("t")).toBe(5);
      expect(await listed(reader)).toMatchObject([{ eventCount: 6 }]);
      await writer.close();
      await reader.close();
    });
  });

  describe(`a torn write into the zeros, "${fsync}"`, () => {
    it("killed mid-write (a batch's first lines, then zeros): left out by readers, cut by the next writer", async () => {
      const { dir, file, committed, last } = await fileWithZeroTail([2, 3], (b) =>
        zeroed(b, b.indexOf("\n") + 30, b.length),
      );
      const written = contentLength(last);
      const { journal, reports } = recordingJournal({ dir, fsync });
      expect(await seqsOf(journal, "t")).toEqual([0, 1]);
      expect(await journal.head("t")).toBe(1);
      expect(await journal.append("t", [event("after")], 1)).toEqual({ lastSeq: 2 });
      expect(reports).toEqual([
        { threadId: "t", file, action: "truncated", droppedBytes: written, droppedEvents: 1, lastSeq: 1 },
      ]);
      expect(await seqsOf(journal, "t")).toEqual([0, 1, 2]);
      await journal.close();
      const bytes = readFileSync(file);
      expect(bytes.includes(0)).toBe(false);
      expect(bytes.toString("utf8", committed).trimEnd().split("\n")).toHaveLength(1);
    });

    // A power cut during the fdatasync of a batch written in place: any of its pages may still hold
    // the zeros, and what comes after a lost page may be there.
    const lostPages: [string, (b: Buffer) => Buffer][] = [
      ["in the middle of its second line, its last line there", (b) => zeroed(b, b.indexOf("\n") + 60, 40)],
      ["across the newline between two of its lines", (b) => zeroed(b, b.indexOf("\n") - 10, 20)],
      ["at its very start", (b) => zeroed(b, 0, 50)],
      ["the end of its last line and its newline", (b) => zeroed(b, -20, 20)],
    ];
    for (const [where, damage] of lostPages) {
      it(`power cut, bytes lost ${where}: the whole batch is left out, never an event of it`, async () => {
        const { dir, file, committed } = await fileWithZeroTail([2, 3], damage);
        const journal = new FsJournal({ dir });
        expect(await seqsOf(journal, "t")).toEqual([0, 1]);
        expect(await journal.head("t")).toBe(1);
        expect(await listed(journal)).toMatchObject([{ eventCount: 2 }]);
        // From a seq inside the torn batch: its lines are skipped without parsing, then its intact last line.
        expect(await readAll(journal, "t", { from: 3 })).toEqual([]);
        expect(await readAll(journal, "t", { from: 4 })).toEqual([]);
        await journal.close();

        const { journal: writer, reports } = recordingJournal({ dir, fsync });
        expect(await writer.append("t", [event("after")], 1)).toEqual({ lastSeq: 2 });
        expect(reports).toMatchObject([{ action: "truncated", lastSeq: 1 }]);
        await writer.close();
        const bytes = readFileSync(file);
        expect(bytes.includes(0)).toBe(false);
        expect(bytes.subarray(0, committed).toString("utf8").split("\n")).toHaveLength(3);
        expect(await seqsOf(new FsJournal({ dir }), "t")).toEqual([0, 1, 2]);
      });
    }

    it("zeros in a batch with a complete batch after it are damage, not a torn write: corruption, nothing cut", async () => {
      const dir = newDir();
      await writeBatches(dir, "t", [1, 1, 1]);
      const file = join(dir, "t.jsonl");
      const text = readFileSync(file);
      const second = text.indexOf("\n") + 1;
      const damaged = zeroed(text, second + 40, 30);
      writeFileSync(file, Buffer.concat([damaged, Buffer.alloc(ZEROS)]));
      const before = readFileSync(file);
      const journal = new FsJournal({ dir, fsync });
      for (const error of [
        await journal.head("t").catch((e: unknown) => e),
        await readAll(journal, "t").catch((e: unknown) => e),
        await journal.append("t", [event("x")], 2).catch((e: unknown) => e),
      ]) {
        expect(JournalCorruptionError.isInstance(error)).toBe(true);
        expect((error as JournalCorruptionError).location).toBe(`${file}:2`);
      }
      await journal.close();
      expect(readFileSync(file)).toEqual(before);
    });
  });
}

describe('a "never" writer', () => {
  it("cuts the zeros a writer left and appends after the content (its batches are never synced)", async () => {
    const { dir, file } = await fileWithZeroTail([2, 3]);
    const { journal, reports } = recordingJournal({ dir, fsync: "never" });
    expect(await journal.append("t", [event("after")], 4)).toEqual({ lastSeq: 5 });
    const bytes = readFileSync(file);
    expect(bytes.includes(0)).toBe(false);
    expect(reports).toEqual([]);
    expect(await seqsOf(journal, "t")).toEqual([0, 1, 2, 3, 4, 5]);
    await journal.close();
  });
});

describe("an older file, without zeros after its content", () => {
  it('is read as before, and an "always" writer appends after it and lays down zeros from there', async () => {
    const dir = newDir();
    await writeBatches(dir, "t", [1, 2]);
    const file = join(dir, "t.jsonl");
    const old = readFileSync(file);
    const { journal, reports } = recordingJournal({ dir, fsync: "always" });
    expect(await seqsOf(journal, "t")).toEqual([0, 1, 2]);
    expect(await journal.append("t", [event("after")], 2)).toEqual({ lastSeq: 3 });
    const head = await extendFirst(journal, "t", 3);
    const bytes = readFileSync(file);
    expect(bytes.subarray(0, old.length)).toEqual(old);
    expect(bytes.length).toBeGreaterThan(contentLength(bytes));
    expect(reports).toEqual([]);
    expect(await seqsOf(new FsJournal({ dir }), "t")).toEqual([...Array(head + 1).keys()]);
    await journal.close();
  });
});

/** Every event is `run.started` with input `<batch id>:<index>:<batch size>:<padding>`. */
function wholeBatches(events: readonly StoredEvent[]): boolean {
  const batches = new Map<string, { size: number; seen: number }>();
  for (const e of events) {
    const [batch, , size] = (e as Extract<StoredEvent, { type: "run.started" }>).data.input.split(":");
    const entry = batches.get(batch!) ?? { size: Number(size), seen: 0 };
    entry.seen++;
    batches.set(batch!, entry);
  }
  return [...batches.values()].every((b) => b.seen === b.size);
}

describe("a reader in another process than the writer", () => {
  it('reads, lists, tails and follows an "always" writer that writes into its zeros: whole batches, never a zero, up to a SIGKILL', async () => {
    const dir = newDir();
    const threadId = "shared";
    const file = join(dir, "shared.jsonl");
    const writer = new WriterProcess(dir, "always", threadId);
    const reader = new FsJournal({ dir, subscribePollMs: 600_000 });
    const controller = new AbortController();
    const followed: StoredEvent[] = [];
    await writer.start();
    const following = (async () => {
      for await (const e of reader.subscribe(threadId, { signal: controller.signal })) followed.push(e);
    })();
    let reads = 0;
    let sawZeros = 0;
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      const before = await reader.head(threadId);
      const events = await readAll(reader, threadId);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
      expect(events.length - 1).toBeGreaterThanOrEqual(before);
      expect(wholeBatches(events)).toBe(true);
      const from = Math.max(0, events.length - 5);
      const tail = await readAll(reader, threadId, { from });
      expect(tail.map((e) => e.seq)).toEqual(tail.map((_, i) => from + i));
      expect(tail.slice(0, events.length - from)).toEqual(events.slice(from));
      const [info] = await listed(reader);
      expect(info!.lastSeq).toBeGreaterThanOrEqual(events.length - 1);
      const bytes = readFileSync(file);
      if (contentLength(bytes) < bytes.length) sawZeros++;
      reads++;
    }
    const acked = await writer.kill();
    const finalHead = await new FsJournal({ dir }).head(threadId);
    expect(finalHead).toBeGreaterThanOrEqual(acked);
    const deadline = Date.now() + 10_000;
    while ((followed.at(-1)?.seq ?? -1) < finalHead && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    controller.abort();
    await following;
    const journaled = await readAll(new FsJournal({ dir }), threadId);
    expect(followed).toEqual(journaled);
    expect(wholeBatches(journaled)).toBe(true);
    expect(reads).toBeGreaterThan(10);
    // Not every time: while the writer lays down new zeros, its batch ends the file for a moment.
    expect(sawZeros).toBeGreaterThan(reads / 2);
    await reader.close();
  }, 60_000);
});
