import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const packagesDir = fileURLToPath(new URL("./packages/", import.meta.url));

/** Tests import each `@loom/*` package from its `src/`, so they run without a build. */
export const loomAliases = Object.fromEntries(
  readdirSync(packagesDir).map((dir) => [`@loom/${dir}`, `${packagesDir}${dir}/src/index.ts`]),
);
