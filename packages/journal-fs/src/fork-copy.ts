import { open } from "node:fs/promises";
import { type FrameStatus, JournalError, type StoredEvent, threadStatusAfter } from "@loom/core";
import { serializeBatch } from "./line-format.js";
import { type LockHolder, processIsAlive } from "./thread-lock.js";

const COPY_BUFFER_BYTES = 256 * 1024;

/**
 * Writes `events` (a thread's first `count` events) into a new file at `path` as thread `to`,
 * 256 kB per write, then fsyncs it when `sync`. Returns the new thread's status and the file size.
 */
export async function copyThread(
  events: AsyncIterable<StoredEvent>,
  to: string,
  count: number,
  path: string,
  sync: boolean,
): Promise<{ status: FrameStatus | undefined; size: number }> {
  const file = await open(path, "wx");
  try {
    let status: FrameStatus | undefined;
    let size = 0;
    let copied = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      const bytes = Buffer.concat(pending);
      for (let done = 0; done < bytes.length; ) done += (await file.write(bytes, done)).bytesWritten;
      size += bytes.length;
      pending = [];
      pendingBytes = 0;
    };
    for await (const event of events) {
      const line = serializeBatch([{ ...event, threadId: to }]);
      pending.push(line);
      pendingBytes += line.length;
      status = threadStatusAfter(status, event);
      copied++;
      if (pendingBytes >= COPY_BUFFER_BYTES) await flush();
    }
    await flush();
    if (copied !== count) {
      throw new JournalError("io", `A fork found ${copied} events where ${count} were expected; retry.`);
    }
    if (sync) await file.datasync();
    return { status, size };
  } finally {
    await file.close();
  }
}

const FORK_FILE = /^\.fork-(\d+)-(\d+|x)-([0-9a-f]{8}|x)-[0-9a-f-]{36}\.tmp$/;
const bootOf = (holder: LockHolder) => holder.bootId?.replaceAll("-", "").slice(0, 8) ?? "x";

/**
 * The name of a fork's temporary file: it names the process writing it (pid, start time, boot), so
 * one left by a crash can be told from one still being written.
 */
export function forkTemporaryName(holder: LockHolder): string {
  // Web Crypto, not node:crypto: importing that module costs a fresh process about 5 ms.
  return `.fork-${holder.pid}-${holder.startTime ?? "x"}-${bootOf(holder)}-${globalThis.crypto.randomUUID()}.tmp`;
}

/**
 * The temporary files among `names` of forks whose process is gone (it died, or the machine
 * rebooted): never renamed into place, never to be. Names of older versions (no process in them) and
 * of live processes are left.
 */
export function abandonedForkFiles(names: readonly string[], me: LockHolder): string[] {
  return names.filter((name) => {
    const match = FORK_FILE.exec(name);
    if (!match) return false;
    const [, pid, startTime, boot] = match;
    if (boot !== "x" && bootOf(me) !== "x" && boot !== bootOf(me)) return true;
    if (Number(pid) === me.pid) return false;
    return !processIsAlive(Number(pid), startTime === "x" ? undefined : startTime);
  });
}
