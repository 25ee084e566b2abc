import { JournalError, LoomError } from "@loom/core";

interface PgErrorLike {
  readonly code?: string;
  readonly message?: string;
}

/**
 * Wraps a node-postgres or network failure as a `JournalError` ("io") that says what failed and what
 * to do. Loom's own errors pass through. The message never holds the connection string.
 */
export function toJournalError(error: unknown, action: string): Error {
  if (LoomError.isInstance(error)) return error;
  const pg = (typeof error === "object" && error !== null ? error : {}) as PgErrorLike;
  const detail = pg.message ?? String(error);
  const code = pg.code ? ` (SQLSTATE ${pg.code})` : "";
  const hint = isConnectionLoss(pg)
    ? " The connection to PostgreSQL was lost; the transaction was rolled back, so nothing of it was stored. Retry the operation."
    : pg.code === "22P05" || pg.code === "22021"
      ? " PostgreSQL jsonb cannot store a NUL character (\\u0000) in a string; remove it from the event data."
      : pg.code === "42P01" || pg.code === "3F000"
        ? " The journal's tables are missing: call migrate(), or create the journal with migrate enabled."
        : " Check that PostgreSQL is reachable and the journal's schema is migrated.";
  return new JournalError("io", `PostgresJournal could not ${action}: ${detail}${code}.${hint}`, {
    cause: error,
  });
}

export function isConnectionLoss(error: PgErrorLike): boolean {
  const code = error.code ?? "";
  // 57P01..57P05: the server ended the session (pg_terminate_backend, shutdown); 08xxx: connection errors.
  if (code.startsWith("57P") || code.startsWith("08")) return true;
  if (["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT"].includes(code)) return true;
  const message = error.message ?? "";
  return /Connection terminated|connection ended|Client has encountered a connection error/i.test(message);
}
