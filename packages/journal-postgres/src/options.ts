import { ConfigError } from "@loom/core";
import type { Pool, PoolConfig } from "pg";
import { z } from "zod";
import { validateSchemaName } from "./sql.js";

export interface PostgresJournalOptions {
  /** A pool you own. The journal uses it and never ends it; you end it after `close()`. */
  readonly pool?: Pool;
  /** Connection string for a pool the journal creates (and ends on `close()`). */
  readonly connectionString?: string;
  /** More settings for the pool the journal creates (ignored when `pool` is given). */
  readonly poolConfig?: PoolConfig;
  /** The schema holding the journal's tables. Default "loom". */
  readonly schema?: string;
  /** Migrate the schema on first use. Default true; turn it off when migrations run as a deploy step. */
  readonly migrate?: boolean;
  /** Events fetched per query when reading a thread. Default 1000. */
  readonly readPageSize?: number;
  /** Threads fetched per query when listing threads. Default 500. */
  readonly threadsPageSize?: number;
}

const OptionsSchema = z.object({
  connectionString: z.string().min(1).optional(),
  schema: z.string().default("loom"),
  migrate: z.boolean().default(true),
  readPageSize: z.number().int().min(1).max(100_000).default(1000),
  threadsPageSize: z.number().int().min(1).max(100_000).default(500),
});

export type ResolvedOptions = z.output<typeof OptionsSchema>;

export function resolveOptions(options: PostgresJournalOptions): ResolvedOptions {
  if (typeof options !== "object" || options === null) {
    throw new ConfigError("PostgresJournal(options): options must be an object, e.g. { connectionString }.");
  }
  const { pool, poolConfig, ...rest } = options;
  if (pool !== undefined && (typeof pool !== "object" || typeof pool.query !== "function")) {
    throw new ConfigError('PostgresJournal: "pool" must be a pg.Pool (new Pool({...}) from "pg").');
  }
  if (pool !== undefined && (options.connectionString !== undefined || poolConfig !== undefined)) {
    throw new ConfigError(
      'PostgresJournal: pass either "pool" or "connectionString"/"poolConfig", not both: the journal does not configure a pool it does not own.',
    );
  }
  const parsed = OptionsSchema.safeParse(rest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    // The value itself is left out: a connection string may hold a password.
    throw new ConfigError(`PostgresJournal: option "${issue.path.join(".")}" is invalid: ${issue.message}.`);
  }
  validateSchemaName(parsed.data.schema);
  return parsed.data;
}
