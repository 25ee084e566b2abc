import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PostgresJournal } from "@loom/journal-postgres";
import pg from "pg";
import { checkBuilt } from "./agent-processes.js";
import { DATABASE_URL, type JournalKind } from "./targets.js";
import {
  runTrials,
  SCENARIOS,
  type ScenarioName,
  type Summary,
  summarize,
  type TrialOptions,
  type TrialReport,
} from "./trials.js";

export interface ChaosOptions {
  readonly journals: readonly JournalKind[];
  readonly scenarios?: readonly ScenarioName[];
  /** Trials per journal and scenario. */
  readonly trials: number | ((journal: JournalKind, scenario: ScenarioName) => number);
  readonly seed: number;
  /** Trials run at once. */
  readonly concurrency?: number;
  readonly onReport?: (report: TrialReport) => void;
  readonly databaseUrl?: string;
}

export interface ChaosResult {
  readonly seed: number;
  readonly reports: TrialReport[];
  readonly summary: Summary[];
  readonly ms: number;
}

/**
 * Which scenarios a journal can play: lock takeover and cancel requests need a journal that processes
 * share; a lost lease, one whose leases can be lost while their owner lives (Postgres: a connection
 * that breaks).
 */
export function scenariosFor(journal: JournalKind, wanted: readonly ScenarioName[]): ScenarioName[] {
  return wanted.filter(
    (s) =>
      !(journal === "memory" && (s === "lock-takeover" || s === "cancel-requested")) &&
      !(journal !== "postgres" && s === "lease-lost"),
  );
}

/** Runs the chaos trials on each journal (a fresh folder; a fresh Postgres schema), and counts. */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const started = Date.now();
  const root = mkdtempSync(join(tmpdir(), "loom-chaos-"));
  const url = options.databaseUrl ?? DATABASE_URL;
  const schema = `chaos_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const usesPostgres = options.journals.includes("postgres");
  if (options.journals.some((j) => j !== "memory")) checkBuilt();
  try {
    if (usesPostgres) {
      // Migrated once here, so the agent processes do not all race to migrate it.
      const journal = new PostgresJournal({ connectionString: url, schema });
      await journal.migrate();
      await journal.close();
    }
    const specs: TrialOptions[] = [];
    for (const journal of options.journals) {
      for (const scenario of scenariosFor(journal, options.scenarios ?? SCENARIOS)) {
        const n = typeof options.trials === "number" ? options.trials : options.trials(journal, scenario);
        for (let trial = 0; trial < n; trial++) {
          specs.push({
            journal,
            scenario,
            trial,
            seed: options.seed,
            root,
            target:
              journal === "fs"
                ? (dir) => ({ kind: "fs", dir: join(dir, "journal") })
                : journal === "fs-always"
                  ? (dir) => ({ kind: "fs", dir: join(dir, "journal"), fsync: "always" })
                  : () => ({ kind: "postgres", url, schema }),
          });
        }
      }
    }
    const reports = await runTrials(specs, options.concurrency ?? 2, options.onReport);
    return { seed: options.seed, reports, summary: summarize(reports), ms: Date.now() - started };
  } finally {
    rmSync(root, { recursive: true, force: true });
    if (usesPostgres) {
      const pool = new pg.Pool({ connectionString: url, max: 1 });
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await pool.end();
    }
  }
}
