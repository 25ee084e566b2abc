import fs from "node:fs";
import { readAll } from "@loom/core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FsJournal, type FsyncMode } from "../src/index.js";
import { quickSeq } from "../src/line-format.js";
import { EXTEND_FIRST } from "../src/thread-writer.js";
import { event, tempRoot, watchPooled } from "./helpers.js";

const newDir = tempRoot("group-commit");
const APPENDS = 32;
/** Appends made first: the file and its lock exist, and a writer that keeps zeros has laid them down. */
const WARM = EXTEND_FIRST + 1;

/**
 * Watches (and passes through) every write (the writer hands batches to the file with
 * `fs.writeSync`, logged as `write <seqs of its lines>`) and fdatasync (`fs.fdatasync` in libuv's
 * pool, or `fs.fdatasyncSync` on the calling thread), in the order they finish, with each append's
 * acknowledgement: the real disk does the work.
 */
function watchFileHandles(): string[] {
  const writeSync = fs.writeSync;
  const log: string[] = [];
  vi.spyOn(fs, "writeSync").mockImplementation((...args: unknown[]) => {
    const result = (writeSync as (...a: unknown[]) => number)(...args);
    const text = typeof args[1] === "string" ? args[1] : String(args[1]);
    const seqs = text
      .trimEnd()
      .split("\n")
      .map((line) => quickSeq(line));
    log.push(`write ${seqs.join(" ")}`);
    return result;
  });
  watchPooled(
    "fdatasync",
    () => log.push("sync-start"),
    () => log.push("sync-end"),
  );
  const fdatasyncSync = fs.fdatasyncSync;
  vi.spyOn(fs, "fdatasyncSync").mockImplementation((fd) => {
    log.push("sync-start");
    fdatasyncSync(fd);
    log.push("sync-end");
  });
  return log;
}

/** Appends APPENDS single events to one thread without waiting between them. */
async function pipelinedAppends(fsync: FsyncMode): Promise<{ log: string[]; journal: FsJournal }> {
  const dir = newDir();
  const journal = new FsJournal({ dir, fsync });
  // The file and its lock exist before watching, and an "always" writer has laid down its zeros.
  for (let i = 0; i < WARM; i++) await journal.append("t", [event(`warm ${i}`)], i - 1);
  const log = watchFileHandles();
  const results = await Promise.all(
    Array.from({ length: APPENDS }, (_, i) =>
      journal.append("t", [event(`e${i}`)], WARM - 1 + i).then((result) => {
        log.push(`ack ${i}`);
        return result.lastSeq;
      }),
    ),
  );
  expect(results).toEqual(Array.from({ length: APPENDS }, (_, i) => WARM + i));
  expect((await readAll(journal, "t")).map((e) => e.seq)).toEqual(
    Array.from({ length: WARM + APPENDS }, (_, i) => i),
  );
  return { log, journal };
}

/** The index in `log` of the write that held each seq. */
function writesBySeq(log: string[]): Map<number, number> {
  const bySeq = new Map<number, number>();
  for (const [index, entry] of log.entries()) {
    if (!entry.startsWith("write ")) continue;
    for (const seq of entry.slice(6).split(" ")) bySeq.set(Number(seq), index);
  }
  return bySeq;
}

/** Each append was written once, and resolved only after an fsync that started after its write had finished. */
function expectAcksAfterCoveringSync(log: string[]): void {
  const bySeq = writesBySeq(log);
  expect([...bySeq.keys()].sort((a, b) => a - b)).toEqual(
    Array.from({ length: APPENDS }, (_, i) => WARM + i),
  );
  for (let i = 0; i < APPENDS; i++) {
    const syncStart = log.indexOf("sync-start", bySeq.get(WARM + i));
    expect(syncStart, `append ${i} got an fsync`).toBeGreaterThan(-1);
    const syncEnd = log.indexOf("sync-end", syncStart);
    expect(log.indexOf(`ack ${i}`), `append ${i} resolved after its fsync`).toBeGreaterThan(syncEnd);
  }
}

/** No write while a batch written before it is not yet synced: zeros can only be in the last batch (ADR 0003). */
function expectOneUnsyncedWriteAtATime(log: string[]): void {
  let unsynced = false;
  let syncing = false;
  for (const entry of log) {
    if (entry.startsWith("write ")) {
      expect(unsynced || syncing, "a write while the one before it was not synced").toBe(false);
      unsynced = true;
    } else if (entry === "sync-start") {
      syncing = true;
    } else if (entry === "sync-end") {
      syncing = false;
      unsynced = false;
    }
  }
}

const writeCount = (log: string[]) => log.filter((entry) => entry.startsWith("write ")).length;

const syncCount = (log: string[]) => log.filter((entry) => entry === "sync-start").length;

afterEach(() => {
  vi.restoreAllMocks();
});

describe("durability modes", () => {
  it("batch: appends waiting at the same moment are written together and share an fsync, each resolved only after it", async () => {
    const { log, journal } = await pipelinedAppends("batch");
    expectAcksAfterCoveringSync(log);
    expectOneUnsyncedWriteAtATime(log);
    expect(syncCount(log)).toBeGreaterThanOrEqual(1);
    expect(syncCount(log)).toBeLessThan(APPENDS);
    expect(writeCount(log)).toBe(syncCount(log));
    await journal.close();
  });

  it("always: every append has its own write and fsync before it resolves", async () => {
    const { log, journal } = await pipelinedAppends("always");
    expectAcksAfterCoveringSync(log);
    expectOneUnsyncedWriteAtATime(log);
    expect(syncCount(log)).toBe(APPENDS);
    expect(writeCount(log)).toBe(APPENDS);
    await journal.close();
  });

  it("never: appends resolve once written, with no fsync", async () => {
    const { log, journal } = await pipelinedAppends("never");
    expect(syncCount(log)).toBe(0);
    expect(writeCount(log)).toBe(APPENDS);
    await journal.close();
  });
});
