import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { link, open, readFile, stat, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { z } from "zod";

/** Who holds a thread's writer lock; written into the lock file. */
const LockHolderSchema = z.object({
  pid: z.number().int(),
  host: z.string(),
  bootId: z.string().optional(),
  /** When the holder process started (Linux: clock ticks since boot), to tell a reused pid apart. */
  startTime: z.string().optional(),
  token: z.string(),
  since: z.number(),
});
export type LockHolder = z.infer<typeof LockHolderSchema>;

/** A break file older than this belongs to a process that died while breaking a stale lock. */
const STALE_BREAK_MS = 5_000;

export type LockAttempt =
  | { readonly acquired: true; readonly lock: ThreadLock }
  | { readonly acquired: false; readonly holder: LockHolder | undefined; readonly reason: string };

/**
 * One writer per thread across processes, with a lock file made by `link(2)`, which creates a name
 * atomically and fails if it exists. The lock file names its holder (pid, host, boot id); a lock whose
 * holder process is gone (killed, crashed, machine rebooted) is stale and taken over at once. Taking
 * over is itself guarded by a short-lived break file, so two processes never both break the same
 * stale lock. Holders on other hosts cannot be checked, so they are always taken as alive.
 */
export class ThreadLock {
  private constructor(
    readonly path: string,
    readonly holder: LockHolder,
  ) {}

  static async acquire(lockDir: string, name: string, holder: LockHolder): Promise<LockAttempt> {
    const path = join(lockDir, `${name}.lock`);
    const content = JSON.stringify(holder);
    for (let attempt = 0; attempt < 5; attempt++) {
      const temp = join(lockDir, `.${name}.${holder.token}.tmp`);
      await writeFile(temp, content);
      try {
        await link(temp, path);
        return { acquired: true, lock: new ThreadLock(path, holder) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      } finally {
        await unlink(temp).catch(() => {});
      }
      const current = await readHolder(path);
      if (current === "missing") continue;
      const alive = current === "unreadable" ? false : holderIsAlive(current, holder);
      if (alive) {
        return {
          acquired: false,
          holder: current as LockHolder,
          reason: describeHolder(current as LockHolder, holder),
        };
      }
      if (!(await breakStaleLock(path, current))) {
        return {
          acquired: false,
          holder: undefined,
          reason: "another process is taking over its stale lock right now",
        };
      }
    }
    return {
      acquired: false,
      holder: undefined,
      reason: "its lock changed hands repeatedly while this writer tried to take it",
    };
  }

  /** Removes the lock file if it is still this holder's. */
  async release(): Promise<void> {
    const current = await readHolder(this.path);
    if (typeof current === "object" && current.token === this.holder.token) {
      await unlink(this.path).catch(() => {});
    }
  }
}

export function currentProcessHolder(): LockHolder {
  return {
    pid: process.pid,
    host: hostname(),
    bootId: readProcFile("/proc/sys/kernel/random/boot_id")?.trim(),
    startTime: processStartTime(process.pid),
    token: randomUUID(),
    since: Date.now(),
  };
}

function readProcFile(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat; the fields after the command name (which may hold spaces) start at 3. */
function processStartTime(pid: number): string | undefined {
  const stat = readProcFile(`/proc/${pid}/stat`);
  return stat?.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
}

async function readHolder(path: string): Promise<LockHolder | "missing" | "unreadable"> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "missing";
    throw error;
  }
  try {
    const parsed = LockHolderSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : "unreadable";
  } catch {
    // Only a crash of the whole machine leaves a lock file half written (it is linked in whole).
    return "unreadable";
  }
}

function holderIsAlive(holder: LockHolder, me: LockHolder): boolean {
  if (holder.host !== me.host) return true;
  if (holder.bootId && me.bootId && holder.bootId !== me.bootId) return false;
  if (holder.pid === me.pid) return true; // another journal instance in this very process
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  // The pid runs; on Linux, check it is still the same process and not a reused pid.
  const startTime = holder.startTime === undefined ? undefined : processStartTime(holder.pid);
  return startTime === undefined || startTime === holder.startTime;
}

function describeHolder(holder: LockHolder, me: LockHolder): string {
  if (holder.host !== me.host) return `it is locked by process ${holder.pid} on host "${holder.host}"`;
  if (holder.pid === me.pid) return "another FsJournal in this process writes it";
  return `process ${holder.pid} writes it`;
}

/** Removes a stale lock file, unless someone else replaced or broke it first. False if busy. */
async function breakStaleLock(path: string, seen: LockHolder | "unreadable"): Promise<boolean> {
  const breakPath = `${path}.break`;
  let breaker: Awaited<ReturnType<typeof open>>;
  try {
    breaker = await open(breakPath, "wx");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const age = await stat(breakPath).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if (age > STALE_BREAK_MS) await unlink(breakPath).catch(() => {});
    return age > STALE_BREAK_MS;
  }
  try {
    const now = await readHolder(path);
    const unchanged =
      now === "unreadable"
        ? seen === "unreadable"
        : typeof now === "object" && typeof seen === "object" && now.token === seen.token;
    if (unchanged) await unlink(path).catch(() => {});
    return true;
  } finally {
    await breaker.close();
    await unlink(breakPath).catch(() => {});
  }
}
