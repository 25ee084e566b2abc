// Cold start (issue 15): loading the latest state of a 200-iteration thread (journal-fs) in a fresh
// process, as a CLI or a serverless worker does, against the same call once the process is warm.
//
// Every figure comes from fresh `node` processes running a plain .mjs child (no TypeScript to strip,
// none of this file's imports), the variants interleaved round by round on a shared machine, and
// medians printed, of elapsed and of CPU time (which other work on the machine moves less).
// Baselines: a child that reads the same file and JSON.parses each line, and one that only imports
// zod (Loom's peer dependency, which every Loom process loads). Loom is measured without and with
// Node's compile cache (what the `loom` binary turns on), bundled into one file with zod (as a
// serverless worker ships), with `--enable-source-maps`, and with its call taken apart; then a
// Postgres worker's imports, and `loom show` / `loom threads` as whole processes, with the modules
// each loads (LOOM_BENCH_COLD_CLI_BEFORE=<another loom bin> puts another build beside them).
//
// In a child: "to user code" is the time from the process' start to its first line; "import" the
// imports; "first call" the first head + stateAt (or read + parse); "warm" the median of five more.
// "Cold" is import + first call: what a fresh process pays before it has the state. Where a garbage
// collection lands moves time between the two, so cold is the figure to compare.

import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ITERATIONS = 200;
const ROUNDS = Number(process.env.LOOM_BENCH_COLD_ROUNDS ?? 15);
/** Another build of the `loom` binary (a path), measured beside this one: before/after figures. */
const CLI_BEFORE = process.env.LOOM_BENCH_COLD_CLI_BEFORE;
const CLI_BIN =
  process.env.LOOM_BENCH_COLD_CLI_BIN ??
  fileURLToPath(new URL("../../packages/cli/bin/loom.js", import.meta.url));

/** A phase's elapsed time and the process' CPU time over it (less moved by other work on the machine). */
interface Phase {
  ms: number;
  cpu: number;
}

/** The first and a warm call taken apart: head, reading (parse + validate), folding; GC pauses. */
interface Split {
  head: [first: Phase, warm: Phase];
  read: [first: Phase, warm: Phase];
  fold: [first: Phase, warm: Phase];
  gcPauses: [first: number, warm: number];
}

interface ChildResult {
  split?: Split;
  toUserCode: Phase;
  import: Phase;
  zod?: Phase;
  first: Phase;
  warm: Phase;
  events?: number;
}

interface Measured extends ChildResult {
  wallMs: number;
  /** The child's whole CPU time, from its start to its exit. */
  processCpuMs: number;
}

/**
 * Loaded into every child with `--import`: prints the process' CPU time as it exits, so a whole
 * command (`loom show`) has a CPU figure too. Its cost is the same in every variant.
 */
/**
 * Loaded, untimed, into one more process of each whole command: counts the modules it loads from
 * files (what the `loom` binary's bundle saves a fresh process: resolving, reading, compiling each).
 */
const MODULE_COUNT = `import { registerHooks } from "node:module";
let count = 0;
registerHooks({ load(url, context, next) { if (url.startsWith("file:")) count++; return next(url, context); } });
process.on("exit", () => process.stderr.write(\`\\nloom-bench-modules \${count}\\n\`));
`;

const EXIT_REPORT = `process.on("exit", () => {
  const u = process.cpuUsage();
  process.stderr.write(\`\\nloom-bench-exit \${(u.user + u.system) / 1000}\\n\`);
});
`;

// The children, as plain ES modules. Modules are imported by the URLs this file resolves, so the
// children load exactly what the bench's own `import "@loom/core"` would.
const CHILD_PRELUDE = `
const now = () => { const u = process.cpuUsage(); return { ms: performance.now(), cpu: (u.user + u.system) / 1000 }; };
const toUserCode = now();
const since = (t) => { const n = now(); return { ms: n.ms - t.ms, cpu: n.cpu - t.cpu }; };
const [, , file, threadId] = process.argv;
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const medianPhase = (v) => ({ ms: median(v.map((p) => p.ms)), cpu: median(v.map((p) => p.cpu)) });
const none = { ms: 0, cpu: 0 };
const out = (r) => process.stdout.write(JSON.stringify({ toUserCode, ...r }));
`;

const RAW_CHILD = `${CHILD_PRELUDE}
const t = now();
const { readFile } = await import("node:fs/promises");
const imported = since(t);
let events = 0;
const load = async () => {
  const s = now();
  const text = await readFile(file, "utf8");
  events = 0;
  for (const line of text.split("\\n")) if (line) { JSON.parse(line); events++; }
  return since(s);
};
const first = await load();
const warm = [];
for (let i = 0; i < 5; i++) warm.push(await load());
out({ import: imported, first, warm: medianPhase(warm), events });
`;

const ZOD_CHILD = (zod: string) => `${CHILD_PRELUDE}
const t = now();
await import(${JSON.stringify(zod)});
out({ import: since(t), first: none, warm: none });
`;

const LOOM_CHILD = (modules: { zod: string; core: string; journalFs: string } | { bundle: string }) => {
  const imports =
    "bundle" in modules
      ? `const { readAll, stateAt, FsJournal } = await import(${JSON.stringify(modules.bundle)});
const zod = undefined;`
      : `await import(${JSON.stringify(modules.zod)});
const zod = since(t);
const { readAll, stateAt } = await import(${JSON.stringify(modules.core)});
const { FsJournal } = await import(${JSON.stringify(modules.journalFs)});`;
  return `${CHILD_PRELUDE}
const dir = file;
const t = now();
${imports}
const imported = since(t);
const journal = new FsJournal({ dir, fsync: "never" });
const load = async () => {
  const s = now();
  const head = await journal.head(threadId);
  await stateAt(journal, threadId, head);
  return since(s);
};
const first = await load();
const warm = [];
for (let i = 0; i < 5; i++) warm.push(await load());
const events = (await readAll(journal, threadId)).length;
await journal.close();
out({ import: imported, zod, first, warm: medianPhase(warm), events });
`;
};

/** The call as its three steps (what `stateAt` does), with the garbage collector's pauses. */
const SPLIT_CHILD = (core: string, journalFs: string) => `${CHILD_PRELUDE}
const { PerformanceObserver } = await import("node:perf_hooks");
const t = now();
const { readAll, foldAll } = await import(${JSON.stringify(core)});
const { FsJournal } = await import(${JSON.stringify(journalFs)});
const imported = since(t);
let paused = 0;
new PerformanceObserver((list) => { for (const e of list.getEntries()) paused += e.duration; }).observe({ entryTypes: ["gc"] });
const journal = new FsJournal({ dir: file, fsync: "never" });
const load = async () => {
  const before = paused;
  let s = now();
  const head = await journal.head(threadId);
  const h = since(s);
  s = now();
  const events = await readAll(journal, threadId, { to: head });
  const r = since(s);
  s = now();
  foldAll(threadId, events);
  const f = since(s);
  await new Promise((resolve) => setTimeout(resolve, 1));
  return { h, r, f, gc: paused - before };
};
const sum = (x) => ({ ms: x.h.ms + x.r.ms + x.f.ms, cpu: x.h.cpu + x.r.cpu + x.f.cpu });
const first = await load();
const warm = [];
for (let i = 0; i < 5; i++) warm.push(await load());
const pick = (k) => [first[k], medianPhase(warm.map((w) => w[k]))];
const split = { head: pick("h"), read: pick("r"), fold: pick("f"), gcPauses: [first.gc, median(warm.map((w) => w.gc))] };
await journal.close();
out({ import: imported, first: sum(first), warm: medianPhase(warm.map(sum)), split });
`;

/** The imports of a Postgres worker: zod and @loom/core, then @loom/journal-postgres (and pg). */
const POSTGRES_CHILD = (zod: string, core: string, journalPostgres: string) => `${CHILD_PRELUDE}
const t = now();
await import(${JSON.stringify(zod)});
await import(${JSON.stringify(core)});
const zod = since(t);
await import(${JSON.stringify(journalPostgres)});
out({ import: since(t), zod, first: none, warm: none });
`;

/**
 * @loom/core, @loom/journal-fs and zod bundled into one file, as a serverless worker is often
 * deployed (esbuild, through the tsup the repository builds with).
 */
async function bundle(work: string, core: string, journalFs: string): Promise<string> {
  const { build } = await import("tsup");
  const entry = join(work, "bundle-entry.mjs");
  writeFileSync(
    entry,
    `export { readAll, stateAt } from ${JSON.stringify(core)};\nexport { FsJournal } from ${JSON.stringify(journalFs)};\n`,
  );
  const outDir = join(work, "bundle");
  await build({
    entry: { worker: entry },
    outDir,
    format: ["esm"],
    platform: "node",
    target: "node22",
    noExternal: [/.*/],
    splitting: false,
    sourcemap: false,
    dts: false,
    config: false,
    silent: true,
  });
  return join(outDir, "worker.js");
}

async function prepare(dir: string, threadId: string): Promise<void> {
  const { createAgent, tool } = await import("@loom/core");
  const { FsJournal } = await import("@loom/journal-fs");
  const { ScriptedProvider } = await import("@loom/testing");
  const { z } = await import("zod");
  const add = tool({
    name: "add",
    description: "Adds two numbers",
    input: z.object({ a: z.number(), b: z.number() }),
    idempotent: true,
    run: ({ a, b }) => String(a + b),
  });
  const turns = Array.from({ length: ITERATIONS - 1 }, (_, i) => ({
    text: "",
    toolCalls: [{ id: `c${i}`, name: "add", args: { a: i, b: 1 } }],
  }));
  const journal = new FsJournal({ dir, fsync: "never" });
  const agent = createAgent({
    journal,
    tools: [add],
    maxIterations: ITERATIONS + 1,
    provider: new ScriptedProvider({ turns: [...turns, { text: "done" }], recordRequests: false }),
  });
  const result = await agent.run("go", { threadId });
  if (result.status !== "completed") throw new Error("cold-start bench: the thread did not complete");
  await journal.close();
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface Variant {
  readonly label: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** A whole command: only its wall time is measured. */
  readonly wallOnly?: boolean;
  readonly runs: Measured[];
}

function run(variant: Variant, exitReport: string): Measured {
  const started = performance.now();
  const child = spawnSync(process.execPath, ["--import", exitReport, ...variant.args], {
    env: variant.env,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const wallMs = performance.now() - started;
  const processCpuMs = Number(/loom-bench-exit ([\d.]+)/.exec(child.stderr)?.[1] ?? Number.NaN);
  if (child.status !== 0) {
    throw new Error(`cold-start bench: ${variant.label} exited with ${child.status}: ${child.stderr}`);
  }
  if (variant.wallOnly) {
    const nothing = { ms: Number.NaN, cpu: Number.NaN };
    return { toUserCode: nothing, import: nothing, first: nothing, warm: nothing, wallMs, processCpuMs };
  }
  return { ...(JSON.parse(child.stdout) as ChildResult), wallMs, processCpuMs };
}

/** How many modules one process of `variant` loads from files, its entry included. */
function countModules(variant: Variant, hook: string): number {
  const child = spawnSync(process.execPath, ["--import", hook, ...variant.args], {
    env: variant.env,
    encoding: "utf8",
  });
  return Number(/loom-bench-modules (\d+)/.exec(child.stderr)?.[1] ?? Number.NaN);
}

function environment(cache: string | undefined): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_COMPILE_CACHE;
  delete env.NODE_DISABLE_COMPILE_CACHE;
  delete env.NODE_OPTIONS;
  if (cache) env.NODE_COMPILE_CACHE = cache;
  else env.NODE_DISABLE_COMPILE_CACHE = "1";
  return env;
}

const work = mkdtempSync(join(tmpdir(), "loom-cold-start-"));
try {
  const dir = join(work, "journal");
  const threadId = `cold-${randomUUID()}`;
  await prepare(dir, threadId);
  const file = join(dir, `${threadId}.jsonl`);
  const [zod, core, journalFs, journalPostgres] = [
    "zod",
    "@loom/core",
    "@loom/journal-fs",
    "@loom/journal-postgres",
  ].map((m) => import.meta.resolve(m));
  const write = (name: string, text: string) => {
    const path = join(work, name);
    writeFileSync(path, text);
    return path;
  };
  const raw = write("raw.mjs", RAW_CHILD);
  const zodOnly = write("zod.mjs", ZOD_CHILD(zod!));
  const loom = write("loom.mjs", LOOM_CHILD({ zod: zod!, core: core!, journalFs: journalFs! }));
  const bundled = write(
    "loom-bundled.mjs",
    LOOM_CHILD({
      bundle: pathToFileURL(await bundle(work, fileURLToPath(core!), fileURLToPath(journalFs!))).href,
    }),
  );
  const postgres = write("postgres.mjs", POSTGRES_CHILD(zod!, core!, journalPostgres!));
  const cache = join(work, "compile-cache");
  mkdirSync(cache);
  const variants: Variant[] = [
    {
      label: "baseline: readFile + JSON.parse per line",
      args: [raw, file],
      env: environment(undefined),
      runs: [],
    },
    { label: "baseline: import zod only", args: [zodOnly], env: environment(undefined), runs: [] },
    { label: "loom, no compile cache", args: [loom, dir, threadId], env: environment(undefined), runs: [] },
    { label: "loom, compile cache", args: [loom, dir, threadId], env: environment(cache), runs: [] },
    {
      label: "loom bundled in one file, no cache",
      args: [bundled, dir, threadId],
      env: environment(undefined),
      runs: [],
    },
    {
      label: "loom bundled in one file, cache",
      args: [bundled, dir, threadId],
      env: environment(cache),
      runs: [],
    },
    {
      label: "loom, no cache, steps of the call",
      args: [write("loom-split.mjs", SPLIT_CHILD(core!, journalFs!)), dir, threadId],
      env: environment(undefined),
      runs: [],
    },
    {
      label: "loom, no cache, --enable-source-maps",
      args: ["--enable-source-maps", loom, dir, threadId],
      env: environment(undefined),
      runs: [],
    },
    {
      label: "import zod + core + journal-postgres",
      args: [postgres],
      env: environment(undefined),
      runs: [],
    },
    { label: "  the same, compile cache", args: [postgres], env: environment(cache), runs: [] },
  ];
  // Whole `loom` commands: one that reads the thread (show) and one that reads little (threads).
  const commands = (name: string, bin: string): Variant[] =>
    [
      ["show", threadId],
      ["threads", "--limit", "10"],
    ].flatMap((command) =>
      [false, true].map((withCache) => ({
        label: `loom ${command[0]}${name}, ${withCache ? "compile cache" : "no cache"}`,
        args: [bin, ...command, "--journal", `file://${dir}`],
        env: environment(withCache ? cache : undefined),
        wallOnly: true,
        runs: [],
      })),
    );
  variants.push(...commands("", CLI_BIN));
  if (CLI_BEFORE) variants.push(...commands(" (CLI before)", CLI_BEFORE));
  // Fill the compile cache (and the OS' file cache) once, untimed.
  const exitReport = pathToFileURL(write("exit-report.mjs", EXIT_REPORT)).href;
  for (const variant of variants) run(variant, exitReport);
  for (let round = 0; round < ROUNDS; round++)
    for (const variant of variants) variant.runs.push(run(variant, exitReport));

  const events = variants[2]!.runs[0]!.events;
  const kb = Math.round(statSync(file).size / 1024);
  console.log(
    `\ncold start: ${ROUNDS} fresh processes per variant, interleaved (medians, ms) — node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}`,
  );
  console.log(
    `the latest state of a ${ITERATIONS}-iteration thread (${events} events, ${kb} KB, journal-fs); cold = import + first call`,
  );
  const m = (v: Variant, pick: (r: Measured) => number) => median(v.runs.map(pick));
  const cell = (value: number, suffix = "") =>
    (Number.isFinite(value) ? `${value.toFixed(1)}${suffix}` : "-").padStart(13);
  const width = Math.max(...variants.map((v) => v.label.length));
  const table = (title: string, clock: "ms" | "cpu") => {
    const columns = ["to user code", "import", "first call", "warm call", "first/warm", "cold", "cold/warm"];
    columns.push("process");
    console.log(`\n${title.padEnd(width)}  ${columns.map((c) => c.padStart(13)).join("")}`);
    for (const v of variants) {
      const first = m(v, (r) => r.first[clock]);
      const warm = m(v, (r) => r.warm[clock]);
      const hasCall = first > 0;
      const cells = [
        cell(m(v, (r) => r.toUserCode[clock])),
        cell(m(v, (r) => r.import[clock])),
        cell(hasCall ? first : Number.NaN),
        cell(hasCall ? warm : Number.NaN),
        cell(hasCall ? first / warm : Number.NaN, "x"),
        cell(m(v, (r) => r.import[clock] + r.first[clock])),
        cell(hasCall ? m(v, (r) => r.import[clock] + r.first[clock]) / warm : Number.NaN, "x"),
      ];
      cells.push(cell(m(v, (r) => (clock === "ms" ? r.wallMs : r.processCpuMs))));
      console.log(`${v.label.padEnd(width)}  ${cells.join("")}`);
    }
  };
  const moduleCount = pathToFileURL(write("module-count.mjs", MODULE_COUNT)).href;
  const modules = variants
    .filter((v) => v.wallOnly)
    .map((v) => `${v.label.replace(/, (no cache|compile cache)$/, "")}: ${countModules(v, moduleCount)}`);
  table("elapsed (process: spawn to exit)", "ms");
  table("CPU time of the process", "cpu");
  const [
    ,
    zodRow,
    plain,
    cached,
    bundledPlain,
    bundledCached,
    steps,
    ,
    pgPlain,
    pgCached,
    showPlain,
    showCached,
  ] = variants;
  const at = (v: Variant, pick: (r: Measured) => number) => m(v, pick).toFixed(1);
  const cold = (r: Measured) => r.import.cpu + r.first.cpu;
  const step = (name: "head" | "read" | "fold") =>
    `${name} ${at(steps!, (r) => r.split![name][0].cpu)} (${at(steps!, (r) => r.split![name][1].cpu)})`;
  console.log(`\nmodules loaded from files: ${[...new Set(modules)].join("; ")}`);
  console.log(
    `\nthe call's steps, CPU ms, first (warm): ${step("head")}, ${step("read")} (lines, JSON.parse, validation), ${step("fold")}; garbage collector pauses ${at(steps!, (r) => r.split!.gcPauses[0])} (${at(steps!, (r) => r.split!.gcPauses[1])}) ms`,
  );
  console.log(
    `CPU ms, no cache -> compile cache: importing @loom/journal-postgres after zod + core ${at(pgPlain!, (r) => r.import.cpu - r.zod!.cpu)} -> ${at(pgCached!, (r) => r.import.cpu - r.zod!.cpu)} (zod + core ${at(pgPlain!, (r) => r.zod!.cpu)} -> ${at(pgCached!, (r) => r.zod!.cpu)});`,
  );
  console.log(
    `CPU ms, no cache -> compile cache: loom's import ${at(plain!, (r) => r.import.cpu)} -> ${at(cached!, (r) => r.import.cpu)} (of which zod ${at(plain!, (r) => r.zod!.cpu)} -> ${at(cached!, (r) => r.zod!.cpu)}; zod alone ${at(zodRow!, (r) => r.import.cpu)}), cold ${at(plain!, cold)} -> ${at(cached!, cold)}; bundled in one file, cold ${at(bundledPlain!, cold)} -> ${at(bundledCached!, cold)}; \`loom show\`, whole process ${at(showPlain!, (r) => r.processCpuMs)} -> ${at(showCached!, (r) => r.processCpuMs)}`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
