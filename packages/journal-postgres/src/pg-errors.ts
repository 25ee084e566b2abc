import { JournalError, LoomError } from "@loom/core";

interface PgErrorLike {
  readonly code?: string;
  readonly message?: string;
}

/**
 * Wraps a node-postgres or network failure as a `JournalError` ("io") that says what failed and what
 * to do. Loom's own errors pass through. The message never holds the connection string.
 */
export function toJournalError(error: unknown, action: string, server?: string): Error {
  if (LoomError.isInstance(error)) return error;
  const pg = (typeof error === "object" && error !== null ? error : {}) as PgErrorLike;
  const detail = pg.message ?? String(error);
  const code = pg.code ? ` (${/^[A-Z]+$/.test(pg.code) ? pg.code : `SQLSTATE ${pg.code}`})` : "";
  const at = server ? ` at ${server}` : "";
  const unreachable = UNREACHABLE[pg.code ?? ""];
  if (unreachable) {
    return new JournalError(
      "io",
      `PostgresJournal could not ${action}: ${unreachable.replace("{at}", at)}${code}. Nothing was stored.`,
      { cause: error },
    );
  }
  const hint = isConnectionLoss(pg)
    ? " The connection to PostgreSQL was lost; the transaction was rolled back, so nothing of it was stored. Retry the operation."
    : pg.code === "22P05" || pg.code === "22021"
      ? " PostgreSQL jsonb cannot store a NUL character (\\u0000) in a string; remove it from the event data."
      : pg.code === "42P01" || pg.code === "3F000"
        ? " The journal's tables are missing: call migrate(), or create the journal with migrate enabled."
        : pg.code === "42703"
          ? " The journal's tables are older than this version of @loom/journal-postgres: call migrate(), or create the journal with migrate enabled."
          : " Check that PostgreSQL is reachable and the journal's schema is migrated.";
  return new JournalError("io", `PostgresJournal could not ${action}: ${detail}${code}.${hint}`, {
    cause: error,
  });
}

/** Failures to reach or enter the server at all, as opposed to losing a connection mid-way. */
const UNREACHABLE: Readonly<Record<string, string>> = {
  ECONNREFUSED:
    "PostgreSQL{at} is not reachable: nothing listens there. Check that the server runs and the host and port are right",
  ENOTFOUND: "PostgreSQL{at} is not reachable: its host name does not resolve. Check the host",
  EAI_AGAIN:
    "PostgreSQL{at} is not reachable: its host name could not be resolved now. Check the network and the host",
  EHOSTUNREACH: "PostgreSQL{at} is not reachable: no route to its host. Check the network and the host",
  "28P01": "PostgreSQL{at} refused the password. Check the user and password of the connection",
  "28000":
    "PostgreSQL{at} refused the connection for this user (pg_hba.conf). Check the user and the server's access rules",
  "3D000": "PostgreSQL{at} has no such database. Create it, or fix the database name in the connection",
};

/** Where a pool connects, as a URL without its password: for error messages. */
export function describeServer(options: {
  connectionString?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
  database?: string | undefined;
  user?: string | undefined;
}): string {
  if (options.connectionString) {
    try {
      const url = new URL(options.connectionString);
      if (url.password) url.password = "***";
      url.search = "";
      return url.toString();
    } catch {
      return "(an unparsable connection string)";
    }
  }
  const user = options.user ?? process.env.PGUSER;
  const host = options.host ?? process.env.PGHOST ?? "localhost";
  const port = options.port ?? (process.env.PGPORT ? Number(process.env.PGPORT) : 5432);
  const database = options.database ?? process.env.PGDATABASE ?? user ?? "";
  return `postgres://${user ? `${user}@` : ""}${host}:${port}/${database}`;
}

export function isConnectionLoss(error: PgErrorLike): boolean {
  const code = error.code ?? "";
  // 57P01..57P05: the server ended the session (pg_terminate_backend, shutdown); 08xxx: connection errors.
  if (code.startsWith("57P") || code.startsWith("08")) return true;
  if (["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT"].includes(code)) return true;
  const message = error.message ?? "";
  return /Connection terminated|connection ended|Client has encountered a connection error/i.test(message);
}
