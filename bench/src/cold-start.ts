// Cold start (issue 15): the first call in a fresh process against a warm one, measured in child
// processes. Each child imports Loom, then loads the latest state of a 200-iteration thread
// (journal-fs) twice: the first call pays for what is compiled or built on first use (the
// generated event parser, zod's own compiled checks, V8 compiling the code it runs), the second
// does not. Printed: medians over the children, with the import time beside them.
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ITERATIONS = 200;
const CHILDREN = Number(process.env.LOOM_BENCH_COLD_CHILDREN ?? 9);

interface ChildResult {
  importMs: number;
  firstMs: number;
  warmMs: number;
  events: number;
}

async function child(dir: string, threadId: string): Promise<void> {
  const started = performance.now();
  const { readAll, stateAt } = await import("@loom/core");
  const { FsJournal } = await import("@loom/journal-fs");
  const importMs = performance.now() - started;
  const journal = new FsJournal({ dir, fsync: "never" });
  const time = async () => {
    const t = performance.now();
    const head = await journal.head(threadId);
    await stateAt(journal, threadId, head);
    return performance.now() - t;
  };
  const firstMs = await time();
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) warm.push(await time());
  const events = (await readAll(journal, threadId)).length;
  await journal.close();
  const result: ChildResult = { importMs, firstMs, warmMs: median(warm), events };
  process.stdout.write(JSON.stringify(result));
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

const [, , role, dirArg, threadArg] = process.argv;
if (role === "prepare") {
  await prepare(dirArg!, threadArg!);
  process.exit(0);
}
if (role === "child") {
  await child(dirArg!, threadArg!);
} else {
  const dir = mkdtempSync(join(tmpdir(), "loom-cold-start-"));
  const threadId = `cold-${randomUUID()}`;
  try {
    await prepare(dir, threadId);
    const runs: ChildResult[] = [];
    for (let i = 0; i < CHILDREN; i++) {
      const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), "child", dir, threadId], {
        encoding: "utf8",
      });
      runs.push(JSON.parse(out) as ChildResult);
    }
    const m = (pick: (r: ChildResult) => number) => median(runs.map(pick));
    console.log(
      `\ncold start, ${CHILDREN} fresh processes (medians) — node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}`,
    );
    console.log(
      `load the latest state of a ${ITERATIONS}-iteration thread (${runs[0]!.events} events, journal-fs): first call ${m((r) => r.firstMs).toFixed(1)} ms, warm call ${m((r) => r.warmMs).toFixed(1)} ms (first / warm ${(m((r) => r.firstMs) / m((r) => r.warmMs)).toFixed(1)}x); importing @loom/core + @loom/journal-fs ${m((r) => r.importMs).toFixed(1)} ms`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
