// The packages as an app installs them: every public package is packed (`pnpm pack`, so
// workspace ranges become real ones), installed with npm into an empty folder of its own from the
// tarballs (no workspace links; third-party dependencies from the registry), as its README's
// install line says, and its README's first example runs from ESM and from CommonJS. `npm ls`
// shows the package's own dependencies and nothing else: no test runner, no optional peer the
// install line did not ask for, one zod.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  importedPackages,
  installLine,
  type PublicPackage,
  publicPackages,
  repoRoot,
  toCommonJs,
  tsBlocks,
} from "./readme.ts";
import { cleanEnv, exampleEnv, type Outcome, run } from "./run.ts";

const work = mkdtempSync(join(tmpdir(), "loom-packed-"));
const tarballs = join(work, "tarballs");
const packages = publicPackages();
const byName = new Map(packages.map((pkg) => [pkg.name, pkg]));

interface Installed {
  readonly pkg: PublicPackage;
  readonly folder: string;
  /** What the app asked for: the install line and the first example's imports. */
  readonly asked: string[];
  readonly example: string;
  install?: Outcome;
  ls?: Outcome;
}

/** The @loom packages `names` need, with their own @loom dependencies, transitively. */
function loomClosure(names: readonly string[]): string[] {
  const seen = new Set<string>();
  const visit = (name: string) => {
    const pkg = byName.get(name);
    if (!pkg || seen.has(name)) return;
    seen.add(name);
    const { dependencies = {}, peerDependencies = {}, peerDependenciesMeta = {} } = pkg.manifest;
    for (const dep of Object.keys(dependencies)) visit(dep);
    for (const peer of Object.keys(peerDependencies)) if (!peerDependenciesMeta[peer]?.optional) visit(peer);
  };
  for (const name of names) visit(name);
  return [...seen];
}

const tarballOf = (pkg: PublicPackage) =>
  join(tarballs, `${pkg.name.replace("@", "").replace("/", "-")}-${pkg.manifest.version}.tgz`);

const installs: Installed[] = packages.map((pkg) => {
  const first = tsBlocks(pkg.dir, pkg.readme)[0];
  const asked = [...new Set([...installLine(pkg.readme), ...importedPackages(first?.code ?? "")])];
  return { pkg, folder: join(work, pkg.dir), asked, example: first?.code ?? "" };
});

/**
 * pnpm as this checkout pins it: from PATH when there (CI, `pnpm test`), else through npx, the
 * way the README's test command fetches it.
 */
function pnpm(args: string[]): [string, string[]] {
  const onPath = (process.env.PATH ?? "").split(delimiter).some((dir) => existsSync(join(dir, "pnpm")));
  if (onPath) return ["pnpm", args];
  const { packageManager } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8"));
  return ["npx", ["-y", packageManager, ...args]];
}

/** Runs `task` over `items`, `limit` at a time. */
async function inPool<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await task(item);
    }),
  );
}

beforeAll(async () => {
  mkdirSync(tarballs, { recursive: true });
  const packed = await run(
    ...pnpm(["-r", "--filter", "./packages/*", "pack", "--pack-destination", tarballs]),
    {
      cwd: repoRoot,
      timeoutMs: 120_000,
    },
  );
  if (packed.code !== 0) throw new Error(`pnpm pack failed:\n${packed.stdout}\n${packed.stderr}`);
  await inPool(installs, 4, async (installed) => {
    mkdirSync(installed.folder, { recursive: true });
    writeFileSync(
      join(installed.folder, "package.json"),
      JSON.stringify({ name: `app-${installed.pkg.dir}`, version: "1.0.0", private: true }),
    );
    const loom = loomClosure(installed.asked.filter((name) => byName.has(name)));
    const others = installed.asked.filter((name) => !byName.has(name));
    const specs = [...loom.map((name) => tarballOf(byName.get(name) as PublicPackage)), ...others];
    const npm = ["--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"];
    installed.install = await run("npm", ["install", ...npm, ...specs], {
      cwd: installed.folder,
      env: cleanEnv(),
      timeoutMs: 180_000,
    });
    if (installed.install.code === 0) {
      installed.ls = await run("npm", ["ls", "--all", "--json"], { cwd: installed.folder, env: cleanEnv() });
    }
  });
}, 240_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface LsNode {
  version?: string;
  resolved?: string;
  missing?: boolean;
  invalid?: string;
  extraneous?: boolean;
  dependencies?: Record<string, LsNode>;
}

/** Every (name, node) of an `npm ls --all --json` tree. */
function* walk(deps: Record<string, LsNode> = {}): Generator<[string, LsNode]> {
  for (const [name, node] of Object.entries(deps)) {
    yield [name, node];
    yield* walk(node.dependencies);
  }
}

// Concurrent: each test has its own folder, working directory and replay server.
describe.concurrent("packed and installed with npm", () => {
  for (const installed of installs) {
    const { pkg } = installed;
    describe(pkg.name, () => {
      it("installs from its tarball, with the packages its install line names", () => {
        expect(installed.asked, "the README's install line").toContain(pkg.name);
        expect(installed.install?.code, installed.install?.stderr).toBe(0);
      });

      it("npm ls: its own dependencies only, every @loom package from a tarball, one zod, no optional peer not asked for", () => {
        expect(installed.ls?.code, installed.ls?.stdout.slice(0, 4000)).toBe(0);
        const tree = JSON.parse(installed.ls?.stdout ?? "{}") as { dependencies?: Record<string, LsNode> };
        const top = Object.keys(tree.dependencies ?? {}).sort();
        for (const name of top.filter((n) => n.startsWith("@loom/")))
          expect(tree.dependencies?.[name]?.resolved, name).toMatch(/^file:/);
        const loom = loomClosure(installed.asked.filter((name) => byName.has(name)));
        expect(top).toEqual([...new Set([...installed.asked, ...loom])].sort());
        const zods = new Set<string>();
        const optionalPeers = new Set(
          packages.flatMap((p) =>
            Object.entries(p.manifest.peerDependenciesMeta ?? {})
              .filter(([, meta]) => meta.optional)
              .map(([name]) => name),
          ),
        );
        for (const [name, node] of walk(tree.dependencies)) {
          expect(
            node.missing || node.invalid || node.extraneous,
            `${name}: ${JSON.stringify(node)}`,
          ).toBeFalsy();
          if (name === "zod") zods.add(node.version ?? "");
          // A deduped entry has no "resolved"; where it is, it is the tarball, never the registry.
          if (name.startsWith("@loom/") && node.resolved !== undefined)
            expect(node.resolved, name).toMatch(/^file:/);
          // npm ls lists an optional peer that is not installed as an empty entry: no version.
          if (optionalPeers.has(name) && node.version !== undefined)
            expect(installed.asked, `${name} is installed though not asked for`).toContain(name);
          const own = byName.get(name)?.manifest;
          if (own) {
            const allowed = new Set([
              ...Object.keys(own.dependencies ?? {}),
              ...Object.keys(own.peerDependencies ?? {}),
            ]);
            for (const dep of Object.keys(node.dependencies ?? {}))
              expect(allowed, `${name} brings ${dep}`).toContain(dep);
          }
        }
        expect(zods.size, `zod versions: ${[...zods].join(", ")}`).toBeLessThanOrEqual(1);
      });

      for (const format of ["esm", "cjs"] as const) {
        it(`runs its README's first example from ${format === "esm" ? "ESM" : "CommonJS"}`, async () => {
          expect(installed.install?.code, "installed").toBe(0);
          const file = join(installed.folder, format === "esm" ? "example.mts" : "example.cts");
          writeFileSync(file, format === "esm" ? installed.example : toCommonJs(installed.example));
          const cwd = join(installed.folder, format);
          mkdirSync(cwd, { recursive: true });
          const { env, close } = await exampleEnv(pkg.dir);
          try {
            const outcome = await run(process.execPath, [file], { cwd, env });
            expect(outcome.code, `${outcome.stdout}\n${outcome.stderr}`).toBe(0);
          } finally {
            await close();
          }
        }, 90_000);
      }
    });
  }

  /** A one-line program run in a package's install folder, from CommonJS: what it prints or throws. */
  async function probe(dir: string, code: string): Promise<Outcome> {
    const installed = installs.find((i) => i.pkg.dir === dir);
    expect(installed?.install?.code, `${dir} installed`).toBe(0);
    const file = join(installed?.folder ?? "", `probe-${Math.random().toString(36).slice(2)}.cjs`);
    writeFileSync(file, code);
    return run(process.execPath, [file], { cwd: installed?.folder ?? "" });
  }

  it("@loom/providers-openai without gpt-tokenizer: openaiTokenizer() says what to install", async () => {
    const outcome = await probe(
      "providers-openai",
      `try { require("@loom/providers-openai").openaiTokenizer("gpt-4o"); } catch (e) { console.log(e.code, e.message); }`,
    );
    expect(outcome.stdout, JSON.stringify(outcome)).toContain("invalid_config");
    expect(outcome.stdout).toContain("npm install gpt-tokenizer");
  });

  it("@loom/testing without vitest: only @loom/testing/vitest needs it", async () => {
    const outcome = await probe(
      "testing",
      `console.log(typeof require("@loom/testing").ScriptedProvider);
       try { require("@loom/testing/vitest"); } catch (e) { console.log("vitest entry:", e.code); }`,
    );
    expect(outcome.stdout, JSON.stringify(outcome)).toContain("function");
    expect(outcome.stdout, JSON.stringify(outcome)).toContain("vitest entry: MODULE_NOT_FOUND");
  });
});
