import { fileURLToPath } from "node:url";
import { defineProject } from "vitest/config";

// Unlike the packages' projects, no aliases to the packages' sources: @loom/core and @loom/testing
// load from the tarballs `pnpm pack` makes of them, installed with npm by test/install-packed.ts
// (a global setup, so before any test file loads) into .packed/, as a third party installs them.
const packed = fileURLToPath(new URL("./.packed/node_modules/@loom/", import.meta.url));

export default defineProject({
  resolve: {
    alias: [
      { find: /^@loom\/core$/, replacement: `${packed}core/dist/index.js` },
      { find: /^@loom\/testing\/vitest$/, replacement: `${packed}testing/dist/vitest.js` },
      { find: /^@loom\/testing$/, replacement: `${packed}testing/dist/index.js` },
    ],
  },
  test: {
    name: "example-provider-fetch",
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/install-packed.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
