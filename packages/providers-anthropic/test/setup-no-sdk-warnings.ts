import { afterEach, beforeEach, expect, vi } from "vitest";

// The SDK warns on stderr when a request names a deprecated model (or a deprecated option): the
// model ids in Loom's examples and tests must be current, so such a warning fails the test.
let warnings: string[] = [];
beforeEach(() => {
  warnings = [];
  vi.spyOn(console, "warn").mockImplementation((...args: unknown[]) => {
    warnings.push(args.map(String).join(" "));
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  expect(warnings, "the Anthropic SDK warned").toEqual([]);
});
