import { linkSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";
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

/** How deep a chain of break files of dead breakers is followed before giving up (each level is a crash). */
const MAX_BREAK_DEPTH = 8;

export type LockAttempt =
  | { readonly acquired: true; readonly lock: ThreadLock }
  | {
      readonly acquired: false;
      readonly holder: LockHolder | undefined;
      /** Why, as the end of a sentence: "process 4242 writes it". */
      readonly reason: string;
      /** Who holds it, as a noun: "process 4242". */
      readonly owner: string;
    };

/**
 * One writer per thread across processes, with a lock file made by `link(2)`, which creates a name
 * atomically and fails if it exists. The lock file names its holder (pid, host, boot id); a lock whose
 * holder process is gone (killed, crashed, machine rebooted) is stale and taken over at once. Taking
 * over is itself guarded by a break file (`<lock>.break`), made the same way and naming its holder
 * the same way, so two processes never both break the same stale lock, and a break file left by a
 * breaker that died is itself taken over at once (guarded by `<lock>.break.break`, and so on).
 * Holders on other hosts cannot be checked, so they are always taken as alive.
 *
 * The file operations are synchronous: each is a few microseconds on a local disk, where a round
 * trip through libuv's thread pool cost 50–150 µs, and a run takes and frees its lock once.
 */
export class ThreadLock {
  private constructor(
    readonly path: string,
    readonly holder: LockHolder,
  ) {}

  static async acquire(lockDir: string, name: string, holder: LockHolder): Promise<LockAttempt> {
    const path = join(lockDir, `${name}.lock`);
    for (let attempt = 0; attempt < 5; attempt++) {
      const taken = claim(path, holder);
      if (taken === "claimed") return { acquired: true, lock: new ThreadLock(path, holder) };
      if (taken === "missing") continue;
      if (taken.alive) {
        return {
          acquired: false,
          holder: taken.current as LockHolder,
          reason: describeHolder(taken.current as LockHolder, holder),
          owner: describeOwner(taken.current as LockHolder, holder),
        };
      }
      if (!breakStale(path, taken.current, holder, 1)) {
        return {
          acquired: false,
          holder: undefined,
          reason: "another process is taking over its stale lock right now",
          owner: "another process that is taking over its stale lock",
        };
      }
    }
    return {
      acquired: false,
      holder: undefined,
      reason: "its lock changed hands repeatedly while this writer tried to take it",
      owner: "other processes (its lock changed hands repeatedly)",
    };
  }

  /** Removes the lock file if it is still this holder's. */
  async release(): Promise<void> {
    const current = readHolder(this.path);
    if (typeof current === "object" && current.token === this.holder.token) unlinkQuietly(this.path);
  }
}

/** The holder of a thread's lock if it is alive (a lock taken over at once would not be): else undefined. */
export function liveHolder(lockDir: string, name: string, me: LockHolder): LockHolder | undefined {
  const holder = readHolder(join(lockDir, `${name}.lock`));
  return typeof holder === "object" && holderIsAlive(holder, me) ? holder : undefined;
}

export function currentProcessHolder(): LockHolder {
  return {
    pid: process.pid,
    host: hostname(),
    bootId: readProcFile("/proc/sys/kernel/random/boot_id")?.trim(),
    startTime: processStartTime(process.pid),
    token: globalThis.crypto.randomUUID(),
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

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Gone already, or not ours to remove: either way nothing to undo.
  }
}

function readHolder(path: string): LockHolder | "missing" | "unreadable" {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
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
  return processIsAlive(holder.pid, holder.startTime);
}

/**
 * Whether process `pid` of this machine's boot still runs; with `startTime` (Linux), whether it is
 * still the process that had it, not one that reused the pid.
 */
export function processIsAlive(pid: number, startTime: string | undefined): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const now = startTime === undefined ? undefined : processStartTime(pid);
  return now === undefined || now === startTime;
}

function describeOwner(holder: LockHolder, me: LockHolder): string {
  if (holder.host !== me.host) return `process ${holder.pid} on host "${holder.host}"`;
  if (holder.pid === me.pid) return `another FsJournal in this process (${me.pid})`;
  return `process ${holder.pid}`;
}

function describeHolder(holder: LockHolder, me: LockHolder): string {
  if (holder.host !== me.host) return `it is locked by process ${holder.pid} on host "${holder.host}"`;
  if (holder.pid === me.pid) return "another FsJournal in this process writes it";
  return `process ${holder.pid} writes it`;
}

type Claim = "claimed" | "missing" | { readonly current: LockHolder | "unreadable"; readonly alive: boolean };

/**
 * Creates `path` naming `holder`, by `link(2)` from a fully written temporary file: atomic, and it
 * fails if the name exists. Otherwise says who holds it and whether that holder is alive.
 */
function claim(path: string, holder: LockHolder): Claim {
  const temp = join(dirname(path), `.${basename(path)}.${holder.token}.tmp`);
  writeFileSync(temp, JSON.stringify(holder));
  try {
    linkSync(temp, path);
    return "claimed";
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    unlinkQuietly(temp);
  }
  const current = readHolder(path);
  if (current === "missing") return "missing";
  // A file made by link(2) is whole; only a crash of the whole machine leaves one unreadable.
  return { current, alive: current !== "unreadable" && holderIsAlive(current, holder) };
}

/**
 * Removes `path` (a lock, or the break file of a dead breaker), which `seen` holds and which is stale,
 * under the break file `<path>.break`. Only the holder of that break file removes `path`, and only
 * if it still holds `seen`: two processes never both take it over. A break file whose holder died
 * is itself broken, one level up (`<path>.break.break`). False if a live process is breaking it.
 */
function breakStale(
  path: string,
  seen: LockHolder | "unreadable",
  holder: LockHolder,
  depth: number,
): boolean {
  if (depth > MAX_BREAK_DEPTH) return false;
  const breakPath = `${path}.break`;
  for (let attempt = 0; ; attempt++) {
    const taken = claim(breakPath, holder);
    if (taken === "claimed") break;
    if (taken === "missing") {
      if (attempt < 5) continue;
      return false;
    }
    if (taken.alive || attempt >= 5) return false;
    if (!breakStale(breakPath, taken.current, holder, depth + 1)) return false;
  }
  try {
    const now = readHolder(path);
    const unchanged =
      now === "unreadable"
        ? seen === "unreadable"
        : typeof now === "object" && typeof seen === "object" && now.token === seen.token;
    if (unchanged) unlinkQuietly(path);
    return true;
  } finally {
    unlinkQuietly(breakPath);
  }
}
