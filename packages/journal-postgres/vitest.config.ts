import { defineProject } from "vitest/config";
import { loomAliases } from "../../vitest.shared.ts";

export default defineProject({
  resolve: { alias: loomAliases },
  test: {
    name: "@loom/journal-postgres",
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
