// `pnpm test:chaos`: the large random run. Prints a table of violation counts per journal and
// scenario, and exits non-zero on any violation, unfinished trial or unexpected error.
// Env: LOOM_CHAOS_TRIALS (trials per journal, shared out over its scenarios, default 100; most trials
// kill at least once), LOOM_CHAOS_SEED (replay),
// LOOM_CHAOS_JOURNALS (default "memory,fs,fs-always,postgres"), LOOM_CHAOS_SCENARIOS, LOOM_CHAOS_CONCURRENCY.

import { runChaos, scenariosFor } from "./chaos.js";
import { VIOLATION_KINDS } from "./count.js";
import { runSeed } from "./random.js";
import type { JournalKind } from "./targets.js";
import { formatTable, SCENARIOS, type ScenarioName } from "./trials.js";

const seed = runSeed();
const trials = Number(process.env.LOOM_CHAOS_TRIALS ?? 100);
const journals = (process.env.LOOM_CHAOS_JOURNALS ?? "memory,fs,fs-always,postgres").split(
  ",",
) as JournalKind[];
const scenarios = (process.env.LOOM_CHAOS_SCENARIOS?.split(",") ?? SCENARIOS) as ScenarioName[];
const concurrency = Number(process.env.LOOM_CHAOS_CONCURRENCY ?? 2);

console.log(
  `loom chaos: seed ${seed} (replay with LOOM_CHAOS_SEED=${seed}), ${trials} trials per journal, journals ${journals.join(", ")}`,
);
let finished = 0;
const result = await runChaos({
  journals,
  scenarios,
  // Shared out over the journal's scenarios, the first ones taking the remainder.
  trials: (journal, scenario) => {
    const own = scenariosFor(journal, scenarios);
    return Math.floor(trials / own.length) + (own.indexOf(scenario) < trials % own.length ? 1 : 0);
  },
  seed,
  concurrency,
  onReport: (r) => {
    finished++;
    const bad = VIOLATION_KINDS.some((k) => r.violations[k] > 0) || r.unfinished || r.errors.length > 0;
    if (bad) {
      console.log(`\nFAIL ${r.journal} ${r.scenario} trial ${r.trial} (seed ${r.seed})`);
      for (const d of [...r.details, ...r.errors]) console.log(`  ${d}`);
    } else if (finished % 25 === 0) process.stdout.write(`${finished} trials\n`);
  },
});
console.log(`\n${formatTable(result.summary)}\n`);
const kills = new Map<string, { all: number; inZeros: number }>();
for (const row of result.summary) {
  const sum = kills.get(row.journal) ?? { all: 0, inZeros: 0 };
  kills.set(row.journal, { all: sum.all + row.kills, inZeros: sum.inZeros + row.killsInZeros });
}
const perJournal = [...kills].map(
  ([j, k]) => `${j} ${k.all}${j.startsWith("fs") ? ` (${k.inZeros} writing into zeros)` : ""}`,
);
console.log(`kills per journal: ${perJournal.join(", ")}; ${result.ms} ms; seed ${seed}`);
const failed = result.summary.some(
  (r) => VIOLATION_KINDS.some((k) => r.violations[k] > 0) || r.unfinished > 0 || r.errors > 0,
);
console.log(failed ? "chaos: FAILED" : "chaos: every count is 0");
process.exit(failed ? 1 : 0);
