import { fileURLToPath } from "node:url";
import type { Journal } from "@loom/core";
import { CheckSkipped, ConformanceFailure } from "./journal-assert.js";
import { type CheckContext, JOURNAL_CHECKS, type JournalCheck } from "./journal-checks.js";
import { DELETE_CHECKS } from "./journal-delete-checks.js";
import type {
  JournalCheckResult,
  JournalConformanceOptions,
  JournalConformanceReport,
  JournalFactory,
  JournalStorageFactory,
} from "./journal-kit-types.js";
import { LEASE_CHECKS } from "./journal-lease-checks.js";

export const ALL_CHECKS: readonly JournalCheck[] = [...JOURNAL_CHECKS, ...LEASE_CHECKS, ...DELETE_CHECKS];

interface Resolved {
  readonly factory: JournalStorageFactory<unknown>;
  /** Whether `open` can be called again on a storage (not for a `JournalFactory`). */
  readonly reopens: boolean;
  readonly processModule: string | undefined;
}

/** A `JournalFactory` becomes a storage factory whose storage is the journal itself, opened once. */
function resolve(
  factory: JournalFactory | JournalStorageFactory<unknown>,
  options: JournalConformanceOptions,
): Resolved {
  if (typeof factory === "function") {
    const opened = new WeakSet<Journal>();
    return {
      reopens: false,
      processModule: undefined,
      factory: {
        newStorage: () => factory(),
        open: (journal) => {
          const j = journal as Journal;
          if (opened.has(j)) throw new ConformanceFailure("A JournalFactory cannot reopen its storage.");
          opened.add(j);
          return j;
        },
        destroy: (journal) => options.destroy?.(journal as Journal),
      },
    };
  }
  const module = factory.processModule;
  return {
    factory,
    reopens: true,
    processModule:
      module === undefined
        ? undefined
        : module instanceof URL
          ? fileURLToPath(module)
          : module.startsWith("file:")
            ? fileURLToPath(module)
            : module,
  };
}

/** Why a check does not run for this factory and options: declared skips, and what the factory lacks. */
export function plannedSkip(
  check: JournalCheck,
  resolved: Pick<Resolved, "reopens" | "processModule"> & { corrupts: boolean },
  options: JournalConformanceOptions,
): { declared: string } | { failure: string } | { skipped: string } | undefined {
  const declared = check.optOutBy && options.optOut?.[check.optOutBy];
  if (declared) return { declared };
  switch (check.needs) {
    case "durability":
      if (options.optOut?.durability) return { declared: options.optOut.durability };
      if (!resolved.reopens)
        return {
          failure:
            "Durability is not tested with a factory that returns a fresh journal: pass { newStorage, open } so the kit can reopen the storage, or declare optOut.durability.",
        };
      return undefined;
    case "processes":
      if (options.optOut?.processes) return { declared: options.optOut.processes };
      if (!resolved.processModule)
        return {
          failure:
            "Writers in separate processes are not tested without processModule: name a module that exports open(storage), or declare optOut.processes.",
        };
      return undefined;
    case "corrupt":
      if (options.optOut?.durability) return { declared: options.optOut.durability };
      if (!resolved.reopens || !resolved.corrupts)
        return { skipped: "the factory has no corrupt(storage, at) hook" };
      return undefined;
    default:
      return undefined;
  }
}

export function describeFactory(factory: JournalFactory | JournalStorageFactory<unknown>): {
  reopens: boolean;
  processModule: string | undefined;
  corrupts: boolean;
} {
  const resolved = resolve(factory, {});
  return {
    reopens: resolved.reopens,
    processModule: resolved.processModule,
    corrupts: typeof factory !== "function" && typeof factory.corrupt === "function",
  };
}

export function selectedChecks(options: JournalConformanceOptions): JournalCheck[] {
  return ALL_CHECKS.filter((c) => !options.only || options.only.some((prefix) => c.id.startsWith(prefix)));
}

/**
 * Runs one check on fresh storage and closes every journal it opened. Failures (of the journal or of
 * the check) come back in the result, never thrown.
 */
export async function runCheck(
  check: JournalCheck,
  factory: JournalFactory | JournalStorageFactory<unknown>,
  options: JournalConformanceOptions = {},
): Promise<JournalCheckResult> {
  const started = performance.now();
  const done = (
    status: JournalCheckResult["status"],
    reason?: string,
    error?: unknown,
  ): JournalCheckResult => ({
    id: check.id,
    title: check.title,
    status,
    ...(reason === undefined ? {} : { reason }),
    ...(error === undefined ? {} : { error }),
    ms: Math.round(performance.now() - started),
  });
  const resolved = resolve(factory, options);
  const plan = plannedSkip(
    check,
    { ...resolved, corrupts: typeof factory !== "function" && !!factory.corrupt },
    options,
  );
  if (plan && "declared" in plan) return done("skipped", `skipped by declaration: ${plan.declared}`);
  if (plan && "skipped" in plan) return done("skipped", plan.skipped);
  if (plan && "failure" in plan) return done("failed", plan.failure, new ConformanceFailure(plan.failure));

  const storage = await resolved.factory.newStorage();
  const opened: Journal[] = [];
  const open = async () => {
    const journal = await resolved.factory.open(storage);
    opened.push(journal);
    return journal;
  };
  const closeAll = async () => {
    for (const journal of opened) await journal.close().catch(() => undefined);
  };
  try {
    const journal = await open();
    if (check.needs === "leases" && typeof journal.acquire !== "function") {
      return done("skipped", "this journal has no acquire() (thread leases are optional in v1)");
    }
    if (check.needs === "deletion" && typeof journal.deleteThread !== "function") {
      return done("skipped", "this journal has no deleteThread() (deleting threads is optional in v1)");
    }
    if (check.needs === "recent" && typeof journal.recentThreads !== "function") {
      return done(
        "skipped",
        "this journal has no recentThreads() (listRecentThreads sorts its listing; optional in v1)",
      );
    }
    if (check.needs === "filters" && journal.filtersThreads !== true) {
      return done(
        "skipped",
        "this journal does not declare filtersThreads (listThreads filters its listing; optional in v1)",
      );
    }
    const ctx: CheckContext = {
      journal,
      storage,
      reopen: open,
      corrupt: async (at) => {
        await closeAll();
        await (resolved.factory.corrupt as NonNullable<JournalStorageFactory["corrupt"]>)(storage, at);
      },
      processModule: resolved.processModule,
      options,
    };
    await check.run(ctx);
    return done("passed");
  } catch (error) {
    if (error instanceof CheckSkipped) return done("skipped", error.message);
    return done("failed", error instanceof Error ? error.message : String(error), error);
  } finally {
    await closeAll();
    await resolved.factory.destroy?.(storage);
  }
}

/**
 * Runs the journal conformance checks one after another without a test runner, and reports each:
 * for a CLI, a benchmark, or a test of the kit itself. `journalConformance` (in
 * `@loom/testing/vitest`) runs the same checks as vitest tests.
 */
export async function runJournalConformance(
  name: string,
  factory: JournalFactory | JournalStorageFactory<unknown>,
  options: JournalConformanceOptions = {},
): Promise<JournalConformanceReport> {
  const results: JournalCheckResult[] = [];
  for (const check of selectedChecks(options)) results.push(await runCheck(check, factory, options));
  return { name, results, failed: results.filter((r) => r.status === "failed") };
}
