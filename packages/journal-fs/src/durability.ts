import { z } from "zod";
import { OpenFile } from "./open-file.js";

/**
 * - `always`: every append is written and fsynced on its own before its promise resolves.
 * - `batch` (default): an append resolves only after an fsync that covers it, but appends to a
 *   thread that wait at the same moment share one fsync (group commit). Same promise as `always`.
 * - `never`: an append resolves once the operating system has the bytes (it survives the process
 *   being killed, not a power cut or a kernel crash).
 */
export const FsyncModeSchema = z.enum(["always", "batch", "never"]);
export type FsyncMode = z.infer<typeof FsyncModeSchema>;

/** Makes a new or renamed directory entry durable (fsync on the directory itself). */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = OpenFile.open(dir, "r");
  try {
    await handle.sync();
  } finally {
    handle.close();
  }
}
