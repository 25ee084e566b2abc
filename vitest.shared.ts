import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { defineProject, type UserWorkspaceConfig } from "vitest/config";

const packagesDir = fileURLToPath(new URL("./packages/", import.meta.url));

/** A package's subpath exports other than "." (`./vitest` is built from `src/vitest.ts`). */
function subpaths(dir: string): string[] {
  const manifest = `${packagesDir}${dir}/package.json`;
  if (!existsSync(manifest)) return [];
  const exports =
    (JSON.parse(readFileSync(manifest, "utf8")) as { exports?: Record<string, unknown> }).exports ?? {};
  return Object.keys(exports)
    .filter((key) => key.startsWith("./") && key !== "./package.json")
    .map((key) => key.slice(2));
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Tests import each `@loom/*` package, and each of its subpath entries (`@loom/testing/vitest`),
 * from its `src/`, so they run without a build. Exact matches: `@loom/testing` must not swallow
 * `@loom/testing/vitest`.
 */
export const loomAliases = readdirSync(packagesDir).flatMap((dir) => [
  ...subpaths(dir).map((sub) => ({
    find: new RegExp(`^${escapeRegExp(`@loom/${dir}/${sub}`)}$`),
    replacement: `${packagesDir}${dir}/src/${sub}.ts`,
  })),
  { find: new RegExp(`^${escapeRegExp(`@loom/${dir}`)}$`), replacement: `${packagesDir}${dir}/src/index.ts` },
]);

/**
 * The vitest project of one package. Timeouts are generous because several suites start real
 * processes and servers, on two cores shared with PostgreSQL and Chromium (vitest runs one file
 * at a time there: by default, one worker fewer than the cores). A timeout here catches hangs; it
 * does not measure speed.
 *
 * `isolate: false` lets the project's files share a worker and its loaded modules instead of each
 * starting a fresh one: about 0.4 s less per file (core's 31 files: 27 s → 7 s). Only for projects
 * whose tests undo what they change (spies, environment variables, globals) and leave nothing
 * process-wide behind for the next file.
 */
export function loomProject(configUrl: string, options: { isolate?: boolean } = {}): UserWorkspaceConfig {
  const dir = basename(dirname(fileURLToPath(configUrl)));
  const name = dir === "demo" ? "@loom/demo" : `@loom/${dir}`;
  return defineProject({
    resolve: { alias: loomAliases },
    test: {
      name,
      include: ["test/**/*.test.ts"],
      testTimeout: 60_000,
      hookTimeout: 60_000,
      ...(options.isolate === false ? { isolate: false } : {}),
    },
  });
}
