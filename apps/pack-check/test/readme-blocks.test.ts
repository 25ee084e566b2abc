// Every ```ts block of every package README typechecks (strict) and runs as written, as a user
// would paste it into a file: node for a program, vitest for a block that registers tests. A block
// is left out only with an explicit `<!-- not-run: reason -->` comment right above it.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publicPackages, type ReadmeBlock, repoRoot, tsBlocks } from "./readme.ts";
import { cleanEnv, exampleEnv, linkWorkspace, run } from "./run.ts";

const folder = mkdtempSync(join(tmpdir(), "loom-readme-blocks-"));
// Working directories apart from the blocks' folder, whose node_modules links the workspace packages
// (with their devDependencies): npx run by a block must not take those for the app's own packages.
const workRoot = mkdtempSync(join(tmpdir(), "loom-readme-work-"));
const packages = publicPackages().map((pkg) => ({ ...pkg, blocks: tsBlocks(pkg.dir, pkg.readme) }));
const fileOf = (block: ReadmeBlock) => join(folder, block.vitest ? `${block.id}.test.ts` : `${block.id}.ts`);

beforeAll(() => {
  linkWorkspace(folder);
  writeFileSync(
    join(folder, "package.json"),
    JSON.stringify({ name: "readme-blocks", private: true, type: "module" }),
  );
  writeFileSync(
    join(folder, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        target: "ES2023",
        lib: ["ES2024"],
        module: "NodeNext",
        moduleResolution: "NodeNext",
        moduleDetection: "force",
        allowImportingTsExtensions: true,
        noEmit: true,
        skipLibCheck: true,
        types: ["node"],
      },
      include: ["*.ts"],
    }),
  );
  for (const pkg of packages)
    for (const block of pkg.blocks) if (!block.notRun) writeFileSync(fileOf(block), block.code);
});
afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
  rmSync(workRoot, { recursive: true, force: true });
});

it("every package README has ts blocks to check, and opts a block out only with a reason", () => {
  for (const pkg of packages) {
    for (const block of pkg.blocks) {
      if (block.notRun !== undefined) expect(block.notRun, `${pkg.dir}/README.md:${block.line}`).not.toBe("");
    }
  }
  expect(packages.flatMap((pkg) => pkg.blocks).length).toBeGreaterThan(10);
});

it("every block typechecks under strict TypeScript, against the built packages", async () => {
  const tsc = join(repoRoot, "node_modules", "typescript", "bin", "tsc");
  const outcome = await run(process.execPath, [tsc, "-p", "tsconfig.json"], {
    cwd: folder,
    timeoutMs: 120_000,
  });
  // Name the README line of each error: "core-155.ts(3,7)" is packages/core/README.md, block at line 155.
  expect(outcome.stdout + outcome.stderr).toBe("");
  expect(outcome.code).toBe(0);
}, 150_000);

for (const pkg of packages.filter((p) => p.blocks.length > 0)) {
  describe(`${pkg.dir}/README.md`, () => {
    for (const block of pkg.blocks) {
      const title = `the block at line ${block.line} runs${block.vitest ? " under vitest" : ""}`;
      if (block.notRun) {
        it.skip(`${title} (not run: ${block.notRun})`, () => {});
        continue;
      }
      it(title, async () => {
        const cwd = join(workRoot, block.id);
        mkdirSync(cwd, { recursive: true });
        const { env, close } = await exampleEnv(pkg.dir);
        try {
          const outcome = block.vitest
            ? await run(
                process.execPath,
                [
                  join(repoRoot, "node_modules", "vitest", "vitest.mjs"),
                  "run",
                  "--root",
                  folder,
                  fileOf(block),
                ],
                { cwd: folder, env: cleanEnv({ ...env, CI: "1" }), timeoutMs: 90_000 },
              )
            : await run(process.execPath, [fileOf(block)], { cwd, env });
          expect(outcome.code, `${outcome.stdout}\n${outcome.stderr}`).toBe(0);
        } finally {
          await close();
        }
      }, 120_000);
    }
  });
}
