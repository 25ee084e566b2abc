export { type ChaosOptions, type ChaosResult, runChaos, scenariosFor } from "./chaos.js";
export { countViolations, VIOLATION_KINDS, type Violations } from "./count.js";
export { appendLedger, type LedgerLine, readLedger } from "./ledger.js";
export { random, runSeed, seedOf } from "./random.js";
export type { JournalKind, SharedJournal } from "./targets.js";
export {
  formatTable,
  randomKill,
  runTrial,
  SCENARIOS,
  type ScenarioName,
  type Summary,
  type TrialReport,
} from "./trials.js";
export { buildWorld, type KillPlan, WORLDS, type WorldName } from "./world.js";
