// Checks every public package as `pnpm check:packages`: publint and are-the-types-wrong, then what
// a user gets from the registry: the metadata npm shows (repository, homepage, bugs, a license and
// its LICENSE file, a released version), a tarball with nothing stray in it, zod as a peer (one
// copy, the app's), and a README that starts with the install line.
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const root = new URL("..", import.meta.url).pathname;
const dirs = readdirSync(join(root, "packages")).map((d) => join(root, "packages", d));

/** Top-level entries a tarball may hold; anything under them is checked against STRAY too. */
const SHIPPED = [/^package\.json$/, /^README\.md$/, /^LICENSE$/, /^dist\//, /^bin\//, /^recordings\//];
/** Files that are never meant for users, wherever they sit. */
const STRAY = [
  /(^|\/)biome\.jsonc?$/,
  /(^|\/)tsconfig[^/]*\.json$/,
  /(^|\/)(tsup|vitest|vite)\.config\.[cm]?[jt]s$/,
  /(^|\/)(test|tests|__tests__|src)\//,
  /\.test\.[cm]?[jt]s$/,
  /\.tsbuildinfo$/,
  /(^|\/)\.[^/]+$/,
];

/** The metadata checks: a list of problems, empty when the package is fine. */
async function metadataProblems(dir, pkg) {
  const problems = [];
  const relative = dir.slice(root.length).replace(/\/$/, "");
  if (!pkg.license) problems.push(`no "license" field`);
  if (!existsSync(join(dir, "LICENSE"))) problems.push(`no LICENSE file in ${relative}`);
  const repository = typeof pkg.repository === "string" ? { url: pkg.repository } : pkg.repository;
  if (!repository?.url) problems.push(`no "repository" field`);
  else if (repository.directory !== relative)
    problems.push(`"repository.directory" is ${JSON.stringify(repository.directory)}, not "${relative}"`);
  if (!pkg.homepage) problems.push(`no "homepage" field`);
  if (!pkg.bugs?.url && typeof pkg.bugs !== "string") problems.push(`no "bugs" field`);
  if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(pkg.version ?? "") || pkg.version === "0.0.0")
    problems.push(`version ${JSON.stringify(pkg.version)}: give it a real version (not 0.0.0)`);
  if (pkg.dependencies?.zod)
    problems.push(`zod is a dependency: make it a peer dependency, so the app's own zod is the only copy`);
  // (workspace: ranges become real ones when pnpm packs the package.)
  for (const [name, range] of Object.entries(pkg.peerDependencies ?? {})) {
    if (range === "*" || range === "") problems.push(`peer dependency ${name} has no range (${range})`);
  }

  const packed = await run("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: dir });
  const files = JSON.parse(packed.stdout)[0].files.map((file) => file.path);
  if (!files.includes("LICENSE")) problems.push("the tarball has no LICENSE");
  for (const file of files) {
    if (!SHIPPED.some((pattern) => pattern.test(file)) || STRAY.some((pattern) => pattern.test(file)))
      problems.push(`stray file in the tarball: ${file}`);
  }

  const readme = existsSync(join(dir, "README.md")) ? readFileSync(join(dir, "README.md"), "utf8") : "";
  const firstBlock = /```(\w*)\n([\s\S]*?)```/.exec(readme);
  if (!firstBlock) problems.push("the README has no code block");
  else if (firstBlock[1] !== "sh" || !firstBlock[2].trim().startsWith(`npm install ${pkg.name}`))
    problems.push(
      `the README's first code block is not its install line (\`\`\`sh npm install ${pkg.name} ...)`,
    );
  return problems;
}

const run = promisify(execFile);
/** Packages checked at once: each check is a process of its own, and one at a time left a core idle. */
const AT_ONCE = 3;

/** Every check of one package: its report lines and how many checks failed. */
async function checkPackage(dir, pkg) {
  const lines = [];
  let failures = 0;
  for (const [cmd, args] of [
    ["publint", ["--strict"]],
    ["attw", ["--pack", ".", "--profile", "node16", "--format", "table-flipped"]],
  ]) {
    try {
      await run(join(root, "node_modules", ".bin", cmd), args, { cwd: dir, maxBuffer: 16 << 20 });
      lines.push(`ok   ${cmd} ${pkg.name}`);
    } catch (error) {
      failures++;
      lines.push(`FAIL ${cmd} ${pkg.name}\n${error.stdout ?? ""}${error.stderr ?? ""}`);
    }
  }
  const problems = await metadataProblems(dir, pkg);
  if (problems.length === 0) lines.push(`ok   metadata ${pkg.name}`);
  else {
    failures++;
    lines.push(`FAIL metadata ${pkg.name}\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
  }
  return { lines, failures };
}

const checked = dirs
  .filter((dir) => existsSync(join(dir, "package.json")))
  .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) }))
  .filter(({ pkg }) => !pkg.private);
const reports = new Array(checked.length);
let next = 0;
await Promise.all(
  Array.from({ length: AT_ONCE }, async () => {
    while (next < checked.length) {
      const i = next++;
      reports[i] = await checkPackage(checked[i].dir, checked[i].pkg);
    }
  }),
);
let failed = 0;
for (const { lines, failures } of reports) {
  for (const line of lines) console.log(line);
  failed += failures;
}
if (failed > 0) {
  console.log(`check:packages: ${failed} check(s) failed`);
  process.exit(1);
}
