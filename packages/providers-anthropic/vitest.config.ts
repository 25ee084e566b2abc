import { defineProject } from "vitest/config";
import { loomAliases } from "../../vitest.shared.ts";

export default defineProject({
  resolve: { alias: loomAliases },
  test: { name: "@loom/providers-anthropic", include: ["test/**/*.test.ts"] },
});
