import { readdirSync } from "node:fs";
import { basename, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { defineProject, type UserWorkspaceConfig } from "vitest/config";

const packagesDir = fileURLToPath(new URL("./packages/", import.meta.url));

/** Tests import each `@loom/*` package from its `src/`, so they run without a build. */
export const loomAliases = Object.fromEntries(
  readdirSync(packagesDir).map((dir) => [`@loom/${dir}`, `${packagesDir}${dir}/src/index.ts`]),
);

/**
 * The vitest project of one package. Timeouts are generous because several suites start real
 * processes, and CI runs them all at once on two cores: a timeout here catches hangs, it does not
 * measure speed.
 */
export function loomProject(configUrl: string): UserWorkspaceConfig {
  const dir = basename(dirname(fileURLToPath(configUrl)));
  const name = dir === "demo" ? "@loom/demo" : `@loom/${dir}`;
  return defineProject({
    resolve: { alias: loomAliases },
    test: { name, include: ["test/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 },
  });
}
