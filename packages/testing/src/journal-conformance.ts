import { describe, it } from "vitest";
import { describeFactory, plannedSkip, runCheck, selectedChecks } from "./journal-kit.js";
import type {
  JournalConformanceOptions,
  JournalFactory,
  JournalStorageFactory,
} from "./journal-kit-types.js";

/**
 * The conformance suite every `Journal` runs, ours and third parties': one vitest test per check
 * (`runJournalConformance` runs the same checks without vitest). Call it at the top level of a test
 * file with a storage factory: `{ newStorage, open, destroy?, corrupt?, processModule? }`. Each
 * check gets fresh storage; durability checks open it again after `close()`, cross-process checks
 * open it in writer processes that load `processModule`. A plain function returning a fresh journal
 * (the kit's first form) still runs every in-process check, and fails the durability and
 * cross-process ones unless `optOut` says why they do not apply.
 */
export function journalConformance<S>(
  name: string,
  factory: JournalFactory | JournalStorageFactory<S>,
  options: JournalConformanceOptions = {},
): void {
  const general = factory as JournalFactory | JournalStorageFactory<unknown>;
  const described = describeFactory(general);
  describe(`journal conformance: ${name}`, () => {
    for (const check of selectedChecks(options)) {
      const plan = plannedSkip(check, described, options);
      const title = `${check.title} [${check.id}]`;
      if (plan && "declared" in plan) {
        it.skip(`${title} (skipped by declaration: ${plan.declared})`, () => {});
        continue;
      }
      if (plan && "skipped" in plan) {
        it.skip(`${title} (skipped: ${plan.skipped})`, () => {});
        continue;
      }
      // Its own timeout, so the kit needs no vitest setting: the checks that start processes take
      // seconds, more on a loaded machine.
      const timeoutMs = check.needs === "processes" || check.optOutBy === "processes" ? 180_000 : 60_000;
      it(
        title,
        async (context) => {
          const result = await runCheck(check, general, options);
          if (result.status === "skipped") context.skip(result.reason);
          if (result.status === "failed") throw result.error ?? new Error(result.reason);
        },
        timeoutMs,
      );
    }
  });
}
