import type { Journal } from "@loom/core";
import { FsJournal } from "@loom/journal-fs";
import { PostgresJournal } from "@loom/journal-postgres";

/** A journal that processes share: where it lives, so each process opens its own. */
export type SharedJournal =
  | { readonly kind: "fs"; readonly dir: string }
  | { readonly kind: "postgres"; readonly url: string; readonly schema: string };

export type JournalKind = "memory" | "fs" | "postgres";

export function openJournal(target: SharedJournal): Journal {
  return target.kind === "fs"
    ? new FsJournal({ dir: target.dir, onRecovery: () => {} })
    : new PostgresJournal({ connectionString: target.url, schema: target.schema, poolConfig: { max: 3 } });
}

export const DATABASE_URL =
  process.env.LOOM_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/loom_test";
