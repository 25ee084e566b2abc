import { open } from "node:fs/promises";
import { type FrameStatus, JournalError, type StoredEvent, threadStatusAfter } from "@loom/core";
import { serializeBatch } from "./line-format.js";

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
