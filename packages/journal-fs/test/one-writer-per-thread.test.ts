import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { JournalConflictError, type JournalError, readAll } from "@loom/core";
import { describe, expect, it } from "vitest";
import { FsJournal, ThreadLockedError } from "../src/index.js";
import { event, tempRoot } from "./helpers.js";
import { WriterProcess } from "./writer-process.js";

const newDir = tempRoot("lock");

describe("one writer per thread across processes", () => {
  it("refuses a second process with JournalConflictError while the first writes, then takes over once it is killed", async () => {
    const dir = newDir();
    const writer = new WriterProcess(dir, "never", "shared");
    await writer.start();

    const journal = new FsJournal({ dir });
    const attempts = [];
    for (let i = 0; i < 20; i++) {
      const head = await journal.head("shared");
      attempts.push(await journal.append("shared", [event(`intruder ${i}`)], head).catch((e: unknown) => e));
    }
    for (const error of attempts) {
      expect(JournalConflictError.isInstance(error)).toBe(true);
      expect(ThreadLockedError.isInstance(error)).toBe(true);
      expect((error as ThreadLockedError).holderPid).toBe(writer.pid);
      expect((error as Error).message).toContain(`process ${writer.pid} writes it`);
    }

    const acknowledged = await writer.kill();
    const head = await journal.head("shared");
    expect(head).toBeGreaterThanOrEqual(acknowledged);
    expect(await journal.append("shared", [event("after the writer died")], head)).toEqual({
      lastSeq: head + 1,
    });
    await journal.close();

    const lines = readFileSync(join(dir, "shared.jsonl"), "utf8").split("\n").slice(0, -1);
    const inputs = lines.map((line) => JSON.parse(line).data.input as string);
    expect(inputs.filter((input) => input.startsWith("intruder"))).toEqual([]);
    expect(inputs.at(-1)).toBe("after the writer died");
    expect(lines.map((line) => JSON.parse(line).seq)).toEqual(lines.map((_, i) => i));
  }, 30_000);

  it("refuses a second FsJournal in the same process until the first closes", async () => {
    const dir = newDir();
    const first = new FsJournal({ dir });
    const second = new FsJournal({ dir });
    await first.append("t", [event("first")], -1);
    const error = await second.append("t", [event("second")], 0).catch((e: unknown) => e);
    expect(ThreadLockedError.isInstance(error)).toBe(true);
    expect((error as ThreadLockedError).actualSeq).toBe(0);
    expect((error as Error).message).toContain("another FsJournal in this process");
    // The target exists: thread_exists, though another journal holds its lock.
    const forkError = await second.fork("t", 0, "t").catch((e: unknown) => e);
    expect((forkError as JournalError).code).toBe("thread_exists");
    // Reading needs no lock.
    expect((await readAll(second, "t")).map((e) => e.seq)).toEqual([0]);
    await first.close();
    expect(await second.append("t", [event("second")], 0)).toEqual({ lastSeq: 1 });
    await second.close();
  });

  it("takes over a lock whose holder died without closing (a lock file naming a dead process)", async () => {
    const dir = newDir();
    const writer = new WriterProcess(dir, "batch", "orphan");
    await writer.start();
    await writer.kill();
    const lockFile = join(dir, ".locks", "orphan.jsonl.lock");
    expect(JSON.parse(readFileSync(lockFile, "utf8")).pid).toBe(writer.pid);
    const journal = new FsJournal({ dir });
    const head = await journal.head("orphan");
    expect(await journal.append("orphan", [event("next")], head)).toEqual({ lastSeq: head + 1 });
    expect(JSON.parse(readFileSync(lockFile, "utf8")).pid).toBe(process.pid);
    await journal.close();
  }, 30_000);

  it("tells a live holder from a process that merely got the dead holder's pid", async () => {
    const dir = newDir();
    const sleeper = spawn("sleep", ["30"]);
    try {
      const stat = readFileSync(`/proc/${sleeper.pid}/stat`, "utf8");
      const startTime = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
      const bootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
      mkdirSync(join(dir, ".locks"), { recursive: true });
      const lockFile = join(dir, ".locks", "t.jsonl.lock");
      const holder = { pid: sleeper.pid, host: hostname(), bootId, startTime, token: "other", since: 0 };
      writeFileSync(lockFile, JSON.stringify(holder));
      const journal = new FsJournal({ dir });
      const error = await journal.append("t", [event("x")], -1).catch((e: unknown) => e);
      expect((error as ThreadLockedError).holderPid).toBe(sleeper.pid);

      writeFileSync(lockFile, JSON.stringify({ ...holder, startTime: "1" }));
      expect(await journal.append("t", [event("x")], -1)).toEqual({ lastSeq: 0 });
      await journal.close();
    } finally {
      sleeper.kill("SIGKILL");
    }
  });
});
