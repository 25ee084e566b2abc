import fs from "node:fs";
import fsPromises, { type FileHandle, open } from "node:fs/promises";
import { syncBuiltinESMExports } from "node:module";
import { join } from "node:path";
import { JournalError } from "@loom/core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FsJournal, type FsyncMode } from "../src/index.js";
import { EXTEND_FIRST } from "../src/thread-writer.js";
import { event, type PooledCall, tempRoot, watchPooled } from "./helpers.js";

const newDir = tempRoot("append-io");

// Every file system call an append could make, whichever of node's three APIs it goes through.
const SYNC_CALLS = [
  "openSync",
  "closeSync",
  "statSync",
  "fstatSync",
  "writeSync",
  "writevSync",
  "readSync",
  "fsyncSync",
  "fdatasyncSync",
  "ftruncateSync",
  "appendFileSync",
  "writeFileSync",
] as const;
const HANDLE_CALLS = [
  "stat",
  "write",
  "writev",
  "read",
  "sync",
  "datasync",
  "truncate",
  "appendFile",
  "writeFile",
] as const;
// The callback calls an open file's reads, writes and syncs go through (libuv's pool).
const POOLED_CALLS: readonly PooledCall[] = ["read", "write", "fsync", "fdatasync", "ftruncate"];
const PROMISE_CALLS = [
  "open",
  "stat",
  "lstat",
  "readFile",
  "writeFile",
  "appendFile",
  "rename",
  "unlink",
  "link",
  "readdir",
] as const;

/**
 * Records (and passes through) every file system call this process makes from now on: `fs.*Sync`,
 * FileHandle methods (prefixed `handle.`, they run in libuv's pool), the callback calls on an open
 * file (prefixed `pool.`, also in the pool) and `fs/promises` functions
 * (prefixed `promises.`; their named imports are re-bound with `syncBuiltinESMExports`).
 */
async function recordFileSystemCalls(dir: string): Promise<string[]> {
  const probe = await open(join(dir, "probe"), "w");
  const handle = Object.getPrototypeOf(probe) as Record<string, (...args: unknown[]) => unknown>;
  await probe.close();
  const log: string[] = [];
  const sync = fs as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of SYNC_CALLS) {
    const real = sync[name]!;
    vi.spyOn(sync, name).mockImplementation((...args: unknown[]) => {
      log.push(name);
      return real(...args);
    });
  }
  for (const name of HANDLE_CALLS) {
    const real = handle[name]!;
    vi.spyOn(handle, name).mockImplementation(function (this: FileHandle, ...args: unknown[]) {
      log.push(`handle.${name}`);
      return real.apply(this, args);
    });
  }
  for (const name of POOLED_CALLS) watchPooled(name, () => log.push(`pool.${name}`));
  const promises = fsPromises as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of PROMISE_CALLS) {
    const real = promises[name]!;
    vi.spyOn(promises, name).mockImplementation((...args: unknown[]) => {
      log.push(`promises.${name}`);
      return real(...args);
    });
  }
  syncBuiltinESMExports();
  return log;
}

afterEach(() => {
  vi.restoreAllMocks();
  syncBuiltinESMExports();
});

const batch = (n: number, i: number) => Array.from({ length: n }, (_, k) => event(`append ${i} event ${k}`));

/** A journal whose threads `ids` exist, then the calls made by `appends` sequential appends to them in turn. */
async function callsPerAppend(fsync: FsyncMode, ids: readonly string[], appends: number) {
  const dir = newDir();
  const journal = new FsJournal({ dir, fsync });
  const heads = new Map<string, number>();
  for (const id of ids) heads.set(id, (await journal.append(id, batch(1, -1), -1)).lastSeq);
  // More each, so what is measured is neither the first append after the thread's file was created
  // nor one of the batches an "always" writer appends before it lays down zeros.
  for (let i = 0; i < EXTEND_FIRST; i++) {
    for (const id of ids) heads.set(id, (await journal.append(id, batch(1, -1), heads.get(id)!)).lastSeq);
  }
  const log = await recordFileSystemCalls(dir);
  const perAppend: string[][] = [];
  for (let i = 0; i < appends; i++) {
    const id = ids[i % ids.length]!;
    const before = log.length;
    heads.set(id, (await journal.append(id, batch(7, i), heads.get(id)!)).lastSeq);
    perAppend.push(log.slice(before));
  }
  vi.restoreAllMocks();
  syncBuiltinESMExports();
  return { journal, perAppend, heads };
}

describe("what one append costs the file system (a thread already open for writing)", () => {
  it('"always", one thread appending: one write(2) and one fdatasync(2), both on the calling thread, nothing else', async () => {
    const { journal, perAppend } = await callsPerAppend("always", ["t"], 6);
    expect(perAppend).toEqual(Array.from({ length: 6 }, () => ["writeSync", "fdatasyncSync"]));
    await journal.close();
  });

  it('"always", one thread: after 8 fsyncs on the calling thread without a turn of the event loop, one goes to the pool (timers and I/O get their turn)', async () => {
    // Each append here resolves at once, so only a pooled fsync lets the event loop turn.
    const { journal, perAppend } = await callsPerAppend("always", ["t"], 20);
    for (const calls of perAppend) expect(calls).toHaveLength(2);
    expect(perAppend.map((calls) => calls[0])).toEqual(Array.from({ length: 20 }, () => "writeSync"));
    const pooled = perAppend.flatMap((calls, i) => (calls[1] === "pool.fdatasync" ? [i] : []));
    expect(pooled).toEqual([8, 17]);
    await journal.close();
  });

  it('"always", two threads appending in turn: one write(2) each, and fdatasync in libuv\'s pool where fsyncs of threads overlap', async () => {
    const { journal, perAppend } = await callsPerAppend("always", ["a", "b"], 6);
    expect(perAppend).toEqual(Array.from({ length: 6 }, () => ["writeSync", "pool.fdatasync"]));
    await journal.close();
  });

  it('"batch", one append at a time: one write(2) and one fdatasync(2) in the pool (group commit stays possible)', async () => {
    const { journal, perAppend } = await callsPerAppend("batch", ["t"], 6);
    expect(perAppend).toEqual(Array.from({ length: 6 }, () => ["writeSync", "pool.fdatasync"]));
    await journal.close();
  });

  it('"never": one write(2)', async () => {
    const { journal, perAppend } = await callsPerAppend("never", ["t"], 6);
    expect(perAppend).toEqual(Array.from({ length: 6 }, () => ["writeSync"]));
    await journal.close();
  });

  it("the recorder sees every API: creating a thread opens its file (openSync) and syncs its folder", async () => {
    const dir = newDir();
    const journal = new FsJournal({ dir, fsync: "always" });
    await journal.append("other", batch(1, 0), -1);
    const log = await recordFileSystemCalls(dir);
    await journal.append("new", batch(1, 0), -1);
    expect(log).toContain("openSync");
    expect(log).toContain("writeSync");
    expect(log).toContain("pool.fdatasync");
    expect(log).toContain("pool.fsync");
    await journal.close();
  });
});

describe('"always" with its fdatasync on the calling thread', () => {
  it("an fdatasync that fails fails the append (JournalError io), and the thread is reopened and goes on from its head", async () => {
    const dir = newDir();
    const journal = new FsJournal({ dir, fsync: "always" });
    let head = (await journal.append("t", batch(1, 0), -1)).lastSeq;
    head = (await journal.append("t", batch(1, 1), head)).lastSeq;
    const failure = Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" });
    vi.spyOn(fs, "fdatasyncSync").mockImplementationOnce(() => {
      throw failure;
    });
    const failed = await journal.append("t", batch(3, 2), head).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(JournalError);
    expect((failed as JournalError).code).toBe("io");
    expect((failed as JournalError).cause).toBe(failure);
    vi.restoreAllMocks();
    // The batch was written whole before its fsync failed: it may or may not be there, never in part.
    const after = await journal.head("t");
    expect([head, head + 3]).toContain(after);
    const next = await journal.append("t", batch(2, 3), after);
    expect(next.lastSeq).toBe(after + 2);
    const seqs: number[] = [];
    for await (const e of journal.read("t")) seqs.push(e.seq);
    expect(seqs).toEqual(Array.from({ length: after + 3 }, (_, i) => i));
    await journal.close();
  });
});

describe("an append to a thread this journal writes already", () => {
  it("is written within the call, without waiting a turn for its writer", async () => {
    const dir = newDir();
    const journal = new FsJournal({ dir, fsync: "never" });
    const head = (await journal.append("t", batch(1, 0), -1)).lastSeq;
    const file = join(dir, "t.jsonl");
    const before = fs.statSync(file).size;
    const appending = journal.append("t", batch(7, 1), head);
    expect(fs.statSync(file).size).toBeGreaterThan(before);
    expect(await appending).toEqual({ lastSeq: head + 7 });
    await journal.close();
  });
});

describe("a short write", () => {
  it("goes on from where it stopped: the batch is in the file whole, once, and the thread reads back as appended", async () => {
    const dir = newDir();
    const journal = new FsJournal({ dir, fsync: "never" });
    let head = (await journal.append("t", batch(1, 0), -1)).lastSeq;
    const real = fs.writeSync as (...args: unknown[]) => number;
    const writes: number[] = [];
    // The kernel takes only the first 100 bytes of the batch's text; the rest goes in later writes.
    vi.spyOn(fs, "writeSync").mockImplementation((...args: unknown[]) => {
      if (writes.length === 0 && typeof args[1] === "string") {
        writes.push(100);
        return real(args[0], Buffer.from(args[1] as string).subarray(0, 100), 0, 100, args[2]);
      }
      const written = real(...args);
      writes.push(written);
      return written;
    });
    head = (await journal.append("t", batch(7, 1), head)).lastSeq;
    vi.restoreAllMocks();
    expect(writes.length).toBeGreaterThan(1);
    expect(writes[0]).toBe(100);
    head = (await journal.append("t", batch(2, 2), head)).lastSeq;
    const data: unknown[] = [];
    for await (const e of journal.read("t")) data.push(e.data);
    expect(data).toEqual([...batch(1, 0), ...batch(7, 1), ...batch(2, 2)].map((e) => e.data));
    await journal.close();
    // At rest the file is its lines and nothing else: no byte written twice or skipped.
    const lines = fs.readFileSync(join(dir, "t.jsonl"), "utf8").split("\n");
    expect(lines.at(-1)).toBe("");
    expect(lines.slice(0, -1).map((line) => JSON.parse(line).seq)).toEqual(
      Array.from({ length: 10 }, (_, i) => i),
    );
  });
});
