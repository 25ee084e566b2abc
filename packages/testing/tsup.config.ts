import { defineConfig } from "tsup";
import { packageBuild } from "../../tsup.shared.ts";

// Two entries: "." loads without a test runner; "./vitest" holds the suites that import vitest.
// shims: recordingPath() finds the shipped recordings from import.meta.url, in the CJS build too.
export default defineConfig(
  packageBuild({
    entry: { index: "src/index.ts", vitest: "src/vitest.ts", "journal-process": "src/journal-process.ts" },
    external: ["vitest"],
    shims: true,
  }),
);
