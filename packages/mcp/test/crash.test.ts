import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readAll, type StoredEvent } from "@loom/core";
import { FsJournal } from "@loom/journal-fs";
import { afterAll, describe, expect, it } from "vitest";
import { readLedger, waitForLedger } from "./servers.js";

// SIGKILL of the Loom process while an MCP call runs, then a resume in a new process: the call
// follows its tool's policy, from the annotations: read-only runs again (same idempotency key),
// destructive asks a human again. Uses the built packages (pnpm test builds first).

const child = fileURLToPath(new URL("./fixtures/agent-process.mjs", import.meta.url));
const built = fileURLToPath(new URL("../dist/index.js", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "loom-mcp-crash-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface ChildResult {
  status: string;
  text?: string;
  pending?: string[];
}

function start(
  dir: string,
  tool: string,
  mode: string,
): { proc: ChildProcess; result: Promise<ChildResult | "killed"> } {
  const proc = spawn(
    process.execPath,
    [child, join(dir, "journal"), "thread", tool, join(dir, "ledger.log"), mode],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  let err = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (err += d));
  const result = new Promise<ChildResult | "killed">((resolve, reject) => {
    proc.on("exit", (code, signal) => {
      if (signal === "SIGKILL") return resolve("killed");
      const line = out.split("\n").find((l) => l.startsWith("RESULT "));
      if (code !== 0 || !line) return reject(new Error(`agent process failed (${code}): ${err}${out}`));
      resolve(JSON.parse(line.slice(7)) as ChildResult);
    });
  });
  return { proc, result };
}

async function run(dir: string, tool: string, mode: string): Promise<ChildResult> {
  const result = await start(dir, tool, mode).result;
  if (result === "killed") throw new Error("unexpected kill");
  return result;
}

/** Starts `mode`, and SIGKILLs the process as soon as the server has begun the call. */
async function killMidCall(dir: string, tool: string, mode: string, startsBefore: number): Promise<void> {
  const { proc, result } = start(dir, tool, mode);
  await waitForLedger(
    join(dir, "ledger.log"),
    (lines) => lines.filter((l) => l.includes(" start ")).length > startsBefore,
  );
  proc.kill("SIGKILL");
  expect(await result).toBe("killed");
}

async function events(dir: string): Promise<StoredEvent[]> {
  const journal = new FsJournal({ dir: join(dir, "journal"), onRecovery: () => {} });
  try {
    return await readAll(journal, "thread");
  } finally {
    await journal.close();
  }
}

describe.skipIf(!existsSync(built))("SIGKILL of the Loom process mid-call, resumed in a new process", () => {
  it("a read-only (idempotent) tool runs again with the same idempotency key, and the run completes", async () => {
    const dir = mkdtempSync(join(root, "lookup-"));
    await killMidCall(dir, "lookup", "start", 0);
    const journaled = await events(dir);
    expect(journaled.some((e) => e.type === "tool.started")).toBe(true);
    expect(journaled.some((e) => e.type === "tool.completed")).toBe(false);

    const resumed = await run(dir, "lookup", "resume");
    expect(resumed).toMatchObject({ status: "completed", text: "done" });
    const ledger = readLedger(join(dir, "ledger.log"));
    const starts = ledger.filter((l) => l.endsWith(" start lookup"));
    expect(starts).toHaveLength(2);
    expect(new Set(starts).size).toBe(1); // one key, on both attempts
    expect(ledger.filter((l) => /^\S+ lookup$/.test(l))).toHaveLength(1); // the server deduped the effect
    const completed = (await events(dir)).filter((e) => e.type === "tool.completed");
    expect(completed.map((e) => e.data.content)).toEqual(["found loom"]);
  });

  it("a destructive tool is approved, killed mid-call, then asks the human again; a rejection never runs it twice", async () => {
    const dir = mkdtempSync(join(root, "charge-"));
    const paused = await run(dir, "charge", "start");
    expect(paused).toMatchObject({ status: "interrupted", pending: ["charge"] });
    expect(readLedger(join(dir, "ledger.log"))).toEqual([]); // nothing ran without approval

    await killMidCall(dir, "charge", "approve", 0);
    expect(readLedger(join(dir, "ledger.log")).filter((l) => l.endsWith(" charge 500"))).toHaveLength(1);

    // Outcome unknown, policy "ask" (destructive): the run pauses for a human again.
    const again = await run(dir, "charge", "resume");
    expect(again).toMatchObject({ status: "interrupted", pending: ["charge"] });
    const rejected = await run(dir, "charge", "reject");
    expect(rejected).toMatchObject({ status: "completed", text: "done" });
    expect(readLedger(join(dir, "ledger.log")).filter((l) => l.endsWith(" charge 500"))).toHaveLength(1);
  });
});
