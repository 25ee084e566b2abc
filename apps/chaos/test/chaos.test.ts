import { describe, expect, it } from "vitest";
import {
  formatTable,
  type JournalKind,
  runChaos,
  runSeed,
  type ScenarioName,
  type Summary,
  VIOLATION_KINDS,
} from "../src/index.ts";

// The bounded chaos run of every `pnpm test`: each journal, each scenario, a few trials of kills and
// resumes in real processes (journal-fs, journal-postgres) or simulated crashes (MemoryJournal).
// `pnpm test:chaos` runs the large version. A failure prints its seed: LOOM_CHAOS_SEED replays it.

const SEED = runSeed();

/** Trials per scenario: small enough for ~90 s on two busy cores, with every kind of kill in it. */
function bounded(journal: JournalKind, scenario: ScenarioName): number {
  if (journal === "memory") return 20;
  return {
    "colliding-subagents": 2,
    "approvals-with-kills": 2,
    "two-resumers": 2,
    "kill-after-effect": 5,
    "lock-takeover": 1,
    "read-only-turns": 2,
    "lease-lost": 2,
    "cancel-requested": 2,
  }[scenario];
}

describe.each(["memory", "fs", "fs-always", "postgres"] as const)("chaos on %s", (journal) => {
  it(`no completed call runs twice, no non-idempotent call twice, nothing unapproved, no decision on the wrong call (seed ${SEED})`, async () => {
    const result = await runChaos({ journals: [journal], trials: bounded, seed: SEED, concurrency: 2 });
    const failures = result.reports.filter(
      (r) => r.unfinished || r.errors.length > 0 || VIOLATION_KINDS.some((k) => r.violations[k] > 0),
    );
    const explain = `seed ${SEED} (LOOM_CHAOS_SEED=${SEED})\n${formatTable(result.summary)}\n${failures
      .map((r) => `${r.scenario} trial ${r.trial}:\n  ${[...r.details, ...r.errors].join("\n  ")}`)
      .join("\n")}`;
    for (const row of result.summary) {
      for (const kind of VIOLATION_KINDS)
        expect(row.violations[kind], `${row.scenario} ${kind}: ${explain}`).toBe(0);
      expect(row.unfinished, `${row.scenario} unfinished: ${explain}`).toBe(0);
      expect(row.errors, `${row.scenario} errors: ${explain}`).toBe(0);
      // These two plan kills that always land (the target tool's first effect; the lease holder's
      // effect), so a harness that no longer kills fails here. The others draw their kills at random
      // and a drawn kill may not land (its event never comes, its timer fires after the end): with
      // 2 trials, none landing happens (seed 763838 on fs), so they are not asked for a kill here;
      // `pnpm test:chaos` shows theirs.
      if (row.scenario === "kill-after-effect" || row.scenario === "lock-takeover")
        expect(row.kills, `${row.scenario} kills: ${explain}`).toBeGreaterThan(0);
      // A kill during lock takeover does not block the next resume (it used to wait 5 s).
      if (row.maxTakeoverMs !== undefined) expect(row.maxTakeoverMs, explain).toBeLessThan(2000);
    }
    // Two resumers started together meet (one gets ThreadBusyError) unless one is done before the
    // other asks, which a loaded machine makes happen now and then (seed 546244 under a full
    // `pnpm test`); a lease-lost trial loses its lease unless the waiting process took the thread
    // first, or the run ended before the loss landed (seed 177006 under a full `pnpm test`). So: more
    // trials until it happens, each held to the same counts.
    const seen = async (scenario: ScenarioName, count: (row: Summary) => number) => {
      const first = result.summary.find((r) => r.scenario === scenario);
      if (!first) return undefined;
      let total = count(first);
      for (let extra = 1; total === 0 && extra <= 3; extra++) {
        const more = await runChaos({
          journals: [journal],
          scenarios: [scenario],
          trials: 3,
          seed: SEED + extra,
          concurrency: 2,
        });
        const row = more.summary[0]!;
        const table = `seed ${SEED + extra}\n${formatTable(more.summary)}`;
        for (const kind of VIOLATION_KINDS) expect(row.violations[kind], `${kind}: ${table}`).toBe(0);
        expect(row.unfinished + row.errors, table).toBe(0);
        total += count(row);
      }
      return total;
    };
    expect(await seen("two-resumers", (r) => r.busy), `two resumers never met: ${explain}`).toBeGreaterThan(
      0,
    );
    const lost = await seen("lease-lost", (r) => r.leasesLost);
    if (lost !== undefined) expect(lost, `no lease was ever lost: ${explain}`).toBeGreaterThan(0);
  }, 120_000);
});
