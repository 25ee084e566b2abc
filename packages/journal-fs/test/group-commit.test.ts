import fs from "node:fs";
import { readAll } from "@loom/core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FsJournal, type FsyncMode } from "../src/index.js";
import { EXTEND_FIRST } from "../src/thread-writer.js";
import { event, tempRoot, watchPooled } from "./helpers.js";

const newDir = tempRoot("group-commit");
const APPENDS = 32;

/**
 * Watches (and passes through) every write (the writer hands batches to the file with
 * `fs.writeSync`) and fdatasync (`fs.fdatasync` in libuv's pool, or `fs.fdatasyncSync` on the
 * calling thread), in the order they finish, with each append's acknowledgement: the real disk does
 * the work.
 */
function watchFileHandles(): string[] {
  const writeSync = fs.writeSync;
  const log: string[] = [];
  vi.spyOn(fs, "writeSync").mockImplementation((...args: unknown[]) => {
    const result = (writeSync as (...a: unknown[]) => number)(...args);
    log.push("write");
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
  const warm = EXTEND_FIRST + 1;
  for (let i = 0; i < warm; i++) await journal.append("t", [event(`warm ${i}`)], i - 1);
  const log = watchFileHandles();
  const results = await Promise.all(
    Array.from({ length: APPENDS }, (_, i) =>
      journal.append("t", [event(`e${i}`)], warm - 1 + i).then((result) => {
        log.push(`ack ${i}`);
        return result.lastSeq;
      }),
    ),
  );
  expect(results).toEqual(Array.from({ length: APPENDS }, (_, i) => warm + i));
  expect((await readAll(journal, "t")).map((e) => e.seq)).toEqual(
    Array.from({ length: warm + APPENDS }, (_, i) => i),
  );
  return { log, journal };
}

/** Each append resolved only after an fsync that started after its write had finished. */
function expectAcksAfterCoveringSync(log: string[]): void {
  const writes = log.flatMap((entry, index) => (entry === "write" ? [index] : []));
  expect(writes).toHaveLength(APPENDS);
  for (let i = 0; i < APPENDS; i++) {
    const syncStart = log.indexOf("sync-start", writes[i]);
    expect(syncStart, `append ${i} got an fsync`).toBeGreaterThan(-1);
    const syncEnd = log.indexOf("sync-end", syncStart);
    expect(log.indexOf(`ack ${i}`), `append ${i} resolved after its fsync`).toBeGreaterThan(syncEnd);
  }
}

const syncCount = (log: string[]) => log.filter((entry) => entry === "sync-start").length;

afterEach(() => {
  vi.restoreAllMocks();
});

describe("durability modes", () => {
  it("batch: appends waiting at the same moment share fsyncs, and each resolves only after one covers it", async () => {
    const { log, journal } = await pipelinedAppends("batch");
    expectAcksAfterCoveringSync(log);
    expect(syncCount(log)).toBeGreaterThanOrEqual(1);
    expect(syncCount(log)).toBeLessThan(APPENDS);
    await journal.close();
  });

  it("always: every append has its own fsync before it resolves", async () => {
    const { log, journal } = await pipelinedAppends("always");
    expectAcksAfterCoveringSync(log);
    expect(syncCount(log)).toBe(APPENDS);
    await journal.close();
  });

  it("never: appends resolve once written, with no fsync", async () => {
    const { log, journal } = await pipelinedAppends("never");
    expect(syncCount(log)).toBe(0);
    expect(log.filter((entry) => entry === "write")).toHaveLength(APPENDS);
    await journal.close();
  });
});
