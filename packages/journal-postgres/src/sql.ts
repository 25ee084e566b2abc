import { ConfigError } from "@loom/core";

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Checks a schema name given in options: lower-case letters, digits and `_`, at most 63 characters. */
export function validateSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new ConfigError(
      `PostgresJournal: schema ${JSON.stringify(schema)} is not a valid schema name: use 1 to 63 lower-case letters, digits and "_", not starting with a digit.`,
    );
  }
  return schema;
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
