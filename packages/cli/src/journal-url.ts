import { statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Journal } from "@loom/core";
import { FsJournal } from "@loom/journal-fs";
import { CliError } from "./errors.js";

export const DEFAULT_JOURNAL_URL = "file://./.loom/journal";

/** A journal-fs folder that must exist: `loom` only looks into journals, it never starts one. */
function openFolder(dir: string, url: string): Journal {
  let folder = false;
  try {
    folder = statSync(dir).isDirectory();
  } catch {
    folder = false;
  }
  if (!folder) {
    throw new CliError(
      "bad_url",
      `Journal folder ${dir} (from "${url}") does not exist. Point --journal (or LOOM_JOURNAL) at the folder your agent journals to; the default is ${DEFAULT_JOURNAL_URL}, relative to the current folder.`,
    );
  }
  return new FsJournal({ dir, onRecovery: () => {} });
}

/**
 * Opens a journal from a URL: `file://./relative/dir`, `file:///absolute/dir`, or
 * `postgres://user@host:5432/db?schema=loom` (needs `@loom/journal-postgres` installed).
 */
export async function openJournal(url: string, cwd: string): Promise<Journal> {
  if (url.startsWith("file:")) {
    const rest = url.slice("file:".length);
    let dir: string;
    if (rest.startsWith("//./") || rest.startsWith("//../") || rest === "//.")
      dir = resolve(cwd, rest.slice(2));
    else if (rest.startsWith("///")) dir = fileURLToPath(url);
    else if (!rest.startsWith("//") && rest.length > 0) dir = isAbsolute(rest) ? rest : resolve(cwd, rest);
    else {
      throw new CliError(
        "bad_url",
        `Journal URL "${url}" has no folder: use file://./relative/dir or file:///absolute/dir.`,
      );
    }
    return openFolder(dir, url);
  }
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new CliError(
        "bad_url",
        `Journal URL is not a valid postgres URL (expected postgres://user@host:5432/db).`,
      );
    }
    const schema = parsed.searchParams.get("schema") ?? "loom";
    parsed.searchParams.delete("schema");
    let module: { PostgresJournal: new (options: Record<string, unknown>) => Journal };
    try {
      module = (await import("@loom/journal-postgres" as string)) as typeof module;
    } catch {
      throw new CliError(
        "missing_package",
        "postgres:// journals need @loom/journal-postgres: install it next to @loom/cli (npm install @loom/journal-postgres).",
      );
    }
    return new module.PostgresJournal({ connectionString: parsed.toString(), schema, migrate: false });
  }
  // A plain path (./journal, /var/loom, journal) is a journal-fs folder, as file:// would say.
  if (!/^[a-z][a-z0-9+.-]*:/i.test(url)) return openFolder(isAbsolute(url) ? url : resolve(cwd, url), url);
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)![0];
  throw new CliError(
    "bad_url",
    `Journal URL scheme ${scheme} is not supported: use file://./dir (journal-fs) or postgres://user@host/db.`,
  );
}
