import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { JournalConflictError, readAll, ThreadBusyError } from "@loom/core";
import { describe, expect, it } from "vitest";
import { FsJournal, type FsyncMode } from "../src/index.js";
import { event, tempRoot, writeBatches } from "./helpers.js";
import { WriterProcess } from "./writer-process.js";

const newDir = tempRoot("delete");
const inputs = (events: readonly { data: unknown }[]) =>
  events.map((e) => (e.data as { input: string }).input);

describe("deleteThread", () => {
  for (const fsync of ["always", "batch", "never"] as const satisfies readonly FsyncMode[]) {
    it(`closes this journal's own writer first: appends in flight land before, the next start a new file (${fsync})`, async () => {
      const dir = newDir();
      const journal = new FsJournal({ dir, fsync });
      for (let i = 0; i < 6; i++) await journal.append("t", [event(`old ${i}`)], i - 1);
      // Two appends in flight when the delete is asked for, and one asked for after it.
      const inFlight = [journal.append("t", [event("old 6")], 5), journal.append("t", [event("old 7")], 6)];
      const deleted = journal.deleteThread("t");
      const after = journal.append("t", [event("after, at the old head")], 7).catch((e: unknown) => e);
      expect(await Promise.all(inFlight)).toEqual([{ lastSeq: 6 }, { lastSeq: 7 }]);
      expect(await deleted).toBe(true);
      expect(JournalConflictError.isInstance(await after)).toBe(true);
      expect(await journal.append("t", [event("new 0"), event("new 1")], -1)).toEqual({ lastSeq: 1 });
      // Another journal reads the new file: the writer did not go on writing the deleted one.
      const reader = new FsJournal({ dir, fsync });
      expect(inputs(await readAll(reader, "t"))).toEqual(["new 0", "new 1"]);
      await reader.close();
      await journal.close();
      expect(readdirSync(dir).filter((name) => name.endsWith(".jsonl"))).toEqual(["t.jsonl"]);
    });
  }

  it("refuses a thread another FsJournal of this process writes, until it closes", async () => {
    const dir = newDir();
    const writing = new FsJournal({ dir });
    await writing.append("t", [event("held by its writer")], -1);
    const other = new FsJournal({ dir });
    const error = await other.deleteThread("t").catch((e: unknown) => e);
    expect(ThreadBusyError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain("another FsJournal in this process");
    expect(inputs(await readAll(other, "t"))).toEqual(["held by its writer"]);
    await writing.close();
    expect(await other.deleteThread("t")).toBe(true);
    expect(existsSync(join(dir, "t.jsonl"))).toBe(false);
    // The lock went with it: the thread can be taken by anyone.
    expect(readdirSync(join(dir, ".locks"))).toEqual([]);
    await other.close();
  });

  it("refuses a lease taken while it deletes, and deletes nothing twice", async () => {
    const dir = newDir();
    await writeBatches(dir, "t", [2, 3]);
    const journal = new FsJournal({ dir });
    const deleting = journal.deleteThread("t");
    const [lease, second] = await Promise.all([
      journal.acquire("t").catch((e: unknown) => e),
      journal.deleteThread("t").catch((e: unknown) => e),
    ]);
    expect(ThreadBusyError.isInstance(lease)).toBe(true);
    expect((lease as Error).message).toContain("a deleteThread of this FsJournal");
    expect(ThreadBusyError.isInstance(second)).toBe(true);
    expect(await deleting).toBe(true);
    await (await journal.acquire("t")).release();
    await journal.close();
  });

  it("deletes the thread of a writer killed with SIGKILL mid-append (its stale lock, its torn end), and refuses while it lives", async () => {
    const dir = newDir();
    const writer = new WriterProcess(dir, "always", "killed");
    await writer.start();
    const journal = new FsJournal({ dir });
    const refused = await journal.deleteThread("killed").catch((e: unknown) => e);
    expect(ThreadBusyError.isInstance(refused)).toBe(true);
    expect((refused as ThreadBusyError).owner).toContain(String(writer.pid));
    const acknowledged = await writer.kill();
    expect(acknowledged).toBeGreaterThanOrEqual(0);
    expect(await journal.head("killed")).toBeGreaterThanOrEqual(acknowledged);
    expect(await journal.deleteThread("killed")).toBe(true);
    expect(await journal.head("killed")).toBe(-1);
    expect(readdirSync(dir).filter((name) => !name.startsWith("."))).toEqual([]);
    expect(await journal.append("killed", [event("again")], -1)).toEqual({ lastSeq: 0 });
    await journal.close();
  }, 30_000);

  it("takes a thread written by a journal that holds other threads open, leaving those open", async () => {
    const dir = newDir();
    const journal = new FsJournal({ dir, maxOpenThreads: 2 });
    await journal.append("a", [event("a")], -1);
    await journal.append("b", [event("b")], -1);
    expect(await journal.deleteThread("a")).toBe(true);
    expect(await journal.append("b", [event("b 1")], 0)).toEqual({ lastSeq: 1 });
    expect(inputs(await readAll(journal, "b"))).toEqual(["b", "b 1"]);
    expect((await journal.head("a")) + (await journal.head("never"))).toBe(-2);
    await journal.close();
  });
});
