import type { PoolClient } from "pg";
import { quoteIdent } from "./sql.js";

export interface Migration {
  readonly version: number;
  readonly name: string;
  /** Statements run in one transaction; `s` is the quoted schema name. */
  readonly up: (s: string) => readonly string[];
}

/**
 * Every migration this package has shipped, in order. Released entries are never edited: a change to
 * the tables is a new entry, so a database written by any released version upgrades in place.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "threads and events",
    up: (s) => [
      // COLLATE "C": threads are listed in code-unit order, the same order as JavaScript's sort.
      `CREATE TABLE ${s}.threads (
        thread_id text COLLATE "C" PRIMARY KEY,
        head_seq integer NOT NULL,
        status text,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`,
      `CREATE TABLE ${s}.events (
        thread_id text COLLATE "C" NOT NULL REFERENCES ${s}.threads (thread_id) ON DELETE CASCADE,
        seq integer NOT NULL,
        v smallint NOT NULL,
        type text NOT NULL,
        run_id text NOT NULL,
        ts double precision NOT NULL,
        frame_id text NOT NULL,
        parent_frame_id text,
        depth integer NOT NULL,
        iteration integer NOT NULL,
        data jsonb NOT NULL,
        PRIMARY KEY (thread_id, seq)
      )`,
    ],
  },
  {
    version: 2,
    name: "queued runs",
    up: (s) => [
      // Where a queued run began, so a retried job resumes its own run instead of starting it twice.
      `CREATE TABLE ${s}.queued_runs (
        job_id text PRIMARY KEY,
        thread_id text COLLATE "C" NOT NULL,
        start_seq integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`,
    ],
  },
  {
    version: 3,
    name: "append without a foreign-key check per event",
    up: (s) => [
      // Events are only ever inserted by the statement that claims their thread's row (append) or
      // after creating it (fork), so the key held nothing the appends did not; its per-row check
      // was half the time of a 7-event append (ADR 0011). Leaves room on each threads page for the
      // head row's update to stay a heap-only (HOT) update.
      `ALTER TABLE ${s}.events DROP CONSTRAINT IF EXISTS events_thread_id_fkey`,
      `ALTER TABLE ${s}.threads SET (fillfactor = 70)`,
    ],
  },
  {
    version: 4,
    name: "snapshots found without reading a thread",
    up: (s) => [
      // Only snapshot rows are in it: appends of other events never touch it.
      `CREATE INDEX IF NOT EXISTS events_snapshots ON ${s}.events (thread_id, seq) WHERE type = 'snapshot'`,
    ],
  },
  {
    version: 5,
    name: "one row per append",
    up: (s) => [
      // An append is one row holding its events as JSON text: one heap tuple and one index entry per
      // append instead of one per event, and no head row to update; the head is the thread's last
      // batch (ADR 0013). Locked first, so an append of an older version cannot land between the
      // copy and the drop; older versions fail from here on (their tables are gone), loudly.
      `LOCK TABLE ${s}.threads, ${s}.events IN ACCESS EXCLUSIVE MODE`,
      `CREATE TABLE ${s}.batches (
        thread_id text COLLATE "C" NOT NULL,
        first_seq integer NOT NULL,
        last_seq integer NOT NULL,
        snapshot_seq integer,
        appended_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        events text NOT NULL,
        PRIMARY KEY (thread_id, first_seq)
      )`,
      // Only batches holding a snapshot are in it: appends of other events never touch it.
      `CREATE INDEX batches_snapshots ON ${s}.batches (thread_id, snapshot_seq) WHERE snapshot_seq IS NOT NULL`,
      // Each stored event becomes a batch of one, in the text form appends write (batchText).
      `INSERT INTO ${s}.batches (thread_id, first_seq, last_seq, snapshot_seq, appended_at, events)
       SELECT thread_id, seq, seq, CASE WHEN type = 'snapshot' THEN seq END, to_timestamp(ts / 1000),
         jsonb_build_object(
           'shared', jsonb_build_object('v', v, 'runId', run_id, 'ts', ts, 'frameId', frame_id,
             'depth', depth, 'iteration', iteration)
             || CASE WHEN parent_frame_id IS NULL THEN '{}'::jsonb
                     ELSE jsonb_build_object('parentFrameId', parent_frame_id) END,
           'events', jsonb_build_array(jsonb_build_object('type', type, 'data', data))
         )::text
       FROM ${s}.events`,
      `DROP TABLE ${s}.events`,
      `ALTER TABLE ${s}.threads DROP COLUMN head_seq, DROP COLUMN updated_at`,
      // The thread's row now changes only when its status does; a fork or a first append inserts it.
      `ALTER TABLE ${s}.threads SET (fillfactor = 100)`,
    ],
  },
  {
    version: 6,
    name: "a token per append",
    up: (s) => [
      // A random number each append writes with its batch: an append sent behind one in flight checks
      // the head batch's token instead of comparing its whole text (ADR 0016, addendum). Nullable, so
      // adding it rewrites nothing; rows written before it have none, and no append is sent behind them.
      `ALTER TABLE ${s}.batches ADD COLUMN IF NOT EXISTS append_token bigint`,
    ],
  },
  {
    version: 7,
    name: "queued runs found by thread",
    up: (s) => [
      // deleteThread removes a thread's rows: without it, each delete (a prune's thousands) scans
      // every queued run ever recorded.
      `CREATE INDEX IF NOT EXISTS queued_runs_thread ON ${s}.queued_runs (thread_id)`,
    ],
  },
  {
    version: 8,
    name: "threads found by status",
    up: (s) => [
      // A listing by status (an approval inbox, a prune of failed runs, Studio's filter) reads the
      // matching rows instead of scanning every thread: 73 ms to 0.7 ms for a rare status among a
      // million threads (README, "Listing threads"). The row changes only when its status does, so
      // appends that leave the status alone never touch it. Building it holds writes to `threads`
      // (new threads, status changes) for the build: about a second per million threads here.
      `CREATE INDEX IF NOT EXISTS threads_status ON ${s}.threads (status, thread_id)`,
    ],
  },
];

/**
 * Brings `schema` up to the latest version. Safe to run from many processes at once: they queue on
 * an advisory lock, and the missing migrations are applied once, with their records, in one transaction.
 */
export async function migrateSchema(client: PoolClient, schema: string): Promise<number[]> {
  const s = quoteIdent(schema);
  const applied: number[] = [];
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [`loom-migrate:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${s}.migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`,
    );
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${s}.migrations`);
    const done = new Set(rows.map((r) => r.version));
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      for (const statement of migration.up(s)) await client.query(statement);
      await client.query(`INSERT INTO ${s}.migrations (version, name) VALUES ($1, $2)`, [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
  return applied;
}
