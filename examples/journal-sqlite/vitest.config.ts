import { defineProject } from "vitest/config";

// Unlike the packages' projects, no aliases to the packages' sources: @loom/core and @loom/testing
// load from their built exports, as they do for a third party.
export default defineProject({
  test: {
    name: "example-journal-sqlite",
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
