import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import module from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { FsJournal } from "@loom/journal-fs";
import { sampleEvents } from "@loom/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Every `loom` command is a fresh process: what it loads before its first read is paid each time.
const cwd = mkdtempSync(join(tmpdir(), "loom-cli-cold-"));
const dir = join(cwd, "journal");
const bin = fileURLToPath(new URL("../bin/loom.js", import.meta.url));
const cli = new URL("../dist/index.js", import.meta.url).href;
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

beforeAll(async () => {
  expect(
    existsSync(fileURLToPath(new URL("../dist/bin.js", import.meta.url))),
    "run `pnpm build` first",
  ).toBe(true);
  const journal = new FsJournal({ dir });
  await journal.append("t-cold", sampleEvents(20), -1);
  await journal.close();
});

/** Runs the `loom` binary with a temp folder of its own and no compile cache setting inherited. */
async function loomBin(tmp: string, extraEnv: Record<string, string> = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp, LOOM_JOURNAL: `file://${dir}`, ...extraEnv };
  delete env.NODE_COMPILE_CACHE;
  if (!("NODE_DISABLE_COMPILE_CACHE" in extraEnv)) delete env.NODE_DISABLE_COMPILE_CACHE;
  return promisify(execFile)(process.execPath, [bin, "show", "t-cold"], { cwd, env });
}

describe("cold start", () => {
  // os.tmpdir() follows TMPDIR on Linux and macOS (Windows reads TEMP).
  it.skipIf(typeof module.enableCompileCache !== "function" || process.platform === "win32")(
    "the loom binary turns on Node's compile cache, in the temp folder unless NODE_COMPILE_CACHE says where",
    async () => {
      const tmp = mkdtempSync(join(cwd, "tmp-"));
      await loomBin(tmp);
      const cache = join(tmp, "node-compile-cache");
      expect(existsSync(cache)).toBe(true);
      // One folder per Node version and V8 flags, holding an entry per module compiled: the
      // binary's bundle and the chunk it loads for every command.
      const [version] = readdirSync(cache);
      expect(readdirSync(join(cache, version!)).length).toBeGreaterThanOrEqual(2);
    },
  );

  it.skipIf(typeof module.registerHooks !== "function")(
    "the loom binary brings @loom/core, @loom/journal-fs and zod in its bundle: show loads a handful of modules, not a hundred",
    async () => {
      const tmp = mkdtempSync(join(cwd, "tmp-"));
      const hook = join(tmp, "count-modules.mjs");
      writeFileSync(
        hook,
        `import { registerHooks } from "node:module";
        const urls = [];
        registerHooks({ load(url, context, next) { if (url.startsWith("file:")) urls.push(url); return next(url, context); } });
        process.on("exit", () => process.stderr.write("\\nloaded " + JSON.stringify(urls) + "\\n"));`,
      );
      const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp, NODE_DISABLE_COMPILE_CACHE: "1" };
      delete env.NODE_COMPILE_CACHE;
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        ["--import", pathToFileURL(hook).href, bin, "--journal", `file://${dir}`, "show", "t-cold"],
        { cwd, env },
      );
      expect(stdout).toMatch(/^Thread t-cold: /);
      const urls = JSON.parse(/loaded (.*)/.exec(stderr)![1]!) as string[];
      const loaded = urls.filter((u) => u !== pathToFileURL(hook).href);
      expect(
        loaded.filter((u) => /node_modules|[\\/](core|journal-fs|debugger)[\\/]dist[\\/]/.test(u)),
      ).toEqual([]);
      expect(loaded.length).toBeLessThanOrEqual(4);
    },
  );

  it("an error from the @loom/core beside a user's --agent module keeps its exit code in the bundled binary", async () => {
    const agent = fileURLToPath(new URL("./fixtures/bad-options-agent.mjs", import.meta.url));
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_DISABLE_COMPILE_CACHE: "1" };
    delete env.NODE_COMPILE_CACHE;
    const failed = await promisify(execFile)(
      process.execPath,
      [bin, "--journal", `file://${dir}`, "resume", "t-cold", "--agent", agent],
      { cwd, env },
    ).catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown option "maxIteratons"'),
    });
  });

  it("NODE_DISABLE_COMPILE_CACHE=1 turns the cache off", async () => {
    const tmp = mkdtempSync(join(cwd, "tmp-"));
    const { stdout } = await loomBin(tmp, { NODE_DISABLE_COMPILE_CACHE: "1" });
    expect(stdout).not.toBe("");
    expect(existsSync(join(tmp, "node-compile-cache"))).toBe(false);
  });

  it.skipIf(typeof module.registerHooks !== "function")(
    "show and events do not load @loom/debugger; explain and flame do",
    async () => {
      // A child process that records every module it loads, then runs one command.
      const loaded = async (...argv: string[]) => {
        const script = `
          import { registerHooks } from "node:module";
          const urls = [];
          registerHooks({ load(url, context, next) { urls.push(url); return next(url, context); } });
          const { runCli } = await import(${JSON.stringify(cli)});
          const io = { stdout: { write: () => true }, stderr: { write: (t) => process.stderr.write(t) }, cwd: process.cwd(), env: {} };
          const code = await runCli(${JSON.stringify(["--journal", `file://${dir}`, ...argv])}, io);
          process.stdout.write(JSON.stringify({ code, debugger: urls.some((u) => /[\\\\/]debugger[\\\\/]dist[\\\\/]/.test(u)) }));
        `;
        const { stdout } = await promisify(execFile)(
          process.execPath,
          ["--input-type=module", "-e", script],
          { cwd },
        );
        return JSON.parse(stdout) as { code: number; debugger: boolean };
      };
      expect(await loaded("show", "t-cold")).toEqual({ code: 0, debugger: false });
      expect(await loaded("events", "t-cold")).toEqual({ code: 0, debugger: false });
      expect(await loaded("explain", "t-cold")).toEqual({ code: 0, debugger: true });
      expect(await loaded("flame", "t-cold")).toEqual({ code: 0, debugger: true });
      // An error the debugger raises still maps to its exit code (3: not found).
      expect(await loaded("explain", "t-cold", "--iteration", "999")).toEqual({ code: 3, debugger: true });
    },
  );
});
