import { describe, it } from "vitest";
import {
  type ConformanceProviderFactory,
  type ProviderRecordingCase,
  providerChecks,
} from "./provider-checks.js";

export type {
  ConformanceProviderFactory,
  ConformanceProviderOptions,
  ExpectedCall,
  ExpectedError,
  ExpectedMessage,
  ExpectedResponse,
  ProviderCheck,
  ProviderRecordingCase,
} from "./provider-checks.js";
export { type ExpectedStreamRun, type TextDigest, textDigest } from "./provider-differences.js";

/**
 * Registers a vitest suite that proves a provider on recorded API responses: one test per check of
 * `providerChecks` (each case replayed over HTTP, the settings sent, aborts, a cut connection, an
 * unreachable server). A failing test lists every difference the check found.
 */
export function providerConformance(
  name: string,
  factory: ConformanceProviderFactory,
  recordings: readonly ProviderRecordingCase[],
): void {
  describe(`provider conformance: ${name}`, () => {
    for (const check of providerChecks(recordings)) {
      it(check.name, async () => {
        const differences = await check.run(factory);
        if (differences.length > 0)
          throw new Error(`${differences.length} difference(s):\n${differences.join("\n")}`);
      });
    }
  });
}
