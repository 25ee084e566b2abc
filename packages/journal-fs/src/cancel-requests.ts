import { existsSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { DirectoryWatch } from "./directory-watch.js";
import { type LockHolder, liveHolder } from "./thread-lock.js";

/** A cancel request: the lock holder it is for (its token), and why. */
const RequestSchema = z.object({ token: z.string(), reason: z.string() });

/** `<lock folder>/<thread file>.cancel`: beside the thread's lock, for its holder. */
const requestFile = (lockDir: string, name: string) => join(lockDir, `${name}.cancel`);

/**
 * Writes a cancel request for the live holder of a thread's lock, if there is one (true), naming
 * that holder, so that a request can never reach a later holder. Written to a temporary name and
 * renamed into place: a reader sees all of it or nothing.
 */
export function writeCancelRequest(lockDir: string, name: string, me: LockHolder, reason: string): boolean {
  const holder = liveHolder(lockDir, name, me);
  if (!holder) return false;
  const path = requestFile(lockDir, name);
  // Dot-named as the lock's own temporary files are; one left by a crash is never read as a request.
  const temp = join(lockDir, `.${name}.cancel.${me.token}.tmp`);
  writeFileSync(temp, JSON.stringify({ token: holder.token, reason }));
  renameSync(temp, path);
  return true;
}

/**
 * The leases of one journal listening for cancel requests: one `fs.watch` on the lock folder, from the
 * journal's first lease to its `close()`. A request for this journal's holder aborts the lease's signal and is removed. Requests
 * land only where `fs.watch` works (local disks): on a network file system they are not heard.
 */
export class CancelRequests {
  private readonly watch: DirectoryWatch;

  constructor(
    private readonly lockDir: string,
    private readonly me: LockHolder,
  ) {
    this.watch = new DirectoryWatch(lockDir, true);
  }

  /** Stops listening (the journal closed). */
  close(): void {
    this.watch.close();
  }

  /** Listens for the thread's requests until the returned function is called; a stale one is removed. */
  listen(name: string, cancel: AbortController): () => void {
    const path = requestFile(this.lockDir, name);
    this.take(path);
    const stop = this.watch.add(`${name}.cancel`, () => {
      const reason = this.take(path);
      if (reason !== undefined) cancel.abort(reason);
    });
    return () => {
      stop();
      this.take(path);
    };
  }

  /** Reads and removes the request at `path` if it is for this journal's holder: its reason. */
  private take(path: string): string | undefined {
    // Almost always there is none: asked without the error a failed read builds (about 6 µs).
    if (!existsSync(path)) return undefined;
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
    let request: z.infer<typeof RequestSchema> | undefined;
    try {
      const parsed = RequestSchema.safeParse(JSON.parse(text));
      request = parsed.success ? parsed.data : undefined;
    } catch {
      request = undefined;
    }
    if (request && request.token !== this.me.token) return undefined;
    try {
      unlinkSync(path);
    } catch {
      // Taken by another reader of this journal: nothing to undo.
    }
    return request?.reason;
  }
}
