// Global setup: @loom/core and @loom/testing as a third party gets them. Each is packed with
// `pnpm pack` (workspace ranges become real ones; only the files a user downloads), and the
// tarballs are installed with npm into .packed/ (third-party dependencies from the registry). The
// vitest config points the imports there. A package whose dist/ is older than its src/ is built
// first, so the tarball holds the code in the tree.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";

const example = fileURLToPath(new URL("..", import.meta.url));
const repo = join(example, "..", "..");
const packed = join(example, ".packed");
const PACKAGES = ["core", "testing"] as const;

/** A user's shell: none of vitest's or a package manager's own variables (they change what npm does). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(VITEST|TEST$|NODE_OPTIONS$|NODE_PATH$|NODE_ENV$|TINYPOOL|npm_|PNPM_|pnpm_)/i.test(key))
      env[key] = value;
  }
  return env;
}

/** pnpm as the checkout pins it: from PATH when there, else through npx. */
function pnpm(args: string[]): [string, string[]] {
  const onPath = (process.env.PATH ?? "").split(delimiter).some((dir) => existsSync(join(dir, "pnpm")));
  if (onPath) return ["pnpm", args];
  const { packageManager } = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as {
    packageManager: string;
  };
  return ["npx", ["-y", packageManager, ...args]];
}

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

function run([command, args]: [string, string[]], cwd: string): void {
  execFileSync(command, args, { cwd, env: cleanEnv(), stdio: "pipe", timeout: 240_000 });
}

/** Packs and installs both packages; false when an installed package lacks a file its exports name. */
function packAndInstall(): boolean {
  rmSync(packed, { recursive: true, force: true });
  const tarballs = join(packed, "tarballs");
  mkdirSync(tarballs, { recursive: true });
  for (const name of PACKAGES)
    run(pnpm(["pack", "--pack-destination", tarballs]), join(repo, "packages", name));
  writeFileSync(join(packed, "package.json"), JSON.stringify({ name: "packed-loom", private: true }));
  const files = readdirSync(tarballs).map((file) => join(tarballs, file));
  run(
    ["npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", ...files]],
    packed,
  );
  // The config's aliases name these files: they must be what each package's exports map says.
  for (const [name, entry, file] of [
    ["core", ".", "./dist/index.js"],
    ["testing", ".", "./dist/index.js"],
    ["testing", "./vitest", "./dist/vitest.js"],
  ] as const) {
    const dir = join(packed, "node_modules", "@loom", name);
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
      exports: Record<string, { import: { default: string; types: string } }>;
    };
    const exported = manifest.exports[entry]?.import;
    if (exported?.default !== file)
      throw new Error(`@loom/${name}${entry.slice(1)}: its exports map no longer points at ${file}`);
    if (!existsSync(join(dir, exported.default)) || !existsSync(join(dir, exported.types))) return false;
  }
  return true;
}

export default function setup(): void {
  const started = Date.now();
  const stale = PACKAGES.filter((name) => {
    const dir = join(repo, "packages", name);
    const dist = join(dir, "dist", "index.js");
    return !existsSync(dist) || statSync(dist).mtimeMs < newest(join(dir, "src"));
  });
  if (stale.length > 0)
    run(pnpm(stale.flatMap((name) => ["--filter", `@loom/${name}`]).concat("build")), repo);

  // Another build in the same checkout may be rewriting a dist/ (tsup empties it first): a tarball
  // packed at that moment lacks files, so it is packed again.
  let attempt = 1;
  while (!packAndInstall()) {
    if (attempt++ === 3)
      throw new Error("the packed @loom/core or @loom/testing lacks its dist files, 3 times");
    execFileSync("sleep", ["5"]);
  }
  writeFileSync(join(packed, "installed.json"), JSON.stringify({ ms: Date.now() - started, stale }));
}
