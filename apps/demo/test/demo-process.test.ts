import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { readAll } from "@loom/core";
import { FsJournal } from "@loom/journal-fs";
import { afterAll, describe, expect, it } from "vitest";

const main = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function demo(...flags: string[]) {
  expect(existsSync(main), "run `pnpm build` first").toBe(true);
  const cwd = mkdtempSync(join(tmpdir(), "loom-demo-"));
  dirs.push(cwd);
  const { stdout } = await promisify(execFile)(process.execPath, [main, ...flags], { cwd });
  const journalDir = join(cwd, ".loom", "journal");
  const [file] = readdirSync(journalDir).filter((f) => f.endsWith(".jsonl"));
  const journal = new FsJournal({ dir: journalDir });
  const events = await readAll(journal, file!.replace(/\.jsonl$/, ""));
  await journal.close();
  return { cwd, stdout, events };
}

describe("the demo (built, as a process)", () => {
  it("is killed mid-run, resumes from journal-fs, publishes once approved, and explains itself", async () => {
    const { cwd, stdout, events } = await demo("--yes");
    expect(stdout).toMatch(
      /⚡ killed the worker process with SIGKILL right after event #\d+ \(tool\.started\)/,
    );
    expect(stdout).toContain("↻ resuming thread research-");
    expect(stdout).toContain("↻ journaled: run.resumed (the process running it was killed mid-run)");
    expect(events.filter((e) => e.type === "run.resumed").map((e) => e.data.reason)).toEqual(["unfinished"]);
    expect(stdout).toContain("publish_report");
    expect(stdout).toContain("approved by --yes");
    expect(stdout).toContain("Context debugger:");
    expect(stdout).toMatch(/Summary: 4 iterations/);
    expect(stdout).toContain("npx loom show research-");
    // The crash left two reads in flight; both ran again, and nothing that had completed did.
    const reads = events.filter((e) => e.type === "tool.started" && e.data.name === "read_page");
    expect(reads.length).toBeGreaterThanOrEqual(2);
    expect(events.filter((e) => e.type === "tool.completed" && e.data.name === "search")).toHaveLength(1);
    expect(events.at(-1)?.type).toBe("run.completed");
    const reports = readdirSync(join(cwd, ".loom", "reports"));
    expect(reports).toHaveLength(1);
    expect(readFileSync(join(cwd, ".loom", "reports", reports[0]!), "utf8")).toContain("# Surviving crashes");
    const flame = /Flame graph: (.+\.html)/.exec(stdout)![1]!;
    expect(readFileSync(flame, "utf8")).toMatch(/^<!doctype html>/i);
  });

  it("asks before it answers: tool, arguments and reason first, then how it was decided", async () => {
    const { stdout } = await demo();
    const question = stdout.indexOf('publish_report({"title":"Surviving crashes"');
    const why = stdout.indexOf("waits for a human: publishing writes a file others will read");
    const answer = stdout.indexOf("no terminal to ask, so rejected (run with --yes to approve)");
    expect(question).toBeGreaterThan(-1);
    expect(why).toBeGreaterThan(question);
    expect(answer).toBeGreaterThan(why);
    // Asked once, answered once: the journaled question and answer are not printed again.
    expect(stdout.match(/waits for a human/g)).toHaveLength(1);
    expect(stdout).toMatch(/Summary: 4 iterations, \d+ tool executions for \d+ tool calls \(\d+ ran again/);
    expect(stdout).not.toContain("\u001b[");
  });

  it("prints its usage for --help, and refuses unknown flags with exit code 2", async () => {
    const run = (...flags: string[]) =>
      promisify(execFile)(process.execPath, [main, ...flags]).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    const help = await run("--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: loom-demo [--yes | --no]");
    const bad = await run("--yse");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown option "--yse"');
  });

  it("never publishes when the human says no, and tells the model", async () => {
    const { cwd, stdout, events } = await demo("--no");
    expect(stdout).toContain("rejected by --no");
    expect(existsSync(join(cwd, ".loom", "reports"))).toBe(false);
    const publish = events.find((e) => e.type === "tool.completed" && e.data.name === "publish_report");
    expect(publish).toMatchObject({ data: { content: "A human rejected this call: rejected with --no" } });
  });

  it("leaves a durable pause when the human presses Ctrl-C at the approval prompt", async () => {
    expect(existsSync(main), "run `pnpm build` first").toBe(true);
    const cwd = mkdtempSync(join(tmpdir(), "loom-demo-"));
    dirs.push(cwd);
    // A real terminal (script(1) gives the demo a pty), so the prompt is shown and Ctrl-C is a key.
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(main)}`;
    const child = spawn("script", ["-qfec", command, "/dev/null"], { cwd, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes("Approve? [y/N]") && !child.stdin.writableEnded) child.stdin.end("\u0003");
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(stdout).toContain("Approve? [y/N]");
    expect(code).toBe(0);
    expect(stdout).toMatch(/paused: publish_report \[\S+@\d+\] waits for a human/);
    expect(existsSync(join(cwd, ".loom", "reports"))).toBe(false);
    const journalDir = join(cwd, ".loom", "journal");
    const [file] = readdirSync(journalDir).filter((f) => f.endsWith(".jsonl"));
    const journal = new FsJournal({ dir: journalDir });
    const events = await readAll(journal, file!.replace(/\.jsonl$/, ""));
    await journal.close();
    expect(events.at(-1)).toMatchObject({ type: "run.interrupted", data: { reason: "approval" } });
    expect(events.some((e) => e.type === "tool.started" && e.data.name === "publish_report")).toBe(false);
  });
});
