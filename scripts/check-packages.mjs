// Runs publint and are-the-types-wrong over every public package, as `pnpm check:packages`.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const dirs = readdirSync(join(root, "packages")).map((d) => join(root, "packages", d));
let failed = 0;
for (const dir of dirs) {
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  if (pkg.private) continue;
  for (const [cmd, args] of [
    ["publint", ["--strict"]],
    ["attw", ["--pack", ".", "--profile", "node16", "--format", "table-flipped"]],
  ]) {
    try {
      execFileSync(join(root, "node_modules", ".bin", cmd), args, { cwd: dir, stdio: "pipe" });
      console.log(`ok   ${cmd} ${pkg.name}`);
    } catch (error) {
      failed++;
      console.log(`FAIL ${cmd} ${pkg.name}\n${error.stdout ?? ""}${error.stderr ?? ""}`);
    }
  }
}
if (failed > 0) {
  console.log(`check:packages: ${failed} check(s) failed`);
  process.exit(1);
}
