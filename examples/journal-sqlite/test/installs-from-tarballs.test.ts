// The example as a third party has it: @loom/core and @loom/testing packed (`pnpm pack`), installed
// with npm from the tarballs into an empty folder beside this journal's source and its kit test, and
// the whole kit run there by that folder's own vitest. The other test file of this package runs
// the same kit through the workspace's links to the built packages, which is quicker.
import { execFile } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";

const here = fileURLToPath(new URL("..", import.meta.url));
const repoRoot = join(here, "..", "..");
const work = mkdtempSync(join(tmpdir(), "loom-journal-sqlite-tarballs-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Outcome {
  readonly code: number;
  readonly output: string;
}

/** A user's shell: none of vitest's, npm's or pnpm's own variables, which change what a child does. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(VITEST|TEST$|NODE_OPTIONS$|NODE_PATH$|NODE_ENV$|TINYPOOL|npm_|PNPM_|pnpm_)/i.test(key))
      env[key] = value;
  }
  return { ...env, NO_COLOR: "1" };
}

function run(command: string, args: readonly string[], cwd: string, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd, env: cleanEnv(), timeout: timeoutMs, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, output: `${stdout}\n${stderr}` });
      },
    );
  });
}

/** pnpm from PATH, else the version this checkout pins, through npx. */
function pnpm(args: string[]): [string, string[]] {
  const onPath = (process.env.PATH ?? "").split(delimiter).some((dir) => existsSync(join(dir, "pnpm")));
  if (onPath) return ["pnpm", args];
  const { packageManager } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
    packageManager: string;
  };
  return ["npx", ["-y", packageManager, ...args]];
}

it("passes the whole journal kit with @loom/core and @loom/testing installed from packed tarballs", async () => {
  const tarballs = join(work, "tarballs");
  const app = join(work, "app");
  // Another build in this checkout may be emptying a dist/ at the moment of packing (tsup cleans
  // it first): a tarball without its built files is packed again, a few seconds later.
  for (let attempt = 1; ; attempt++) {
    rmSync(tarballs, { recursive: true, force: true });
    mkdirSync(tarballs, { recursive: true });
    const packed = await run(
      ...pnpm([
        "--filter",
        "@loom/core",
        "--filter",
        "@loom/testing",
        "pack",
        "--pack-destination",
        tarballs,
      ]),
      repoRoot,
      120_000,
    );
    expect(packed.code, packed.output).toBe(0);
    const listings = await Promise.all(
      readdirSync(tarballs).map((file) => run("tar", ["-tzf", join(tarballs, file)], tarballs, 30_000)),
    );
    const whole = listings.length === 2 && listings.every((l) => l.output.includes("package/dist/index.js"));
    if (whole) break;
    expect(attempt, "tarballs without their dist/index.js, three times").toBeLessThan(3);
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
  const tarball = (name: string) => {
    const file = readdirSync(tarballs).find((f) => f.startsWith(`loom-${name}-`) && f.endsWith(".tgz"));
    expect(file, `the ${name} tarball`).toBeDefined();
    return `file:${join(tarballs, file as string)}`;
  };

  const manifest = JSON.parse(readFileSync(join(here, "package.json"), "utf8")) as {
    devDependencies: Record<string, string>;
  };
  mkdirSync(app, { recursive: true });
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify({
      name: "third-party-journal",
      private: true,
      type: "module",
      dependencies: { "@loom/core": tarball("core"), zod: manifest.devDependencies.zod },
      devDependencies: { "@loom/testing": tarball("testing"), vitest: manifest.devDependencies.vitest },
    }),
  );
  for (const file of ["src/sqlite-journal.ts", "test/storage.ts", "test/conformance.test.ts"]) {
    cpSync(join(here, file), join(app, file));
  }
  const installed = await run(
    "npm",
    ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"],
    app,
    240_000,
  );
  expect(installed.code, installed.output).toBe(0);
  for (const name of ["core", "testing"]) {
    const link = JSON.parse(
      readFileSync(join(app, "node_modules", "@loom", name, "package.json"), "utf8"),
    ) as {
      name: string;
    };
    expect(link.name).toBe(`@loom/${name}`);
  }

  const kit = await run(
    process.execPath,
    [join(app, "node_modules", "vitest", "vitest.mjs"), "run", "--reporter=verbose"],
    app,
    240_000,
  );
  expect(kit.code, kit.output.slice(-6000)).toBe(0);
  // Every check passed but the optional ones this journal does not do: none failed, the durability
  // and writer-process ones included; the checks for journals that sort threads by last activity,
  // pipeline appends, have leases that can be lost, or carry cancel requests are skipped.
  const skipped = [
    "threads.recent",
    "pipelining.behind-in-flight",
    "leases.lost-signal",
    "leases.cancel-request",
  ];
  const counts = /Tests\s+(\d+) passed \| (\d+) skipped \((\d+)\)/.exec(kit.output);
  expect(counts, kit.output.slice(-3000)).not.toBeNull();
  expect(Number(counts![2])).toBe(skipped.length);
  expect(Number(counts![3])).toBe(Number(counts![1]) + skipped.length);
  for (const id of skipped) expect(kit.output).toMatch(new RegExp(`↓.*\\[${id.replace(".", "\\.")}\\]`));
}, 600_000);
