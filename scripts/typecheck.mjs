// `pnpm typecheck`: what every workspace's own `typecheck` script checks, in as few TypeScript
// programs as give the same answer. A workspace whose config only extends the shared base and lists
// folders joins one program with the others: each would otherwise check @loom/core's sources, and
// the SDKs' types, again (21 programs took 172 s in CI; one took 14–17 s here). A config that sets its
// own compiler options (the studio page's DOM, the SQLite example's published @loom packages) is
// checked on its own, as its script says.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const tsc = createRequire(join(root, "package.json")).resolve("typescript/bin/tsc");
const workspaces = ["packages", "apps", "examples"]
  .flatMap((group) => readdirSync(join(root, group)).map((name) => join(root, group, name)))
  .concat(join(root, "bench"))
  .filter((dir) => existsSync(join(dir, "package.json")));

/** A config as JSON, or undefined when it is not plain JSON (comments, trailing commas): tsc reads it alone. */
function plainJson(config) {
  try {
    return JSON.parse(readFileSync(config, "utf8"));
  } catch {
    return undefined;
  }
}

const shared = [];
const alone = [];
for (const dir of workspaces) {
  const script = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).scripts?.typecheck;
  if (!script) continue;
  const configs = [...script.matchAll(/tsc -p (\S+)/g)].map((m) => join(dir, m[1]));
  if (configs.length === 0)
    throw new Error(`${relative(root, dir)}: its typecheck script runs no "tsc -p <config>"`);
  for (const config of configs) {
    const json = plainJson(config);
    const base = json && join(dirname(config), json.extends ?? "");
    const plain =
      base === join(root, "tsconfig.base.json") &&
      Array.isArray(json.include) &&
      Object.keys(json).every((k) => k === "extends" || k === "include");
    if (plain) shared.push(...json.include.map((pattern) => join(dirname(config), pattern)));
    else alone.push(config);
  }
}

const cache = join(root, "node_modules", ".cache", "loom-typecheck");
mkdirSync(cache, { recursive: true });
const combined = join(cache, "tsconfig.json");
writeFileSync(
  combined,
  JSON.stringify(
    {
      extends: relative(cache, join(root, "tsconfig.base.json")),
      include: shared.map((p) => relative(cache, p)),
    },
    null,
    2,
  ),
);

let failed = 0;
for (const config of [combined, ...alone]) {
  const name = config === combined ? `${shared.length} folders in one program` : relative(root, config);
  const started = Date.now();
  try {
    execFileSync(process.execPath, [tsc, "-p", config], { stdio: "inherit", cwd: root });
    console.log(`typecheck: ${name}: ok (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch {
    console.log(`typecheck: ${name}: FAILED`);
    failed++;
  }
}
process.exit(failed === 0 ? 0 : 1);
