// The conformance kit's storage for SqliteJournal: a folder holding the database file. It is also
// the kit's `processModule`: writer processes load it with plain node and call `open`.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { SqliteJournal } from "../src/sqlite-journal.ts";

export interface Storage {
  readonly dir: string;
}

export function newStorage(): Storage {
  return { dir: mkdtempSync(join(tmpdir(), "loom-journal-sqlite-")) };
}

export function open(storage: Storage): SqliteJournal {
  return new SqliteJournal({ path: join(storage.dir, "journal.db") });
}

export function destroy(storage: Storage): void {
  rmSync(storage.dir, { recursive: true, force: true });
}

/** Cuts the stored JSON of one event short, as a bad hand edit would. */
export function corrupt(storage: Storage, at: { threadId: string; seq: number }): void {
  const db = new DatabaseSync(join(storage.dir, "journal.db"));
  db.prepare("UPDATE events SET body = substr(body, 1, 30) WHERE thread_id = ? AND seq = ?").run(
    at.threadId,
    at.seq,
  );
  db.close();
}
