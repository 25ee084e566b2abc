import fs, { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EVENT_VERSION, type NewEvent, readAll, type StoredEvent } from "@loom/core";
import { afterAll, vi } from "vitest";
import { FsJournal, type FsJournalOptions, type RecoveryReport } from "../src/index.js";

/** The file operations the journal runs in libuv's pool (`fs` callback calls on an open file). */
export type PooledCall = "read" | "write" | "fsync" | "fdatasync" | "ftruncate";

/**
 * Watches `fs.<name>` (and passes it through): `called` when it is made, `done` when it calls back.
 * The real call does the work.
 */
export function watchPooled(name: PooledCall, called: () => void, done: () => void = () => undefined): void {
  const real = fs[name] as unknown as (...args: unknown[]) => void;
  vi.spyOn(fs, name).mockImplementation(((...args: unknown[]) => {
    called();
    const callback = args.pop() as (...results: unknown[]) => void;
    real(...args, (...results: unknown[]) => {
      done();
      callback(...results);
    });
  }) as never);
}

/** A fresh folder under the system temp folder, removed after the test file. */
export function tempRoot(name: string): () => string {
  const root = mkdtempSync(join(tmpdir(), `loom-journal-fs-${name}-`));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  return () => join(root, `case-${n++}`);
}

export function event(input: string, overrides: Partial<NewEvent> = {}): NewEvent {
  return {
    v: EVENT_VERSION,
    runId: "run-1",
    ts: 1_700_000_000_000,
    frameId: "root",
    depth: 0,
    iteration: 0,
    type: "run.started",
    data: { input },
    ...overrides,
  } as NewEvent;
}

/** Writes batches of the given sizes to a thread through a journal that is then closed. */
export async function writeBatches(dir: string, threadId: string, sizes: readonly number[]): Promise<void> {
  const journal = new FsJournal({ dir });
  let head = -1;
  for (const [b, size] of sizes.entries()) {
    const batch = Array.from({ length: size }, (_, i) => event(`batch ${b} event ${i}`));
    head = (await journal.append(threadId, batch, head)).lastSeq;
  }
  await journal.close();
}

/** A journal that records its recovery reports instead of warning. */
export function recordingJournal(options: Omit<FsJournalOptions, "onRecovery">): {
  journal: FsJournal;
  reports: RecoveryReport[];
} {
  const reports: RecoveryReport[] = [];
  return { journal: new FsJournal({ ...options, onRecovery: (r) => reports.push(r) }), reports };
}

export async function seqsOf(journal: FsJournal, threadId: string): Promise<number[]> {
  return (await readAll(journal, threadId)).map((e: StoredEvent) => e.seq);
}
