import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { foldAll } from "@loom/core";
import { addViolations, completedKeys, countViolations, noViolations, type Violations } from "./count.js";
import { appendLedger, readLedger } from "./ledger.js";
import { random, seedOf } from "./random.js";
import { type AttemptRunner, ledgerPath, MemoryRunner, ProcessRunner, type TrialSetup } from "./runners.js";
import type { JournalKind, SharedJournal } from "./targets.js";
import { finalTextOf, type KillPlan, targetTool, WORLDS, type WorldName } from "./world.js";

export const SCENARIOS = [
  "colliding-subagents",
  "approvals-with-kills",
  "two-resumers",
  "kill-after-effect",
  "lock-takeover",
  "read-only-turns",
  "lease-lost",
  "cancel-requested",
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface TrialReport {
  readonly journal: JournalKind;
  readonly scenario: ScenarioName;
  readonly trial: number;
  readonly seed: number;
  readonly violations: Violations;
  readonly details: string[];
  /** The thread never completed, or did not end as its script says. */
  readonly unfinished: boolean;
  /** Attempts that ended in an unexpected error (not a kill, a busy thread or a stale decision). */
  readonly errors: string[];
  readonly kills: number;
  /** Kills that left the thread's file ending in zeros (journal-fs `"always"` or `"batch"`). */
  readonly killsInZeros: number;
  readonly busy: number;
  /** Attempts stopped by a lost lease (`ThreadLeaseLostError`), and writes refused by `expectedSeq`. */
  readonly leasesLost: number;
  /** Attempts cancelled by a request from another process (`RunCancelledError`). */
  readonly cancels: number;
  readonly conflicts: number;
  /** lock-takeover: from "go" to the end of the resume after the kill during takeover. */
  readonly takeoverMs?: number;
  readonly ms: number;
}

const none: KillPlan = { point: "none" };
const KILL_EVENTS = [
  "approval.resolved",
  "approval.requested",
  "run.interrupted",
  "tool.started",
  "tool.completed",
  "llm.completed",
  "frame.spawned",
] as const;

/** A kill somewhere around approvals, tool starts and side effects; "time" is a SIGKILL from outside. */
export function randomKill(rand: () => number): KillPlan {
  const r = rand();
  const nth = 1 + Math.floor(rand() * 3);
  if (r < 0.25) return { point: "after-effect", nth };
  if (r < 0.4) return { point: "before-effect", nth };
  if (r < 0.85) return { point: "event", type: KILL_EVENTS[Math.floor(rand() * KILL_EVENTS.length)]!, nth };
  return { point: "time", ms: Math.floor(rand() * 120) };
}

/**
 * A lease lost right before or after a side effect, or after a random delay (timed in the process).
 * Not at a streamed event: a fast run is far past the event when its stream shows it.
 */
export function randomLoss(rand: () => number): KillPlan {
  const r = rand();
  const nth = 1 + Math.floor(rand() * 3);
  if (r < 0.4) return { point: "after-effect", nth, lose: true };
  if (r < 0.6) return { point: "before-effect", nth, lose: true };
  return { point: "time", ms: Math.floor(rand() * 150), lose: true };
}

function worldFor(scenario: ScenarioName, trial: number): WorldName {
  switch (scenario) {
    case "colliding-subagents":
      return trial % 2 === 0 ? "colliding-subagents" : "colliding-nested";
    case "approvals-with-kills":
      return "approvals";
    case "two-resumers":
      return (["approvals", "colliding-subagents", "colliding-nested"] as const)[trial % 3]!;
    case "lease-lost":
    case "cancel-requested":
      return (["approvals", "read-only", "colliding-subagents", "after-effect:non-idempotent"] as const)[
        trial % 4
      ]!;
    case "kill-after-effect": {
      const kinds = WORLDS.filter((w) => w.startsWith("after-effect:"));
      return kinds[trial % kinds.length]!;
    }
    case "lock-takeover":
      return "after-effect:non-idempotent";
    case "read-only-turns":
      return "read-only";
  }
}

export interface TrialOptions {
  readonly journal: JournalKind;
  readonly scenario: ScenarioName;
  readonly trial: number;
  /** The run's seed; each trial's own seed derives from it, its journal, scenario and number. */
  readonly seed: number;
  /** A folder for the trial's ledger (and its journal files, on journal-fs). */
  readonly root: string;
  /** Where processes find the shared journal (fs and postgres). */
  readonly target?: (dir: string) => SharedJournal;
}

/**
 * Runs one trial to the end: a thread, killed and resumed until it completes; counts what broke. A
 * trial the harness could not carry out (a journal it cannot read...) is reported as an error.
 */
export async function runTrial(options: TrialOptions): Promise<TrialReport> {
  const started = Date.now();
  try {
    return await carryOut(options);
  } catch (error) {
    return {
      journal: options.journal,
      scenario: options.scenario,
      trial: options.trial,
      seed: options.seed,
      violations: noViolations(),
      details: [],
      unfinished: true,
      errors: [
        `the harness failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      ],
      kills: 0,
      killsInZeros: 0,
      busy: 0,
      leasesLost: 0,
      cancels: 0,
      conflicts: 0,
      ms: Date.now() - started,
    };
  }
}

async function carryOut(options: TrialOptions): Promise<TrialReport> {
  const { journal, scenario, trial } = options;
  const trialSeed = seedOf(options.seed, journal, scenario, trial);
  const rand = random(trialSeed);
  const world = worldFor(scenario, trial);
  const dir = mkdtempSync(join(options.root, `${journal}-${scenario}-${trial}-`));
  const threadId = `chaos.${scenario}.${trial}.${trialSeed}`;
  const setup: TrialSetup = { world, threadId, ledgerFile: ledgerPath(dir, threadId), trialSeed };
  const runner: AttemptRunner =
    journal === "memory" ? new MemoryRunner(setup, rand) : new ProcessRunner(setup, options.target!(dir));
  const started = Date.now();
  const errors: string[] = [];
  let kills = 0;
  let killsInZeros = 0;
  let busy = 0;
  let leasesLost = 0;
  let cancels = 0;
  let conflicts = 0;
  let attempt = 0;
  let takeoverMs: number | undefined;
  let done = false;
  const marked = new Set<string>();
  const busyAttempts = new Set<number>();

  const rounds = planRounds(scenario, world, rand);
  const environmentRetries = { left: 5 };
  try {
    for (let round = 0; round < 30 && !done; round++) {
      const plans = rounds(round, kills, leasesLost + cancels);
      const outcomes = await runner.attempts(plans, attempt);
      // A process that died loading the packages ran nothing of the trial: another build in this
      // checkout can remove or rewrite a package's dist for a moment. Not a finding; run it again.
      if (outcomes.some((o) => o.loadFailed) && environmentRetries.left-- > 0) {
        await new Promise((resolve) => setTimeout(resolve, 3000));
        attempt += plans.length;
        round--;
        continue;
      }
      attempt += plans.length;
      for (const [i, o] of outcomes.entries()) {
        if (o.status === "killed") kills++;
        if (o.leftZeros) killsInZeros++;
        if (o.status === "busy") {
          busy++;
          busyAttempts.add(attempt - plans.length + i);
        }
        if (o.status === "lease-lost") leasesLost++;
        if (o.status === "cancelled") cancels++;
        conflicts += o.conflicts ?? (o.status === "conflict" ? 1 : 0);
        if (o.status === "error") errors.push(o.error ?? "error");
        if (o.status === "completed") done = true;
      }
      if (scenario === "lock-takeover" && round === LOCK_TAKEOVER_MEASURED_ROUND) {
        const o = outcomes[0]! as { ms: number; childMs?: number };
        takeoverMs = o.childMs ?? o.ms;
      }
      // What is durable now is completed for good: any later effect of these calls is a re-run.
      for (const key of completedKeys(threadId, await runner.events())) {
        if (marked.has(key)) continue;
        marked.add(key);
        appendLedger(setup.ledgerFile, { k: "completed", key, by: "journal", attempt: attempt - 1 });
      }
      if (errors.length > 3) break;
    }
    const events = await runner.events();
    const ledger = readLedger(setup.ledgerFile);
    const { violations, details } = countViolations(threadId, events, ledger);
    // A resumer that got ThreadBusyError caused nothing.
    for (const line of ledger) {
      if (line.k === "effect" && busyAttempts.has(line.attempt)) {
        errors.push(`attempt ${line.attempt} got ThreadBusyError, yet ran ${line.tool} ${line.key}`);
      }
    }
    const frame = foldAll(threadId, events);
    const expected = finalTextOf(world);
    const unfinished = !done || frame.status !== "completed" || frame.result?.text !== expected;
    if (unfinished)
      details.push(`unfinished: status ${frame.status}, text ${JSON.stringify(frame.result?.text)}`);
    return {
      journal,
      scenario,
      trial,
      seed: options.seed,
      violations,
      details,
      unfinished,
      errors,
      kills,
      killsInZeros,
      busy,
      leasesLost,
      cancels,
      conflicts,
      ...(takeoverMs !== undefined ? { takeoverMs } : {}),
      ms: Date.now() - started,
    };
  } finally {
    await runner.close();
  }
}

/** lock-takeover: round 0 dies holding the lease, rounds 1-2 die while taking it over, round 3 is timed. */
const LOCK_TAKEOVER_MEASURED_ROUND = 3;

/** The kill plans of each round of a trial (one plan per process started in that round). */
function planRounds(
  scenario: ScenarioName,
  world: WorldName,
  rand: () => number,
): (round: number, killsSoFar: number, stoppedSoFar: number) => KillPlan[] {
  // After the first rounds, kills get rarer so every trial ends.
  const later = (round: number): KillPlan => (rand() < 0.4 / (1 + round / 3) ? randomKill(rand) : none);
  // Until something was killed, every round plans a kill (a planned kill may not happen: its event
  // never comes, its timer fires after the end).
  switch (scenario) {
    case "kill-after-effect":
      // The first effect of the target tool kills its process (a paused approval may come first).
      return (round, killsSoFar) => [
        killsSoFar === 0 && round < 4
          ? { point: "after-effect", nth: 1, tool: targetTool(world)! }
          : later(round + 2),
      ];
    case "two-resumers":
      // Two resumers of the same thread started at the same moment, again and again.
      return (round, killsSoFar) =>
        round === 0
          ? [rand() < 0.5 ? randomKill(rand) : none]
          : [killsSoFar === 0 && round < 4 ? randomKill(rand) : later(round), later(round)];
    case "lock-takeover":
      return (round) => {
        if (round === 0) return [{ point: "after-effect", nth: 1, tool: "charge" }];
        // Killed while taking over the dead owner's lock (some event-loop turns into acquire), or a
        // few ms after "go" (reading, taking over, or just after).
        if (round < LOCK_TAKEOVER_MEASURED_ROUND) {
          return [
            rand() < 0.75
              ? { point: "acquire", turns: Math.floor(rand() * 10) }
              : { point: "time", ms: Math.floor(rand() * 8) },
          ];
        }
        return [none];
      };
    case "lease-lost":
      // The owner's lease is taken from it at a random point while another process waits to take the
      // thread the moment it is free (the window a queue's retry opens); until two were lost. The
      // first loss is early in the run (most runs take 100-200 ms), so that nearly every trial has one.
      return (round, _killsSoFar, lostSoFar) =>
        lostSoFar < 2 && round < 5
          ? [
              round === 0 ? { point: "time", ms: Math.floor(rand() * 60), lose: true } : randomLoss(rand),
              { point: "none", takeOverMs: 1_500 },
            ]
          : [later(round)];
    case "cancel-requested":
      // The harness asks the owner to cancel at a random moment (its run stops and journals
      // run.cancelled; the next round takes the thread up again), until two runs were cancelled.
      return (round, _killsSoFar, cancelledSoFar) =>
        cancelledSoFar < 2 && round < 5
          ? [{ point: "none", cancelAfterMs: 10 + Math.floor(rand() * 150) }]
          : [later(round)];
    default:
      return (round, killsSoFar) => [killsSoFar === 0 && round < 4 ? randomKill(rand) : later(round)];
  }
}

export interface Summary {
  readonly journal: JournalKind;
  readonly scenario: ScenarioName;
  trials: number;
  kills: number;
  killsInZeros: number;
  busy: number;
  leasesLost: number;
  cancels: number;
  conflicts: number;
  unfinished: number;
  errors: number;
  violations: Violations;
  maxTakeoverMs: number | undefined;
  ms: number;
}

export function summarize(reports: readonly TrialReport[]): Summary[] {
  const rows = new Map<string, Summary>();
  for (const r of reports) {
    const id = `${r.journal}|${r.scenario}`;
    const row = rows.get(id) ?? {
      journal: r.journal,
      scenario: r.scenario,
      trials: 0,
      kills: 0,
      killsInZeros: 0,
      busy: 0,
      leasesLost: 0,
      cancels: 0,
      conflicts: 0,
      unfinished: 0,
      errors: 0,
      violations: noViolations(),
      maxTakeoverMs: undefined,
      ms: 0,
    };
    rows.set(id, row);
    row.trials++;
    row.kills += r.kills;
    row.killsInZeros += r.killsInZeros;
    row.busy += r.busy;
    row.leasesLost += r.leasesLost;
    row.cancels += r.cancels;
    row.conflicts += r.conflicts;
    row.unfinished += r.unfinished ? 1 : 0;
    row.errors += r.errors.length;
    row.ms += r.ms;
    addViolations(row.violations, r.violations);
    if (r.takeoverMs !== undefined) row.maxTakeoverMs = Math.max(row.maxTakeoverMs ?? 0, r.takeoverMs);
  }
  return [...rows.values()];
}

export function formatTable(rows: readonly Summary[]): string {
  const header = [
    "journal",
    "scenario",
    "trials",
    "kills",
    "busy",
    "completed-ran-twice",
    "non-idempotent-ran-twice",
    "unapproved-ran",
    "wrong-call",
    "lost-events",
    "ran-unrecorded",
    "unfinished",
    "errors",
    "takeover-ms",
    "leases-lost",
    "cancels",
    "conflicts",
    "ms",
  ];
  const body = rows.map((r) => [
    r.journal,
    r.scenario,
    String(r.trials),
    String(r.kills),
    String(r.busy),
    String(r.violations.completedRanTwice),
    String(r.violations.nonIdempotentRanTwice),
    String(r.violations.unapprovedRan),
    String(r.violations.wrongCall),
    String(r.violations.lostEvents),
    String(r.violations.ranUnrecorded),
    String(r.unfinished),
    String(r.errors),
    r.maxTakeoverMs === undefined ? "-" : String(r.maxTakeoverMs),
    String(r.leasesLost),
    String(r.cancels),
    String(r.conflicts),
    String(r.ms),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...body.map(line)].join("\n");
}

/** Runs trials with a few at a time (each trial's attempts are sequential, or paired). */
export async function runTrials(
  specs: readonly TrialOptions[],
  concurrency: number,
  onReport?: (r: TrialReport) => void,
): Promise<TrialReport[]> {
  const reports: TrialReport[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < specs.length) {
        const report = await runTrial(specs[next++]!);
        reports.push(report);
        onReport?.(report);
      }
    }),
  );
  return reports;
}
