import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { ThreadBusyError } from "@loom/core";
import { afterAll, describe, expect, it } from "vitest";
import { FsJournal, ThreadLockedError } from "../src/index.js";
import { event, tempRoot } from "./helpers.js";
import { LeaseProcess } from "./lease-process.js";

const newDir = tempRoot("lease");
const processes: LeaseProcess[] = [];
afterAll(async () => {
  await Promise.all(processes.map((p) => p.kill()));
});

async function leaseProcess(dir: string): Promise<LeaseProcess> {
  const child = new LeaseProcess(dir);
  processes.push(child);
  await child.loaded();
  return child;
}

/** A holder as the lock file writes it, for a process that ran on this host and is gone now. */
async function deadHolder(token: string): Promise<Record<string, unknown>> {
  const sleeper = spawn("sleep", ["30"]);
  const stat = readFileSync(`/proc/${sleeper.pid}/stat`, "utf8");
  const startTime = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  const bootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  const exited = new Promise((resolve) => sleeper.once("exit", resolve));
  sleeper.kill("SIGKILL");
  await exited;
  return { pid: sleeper.pid, host: hostname(), bootId, startTime, token, since: 0 };
}

function lockDir(dir: string): string {
  const locks = join(dir, ".locks");
  mkdirSync(locks, { recursive: true });
  return locks;
}

describe("a thread lease across processes", () => {
  it("refuses a second process's acquire with ThreadBusyError while the first holds the lease, and frees it on release", async () => {
    const dir = newDir();
    const owner = await leaseProcess(dir);
    expect(await owner.send("acquire t")).toBe("leased t");
    expect(await owner.send("append t")).toBe("appended t 0");

    const journal = new FsJournal({ dir });
    const error = await journal.acquire("t").catch((e: unknown) => e);
    expect(ThreadBusyError.isInstance(error)).toBe(true);
    expect((error as ThreadBusyError).code).toBe("thread_busy");
    expect((error as ThreadBusyError).threadId).toBe("t");
    expect((error as ThreadBusyError).owner).toBe(`process ${owner.pid}`);
    // An append without a lease still meets the lock as a conflict, as before leases.
    const appendError = await journal.append("t", [event("intruder")], 0).catch((e: unknown) => e);
    expect(ThreadLockedError.isInstance(appendError)).toBe(true);

    expect(await owner.send("release t")).toBe("released t");
    expect(readdirSync(join(dir, ".locks"))).toEqual([]);
    const lease = await journal.acquire("t");
    expect(await journal.append("t", [event("next owner")], 0)).toEqual({ lastSeq: 1 });
    // And now the other process is the one refused.
    expect(await owner.send("acquire t")).toMatch(new RegExp(`^busy t .*by process ${process.pid}`));
    await lease.release();
    expect(await owner.send("acquire t")).toBe("leased t");
    await owner.end();
    await journal.close();
  }, 30_000);

  it("carries a cancel request to the process that holds the lease, never to a later holder", async () => {
    const dir = newDir();
    const owner = await leaseProcess(dir);
    const journal = new FsJournal({ dir });
    expect(await journal.requestCancel("t", "nobody holds it")).toBe(false);
    expect(await owner.send("acquire t")).toBe("leased t");
    expect(await journal.requestCancel("t", "stop, from the parent")).toBe(true);
    expect(await owner.next()).toBe("cancel-requested t stop, from the parent");
    // Read and removed by the owner: nothing is left for a later holder to find.
    expect(readdirSync(join(dir, ".locks"))).toEqual(["t.jsonl.lock"]);
    expect(await owner.send("release t")).toBe("released t");
    expect(await journal.requestCancel("t", "too late")).toBe(false);

    // A holder killed before it read a request: the request names that holder, so the next owner,
    // even in the same process as the requester, is not cancelled by it.
    expect(await owner.send("acquire u")).toBe("leased u");
    const { token } = JSON.parse(readFileSync(join(dir, ".locks", "u.jsonl.lock"), "utf8"));
    await owner.kill();
    expect(await journal.requestCancel("u", "for a dead owner")).toBe(false);
    const lease = await journal.acquire("u");
    // As if that request had been written just before its owner died, and landed now.
    writeFileSync(
      join(dir, ".locks", "u.jsonl.cancel"),
      JSON.stringify({ token, reason: "for a dead owner" }),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(lease.cancelRequested?.aborted).toBe(false);
    expect(await journal.requestCancel("u", "for me")).toBe(true);
    for (let i = 0; i < 100 && !lease.cancelRequested?.aborted; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(lease.cancelRequested?.reason).toBe("for me");
    await lease.release();
    await journal.close();
  }, 30_000);

  it("takes over the lease of an owner killed with SIGKILL at once", async () => {
    const dir = newDir();
    const owner = await leaseProcess(dir);
    expect(await owner.send("acquire t")).toBe("leased t");
    expect(await owner.send("append t")).toBe("appended t 0");
    await owner.kill();

    const journal = new FsJournal({ dir });
    const started = performance.now();
    const lease = await journal.acquire("t");
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(await journal.append("t", [event("after the owner died")], 0)).toEqual({ lastSeq: 1 });
    const lock = JSON.parse(readFileSync(join(dir, ".locks", "t.jsonl.lock"), "utf8"));
    expect(lock.pid).toBe(process.pid);
    await lease.release();
    await journal.close();
  }, 30_000);

  it("is not blocked by the break file of a process that died while taking over a stale lock", async () => {
    const dir = newDir();
    const locks = lockDir(dir);
    const deadOwner = await deadHolder("dead-owner");
    const deadBreaker = await deadHolder("dead-breaker");
    for (const thread of ["a", "b", "c"]) {
      writeFileSync(join(locks, `${thread}.jsonl.lock`), JSON.stringify(deadOwner));
    }
    // a: the breaker died holding the break file; b: it died breaking that one too; c: a break file
    // written by a version that left it empty.
    writeFileSync(join(locks, "a.jsonl.lock.break"), JSON.stringify(deadBreaker));
    writeFileSync(join(locks, "b.jsonl.lock.break"), JSON.stringify(deadBreaker));
    writeFileSync(join(locks, "b.jsonl.lock.break.break"), JSON.stringify(deadBreaker));
    writeFileSync(join(locks, "c.jsonl.lock.break"), "");

    const journal = new FsJournal({ dir });
    for (const thread of ["a", "b", "c"]) {
      const started = performance.now();
      const lease = await journal.acquire(thread);
      expect(performance.now() - started, thread).toBeLessThan(1_000);
      expect(await journal.append(thread, [event("taken over")], -1)).toEqual({ lastSeq: 0 });
      await lease.release();
    }
    expect(readdirSync(locks)).toEqual([]);
    await journal.close();
  });

  it("is not blocked by a break file left by a real process killed with SIGKILL", async () => {
    const dir = newDir();
    const locks = lockDir(dir);
    // A process that holds the stale lock's break file (as a breaker between its link and its unlink)
    // when it is killed.
    const breaker = spawn(process.execPath, [
      "-e",
      `const fs = require("node:fs");
       const stat = fs.readFileSync("/proc/self/stat", "utf8");
       const holder = { pid: process.pid, host: require("node:os").hostname(),
         bootId: fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim(),
         startTime: stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19], token: "breaker", since: Date.now() };
       fs.writeFileSync(process.argv[1] + ".tmp", JSON.stringify(holder));
       fs.linkSync(process.argv[1] + ".tmp", process.argv[1]);
       fs.unlinkSync(process.argv[1] + ".tmp");
       console.log("holding");
       setInterval(() => {}, 1000);`,
      join(locks, "t.jsonl.lock.break"),
    ]);
    const exited = new Promise((resolve) => breaker.once("exit", resolve));
    await new Promise((resolve) => breaker.stdout.once("data", resolve));
    writeFileSync(join(locks, "t.jsonl.lock"), JSON.stringify(await deadHolder("dead-owner")));

    const journal = new FsJournal({ dir });
    // While the breaker lives, it is the one taking the lock over: nobody else may.
    const busy = await journal.acquire("t").catch((e: unknown) => e);
    expect(ThreadBusyError.isInstance(busy)).toBe(true);
    expect((busy as ThreadBusyError).owner).toMatch(/taking over its stale lock/);

    breaker.kill("SIGKILL");
    await exited;
    const started = performance.now();
    const lease = await journal.acquire("t");
    expect(performance.now() - started).toBeLessThan(1_000);
    await lease.release();
    expect(readdirSync(locks)).toEqual([]);
    await journal.close();
  }, 30_000);

  it("lets exactly one of several processes take over each dead owner's lease", async () => {
    const dir = newDir();
    const locks = lockDir(dir);
    const contenders = await Promise.all([leaseProcess(dir), leaseProcess(dir), leaseProcess(dir)]);
    const threads = Array.from({ length: 10 }, (_, i) => `t${i}`);
    const deadOwner = await deadHolder("dead-owner");
    const deadBreaker = await deadHolder("dead-breaker");
    for (const [i, thread] of threads.entries()) {
      writeFileSync(join(locks, `${thread}.jsonl.lock`), JSON.stringify(deadOwner));
      if (i % 2 === 1) writeFileSync(join(locks, `${thread}.jsonl.lock.break`), JSON.stringify(deadBreaker));
    }
    for (const thread of threads) {
      const answers = await Promise.all(contenders.map((c) => c.send(`acquire ${thread}`)));
      expect(
        answers.filter((a) => a === `leased ${thread}`),
        answers.join("; "),
      ).toHaveLength(1);
      expect(answers.filter((a) => a.startsWith(`busy ${thread} `))).toHaveLength(2);
    }
    await Promise.all(contenders.map((c) => c.end()));
  }, 30_000);
});

describe("a thread lease within one process", () => {
  it("refuses the same journal twice and another FsJournal; release is idempotent and frees the thread", async () => {
    const dir = newDir();
    const first = new FsJournal({ dir });
    const second = new FsJournal({ dir });
    const lease = await first.acquire("t");
    for (const [journal, owner] of [
      [first, /another lease of this FsJournal/],
      [second, /another FsJournal in this process/],
    ] as const) {
      const error = await journal.acquire("t").catch((e: unknown) => e);
      expect(ThreadBusyError.isInstance(error)).toBe(true);
      expect((error as ThreadBusyError).owner).toMatch(owner);
    }
    // The leaseholder's journal writes the thread through the same lock.
    expect(await first.append("t", [event("owner")], -1)).toEqual({ lastSeq: 0 });
    expect(ThreadLockedError.isInstance(await second.append("t", [event("x")], 0).catch((e) => e))).toBe(
      true,
    );
    await lease.release();
    await lease.release();
    const next = await second.acquire("t");
    expect(await second.append("t", [event("second")], 0)).toEqual({ lastSeq: 1 });
    await next.release();
    await first.close();
    await second.close();
  });

  it("keeps a leased thread's lock under maxOpenThreads pressure", async () => {
    const dir = newDir();
    const journal = new FsJournal({ dir, maxOpenThreads: 1 });
    const other = new FsJournal({ dir });
    const lease = await journal.acquire("leased");
    await journal.append("leased", [event("first")], -1);
    for (let round = 0; round < 3; round++) {
      for (let t = 0; t < 5; t++) await journal.append(`t${t}`, [event(`r${round}`)], round - 1);
      expect(readdirSync(join(dir, ".locks"))).toContain("leased.jsonl.lock");
      const error = await other.acquire("leased").catch((e: unknown) => e);
      expect(ThreadBusyError.isInstance(error)).toBe(true);
      expect(await journal.append("leased", [event(`r${round}`)], round)).toEqual({ lastSeq: round + 1 });
    }
    await lease.release();
    expect(readdirSync(join(dir, ".locks"))).not.toContain("leased.jsonl.lock");
    const taken = await other.acquire("leased");
    await taken.release();
    await other.close();
    await journal.close();
  });

  it("a lease taken with no writer open, then a write, then a close: the close frees the thread", async () => {
    const dir = newDir();
    const journal = new FsJournal({ dir });
    const lease = await journal.acquire("t");
    await journal.append("t", [event("x")], -1);
    await journal.close();
    expect(readdirSync(join(dir, ".locks"))).toEqual([]);
    await lease.release(); // after close: nothing left to do, and no error
    const other = new FsJournal({ dir });
    await (await other.acquire("t")).release();
    await other.close();
  });
});
