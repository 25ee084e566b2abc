import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { runCli } from "@loom/cli";
import { createAgent, fallbackProviders, type Hook, type NewEvent, readAll, tool } from "@loom/core";
import { FsJournal } from "@loom/journal-fs";
import { ScriptedProvider, sampleEvents } from "@loom/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";

const cwd = mkdtempSync(join(tmpdir(), "loom-cli-"));
const dir = join(cwd, ".loom", "journal");
const URL_ = `file://${dir}`;
const pausedDir = join(cwd, ".loom", "paused");
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

async function loom(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    cwd,
    env: {},
  });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  const journal = new FsJournal({ dir });
  const lookup = tool({
    name: "lookup",
    description: "looks up",
    input: z.object({ q: z.string() }),
    run: ({ q }) => `found ${q}`,
  });
  const agent = createAgent({
    journal,
    tools: [lookup],
    system: "Be brief.",
    provider: new ScriptedProvider([
      { text: "Let me look.", toolCalls: [{ id: "c1", name: "lookup", args: { q: "loom" } }] },
      { text: "Loom is a framework." },
    ]),
  });
  await agent.run("What is Loom?", { threadId: "t-one" });
  // A thread waiting for a human, whose two sub-agents' models both named their call "c1".
  const pausedJournal = new FsJournal({ dir: pausedDir });
  const guard: Hook = {
    name: "guard",
    beforeToolExecution: ({ call }) => (call.name === "lookup" ? { interrupt: "needs a human" } : undefined),
  };
  const child = (name: string) =>
    createAgent({
      name,
      journal: pausedJournal,
      tools: [lookup],
      provider: new ScriptedProvider([{ toolCalls: [{ id: "c1", name: "lookup", args: { q: name } }] }]),
    }).asTool({ description: name });
  await createAgent({
    journal: pausedJournal,
    hooks: [guard],
    tools: [child("left"), child("right")],
    provider: new ScriptedProvider([
      {
        toolCalls: [
          { id: "a", name: "left", args: { input: "l" } },
          { id: "b", name: "right", args: { input: "r" } },
        ],
      },
    ]),
  }).run("Look twice", { threadId: "t-paused" });
  const approvable = () =>
    createAgent({
      journal: pausedJournal,
      hooks: [guard],
      tools: [lookup],
      provider: new ScriptedProvider({
        mode: "conversation",
        turns: [{ toolCalls: [{ id: "c1", name: "lookup", args: { q: "x" } }] }, { text: "done" }],
      }),
    });
  await approvable().run("Look once", { threadId: "t-resumed" });
  await approvable().resume("t-resumed", { decisions: { c1: { approve: true } } });
  await journal.close();
  await pausedJournal.close();
});

describe("loom", () => {
  it("lists threads, as a table and as JSON", async () => {
    const table = await loom("--journal", URL_, "threads");
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/THREAD\s+EVENTS\s+STATUS\s+UPDATED\nt-one\s+14\s+completed/);
    const json = JSON.parse((await loom("--journal", URL_, "threads", "--json")).stdout);
    expect(json).toEqual([
      expect.objectContaining({ threadId: "t-one", eventCount: 14, status: "completed" }),
    ]);
  });

  it("lists threads of a status, and those last written over an age ago; a bad status exits 2 naming the statuses", async () => {
    const paused = `file://${pausedDir}`;
    const ids = async (...args: string[]) =>
      (
        JSON.parse((await loom("--journal", paused, "threads", "--json", ...args)).stdout) as {
          threadId: string;
        }[]
      ).map((t) => t.threadId);
    expect(await ids()).toEqual(["t-paused", "t-resumed"]);
    expect(await ids("--status", "interrupted")).toEqual(["t-paused"]);
    expect(await ids("--status", "completed,failed")).toEqual(["t-resumed"]);
    expect(await ids("--older-than", "0s", "--status", "interrupted")).toEqual(["t-paused"]);
    expect(await ids("--older-than", "1d")).toEqual([]);
    expect((await loom("--journal", paused, "threads", "--older-than", "1d")).stdout).toBe("No threads.\n");
    // t-resumed was written last (its resume): first by last activity.
    expect(await ids("--recent")).toEqual(["t-resumed", "t-paused"]);
    expect(await ids("--recent", "--limit", "1")).toEqual(["t-resumed"]);
    expect(await ids("--recent", "--older-than", "0s")).toEqual(["t-resumed", "t-paused"]);
    expect(await ids("--recent", "--older-than", "1d")).toEqual([]);
    expect(await ids("--recent", "--status", "interrupted")).toEqual(["t-paused"]);
    const bad = await loom("--journal", paused, "threads", "--status", "asleep");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      "--status takes a list of idle, running, interrupted, completed, failed, cancelled",
    );
  });

  it("names each call waiting for a human by its ref, unique across sub-agents", async () => {
    const { stdout, code } = await loom("--journal", `file://${pausedDir}`, "show", "t-paused");
    expect(code).toBe(0);
    const waiting = stdout.split("waiting for a human (decide each by its ref):\n")[1]!.trimEnd().split("\n");
    expect(waiting).toHaveLength(2);
    const refs = waiting.map((line) => line.trim().split(/\s+/)[0]);
    expect(refs.every((ref) => /^c1@\d+$/.test(ref!))).toBe(true);
    expect(new Set(refs).size).toBe(2);
    // The tokens are the thread's: the root's model call and both sub-agents'.
    const journal = new FsJournal({ dir: pausedDir });
    const events = await readAll(journal, "t-paused");
    await journal.close();
    let input = 0;
    let output = 0;
    for (const event of events) {
      if (event.type !== "llm.completed") continue;
      input += event.data.usage.inputTokens;
      output += event.data.usage.outputTokens;
    }
    expect(events.filter((e) => e.type === "llm.completed")).toHaveLength(3);
    expect(stdout).toContain(`${input} tokens in / ${output} out, sub-agents included`);
  });

  it("shows events, filtered by type, as lines or JSON, without colours off a terminal", async () => {
    const { stdout, code } = await loom("--journal", URL_, "events", "t-one", "--type", "tool");
    expect(code).toBe(0);
    expect(stdout.trimEnd().split("\n")).toEqual([
      expect.stringMatching(/^\s+5 tool\.started\s+lookup \[c1@4\] \{"q":"loom"\}$/),
      expect.stringMatching(/^\s+6 tool\.completed\s+lookup \[c1@4\]: found loom$/),
    ]);
    expect(stdout).not.toContain("\u001b[");
    const lines = (await loom("--journal", URL_, "events", "t-one", "--json", "--from", "12")).stdout
      .trim()
      .split("\n");
    expect(lines.map((l) => JSON.parse(l).type)).toEqual(["iteration.completed", "run.completed"]);
  });

  it("shows where a run was resumed, and why", async () => {
    const { stdout, code } = await loom("--journal", `file://${pausedDir}`, "show", "t-resumed");
    expect(code).toBe(0);
    expect(stdout).toMatch(/↻ seq \d+: resumed with a human's decisions/);
    const events = await loom("--journal", `file://${pausedDir}`, "events", "t-resumed", "--type", "run");
    expect(events.stdout).toMatch(/run\.resumed\s+resumed with a human's decisions/);
  });

  it("shows the steps a tool call finished", async () => {
    const dir = join(cwd, ".loom", "steps");
    const journal = new FsJournal({ dir });
    const order = tool({
      name: "order",
      description: "d",
      input: z.object({}),
      run: async (_args, { step }) => (await step("charge", () => ({ id: "ch_42" }))).id,
    });
    await createAgent({
      journal,
      tools: [order],
      provider: new ScriptedProvider([
        { toolCalls: [{ id: "c1", name: "order", args: {} }] },
        { text: "ok" },
      ]),
    }).run("Order", { threadId: "t" });
    await journal.close();
    const { stdout } = await loom("--journal", `file://${dir}`, "events", "t", "--type", "tool.step");
    expect(stdout.trim()).toMatch(/^\s*\d+ tool\.step\s+\[c1@\d+\] step "charge" done = \{"id":"ch_42"\}$/);
  });

  it("says when a run was resumed with a changed output schema", async () => {
    const dir = join(cwd, ".loom", "reshaped");
    const journal = new FsJournal({ dir });
    const lookup = tool({ name: "lookup", description: "d", input: z.object({}), run: () => "x" });
    const agent = (hooks: Hook[]) =>
      createAgent({
        journal,
        hooks,
        tools: [lookup],
        provider: new ScriptedProvider({
          mode: "conversation",
          turns: [{ toolCalls: [{ id: "c1", name: "lookup", args: {} }] }, { text: '{"a":"x","b":"y"}' }],
        }),
      });
    const guard: Hook = { name: "guard", beforeToolExecution: () => ({ interrupt: "needs a human" }) };
    await agent([guard]).run("Shape?", { threadId: "t", output: z.object({ a: z.string() }) });
    await agent([]).resume("t", {
      decisions: { c1: { approve: true } },
      output: z.object({ a: z.string(), b: z.string() }),
    });
    await journal.close();
    const { stdout } = await loom("--journal", `file://${dir}`, "events", "t", "--type", "run");
    expect(stdout).toMatch(
      /run\.resumed\s+resumed with a human's decisions, with a changed output schema \("agent" [0-9a-f]{8}\)/,
    );
  });

  it("names the provider of each failed model call with fallbackProviders, and says when the turn moved on", async () => {
    const fallbackDir = join(cwd, ".loom", "fallback");
    const journal = new FsJournal({ dir: fallbackDir });
    const down = new ScriptedProvider({
      provider: "openai",
      modelId: "gpt-main",
      turns: [{ failFirst: [{ code: "overloaded", message: "busy" }] }],
    });
    const backup = new ScriptedProvider({
      turns: [{ text: "hi" }],
      provider: "anthropic",
      modelId: "claude",
    });
    await createAgent({ journal, provider: fallbackProviders([down, backup]) }).run("Hi", {
      threadId: "t-fb",
    });
    await journal.close();
    const { stdout } = await loom("--journal", `file://${fallbackDir}`, "events", "t-fb", "--type", "llm");
    expect(stdout).toMatch(/llm\.failed\s+openai\/gpt-main overloaded: busy \(next provider\)/);
  });

  it("shows the transcript", async () => {
    const { stdout } = await loom("--journal", URL_, "show", "t-one");
    expect(stdout).toContain("Thread t-one: completed, 2 iterations");
    expect(stdout).toContain(
      'assistant: Let me look.\n  → call lookup({"q":"loom"}) [c1]\n  ← result lookup: found loom',
    );
    expect(stdout).toContain("assistant: Loom is a framework.");
  });

  it("explains the context of an iteration, and says when there is no such iteration", async () => {
    const ok = await loom("--journal", URL_, "explain", "t-one", "--iteration", "2");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/history/);
    const summary = await loom("--journal", URL_, "explain", "t-one");
    expect(summary.code).toBe(0);
    const missing = await loom("--journal", URL_, "explain", "t-one", "--iteration", "99");
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^loom: .*99/);
  });

  it("writes a flame graph HTML file, or draws it as text", async () => {
    const { stdout, code } = await loom("--journal", URL_, "flame", "t-one", "-o", "flame.html");
    expect(code).toBe(0);
    expect(stdout).toContain(join(cwd, "flame.html"));
    expect(readFileSync(join(cwd, "flame.html"), "utf8")).toMatch(/^<!doctype html>/i);
    const text = await loom("--journal", URL_, "flame", "t-one");
    expect(text.stdout).toMatch(/lookup/);
  });

  it("flame draws a day in which nothing ran as a break, unless --idle-gap says otherwise", async () => {
    // t-one's events again, its answer a day later: a thread that waited a day between two steps.
    const journal = new FsJournal({ dir });
    const events = await readAll(journal, "t-one");
    const day = 86_400_000;
    const half = events.length >> 1;
    const shifted = events.map(({ threadId: _, seq: __, ...event }, i) => ({
      ...event,
      ts: event.ts + (i >= half ? day : 0),
    }));
    await journal.append("t-idle", shifted as NewEvent[], -1);
    await journal.close();
    const broken = await loom("--journal", URL_, "flame", "t-idle");
    expect(broken.code).toBe(0);
    expect(broken.stdout).toMatch(/\(┊ nothing ran: 1 d 0 h from \d+ ms; each drawn 3 columns wide\)\n$/);
    for (const flag of ["off", "90000"]) {
      const even = await loom("--journal", URL_, "flame", "t-idle", "--idle-gap", flag);
      expect(even.code).toBe(0);
      expect(even.stdout).not.toContain("nothing ran");
    }
    expect((await loom("--journal", URL_, "flame", "t-idle", "--idle-gap", "60")).stdout).toContain(
      "nothing ran",
    );
    await loom("--journal", URL_, "flame", "t-idle", "-o", "idle.html", "--idle-gap", "off");
    expect(readFileSync(join(cwd, "idle.html"), "utf8")).not.toContain('class="gap"');
    await loom("--journal", URL_, "flame", "t-idle", "-o", "idle.html");
    expect(readFileSync(join(cwd, "idle.html"), "utf8")).toContain("idle 1 d 0 h");
    const bad = await loom("--journal", URL_, "flame", "t-idle", "--idle-gap", "soon");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--idle-gap must be a number of seconds or "off", got "soon".');
  });

  it("forks a thread and refuses to fork into an existing one", async () => {
    expect((await loom("--journal", URL_, "fork", "t-one", "--at", "4", "--to", "t-fork")).code).toBe(0);
    expect((await loom("--journal", URL_, "threads", "--prefix", "t-fork")).stdout).toMatch(/t-fork\s+5/);
    const again = await loom("--journal", URL_, "fork", "t-one", "--at", "4", "--to", "t-fork");
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
  });

  it("tails a thread: what is there, then what is appended, until the run ends", async () => {
    const journal = new FsJournal({ dir });
    const agent = createAgent({
      journal,
      provider: new ScriptedProvider([{ text: "late answer", delayMs: 300 }]),
    });
    const running = agent.run("hello", { threadId: "t-live" });
    await new Promise((r) => setTimeout(r, 100));
    const tail = await loom("--journal", URL_, "tail", "t-live", "--until-end");
    await running;
    await journal.close();
    expect(tail.code).toBe(0);
    expect(tail.stdout.trim().split("\n").at(-1)).toMatch(/run\.completed\s+"late answer"/);
  });

  it("fails clearly: bad URL (2), missing thread (3), corrupt journal (4), bad usage (2)", async () => {
    const badUrl = await loom("--journal", "ftp://x", "threads");
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toMatch(/scheme ftp: is not supported/);
    const missing = await loom("--journal", URL_, "show", "nope");
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/No thread "nope"/);
    const corruptDir = join(cwd, "corrupt");
    const source = readFileSync(join(dir, "t-one.jsonl"), "utf8").split("\n");
    mkdirSync(corruptDir);
    const lines = source.map((l) => l.replaceAll(`"threadId":"t-one"`, `"threadId":"t-bad"`));
    writeFileSync(join(corruptDir, "t-bad.jsonl"), [lines[0], "{not json", ...lines.slice(1)].join("\n"));
    const corrupt = await loom("--journal", `file://${corruptDir}`, "show", "t-bad");
    expect(corrupt.code).toBe(4);
    expect(corrupt.stderr).toMatch(/t-bad\.jsonl.*line 2/);
    expect((await loom("--journal", URL_, "bogus")).code).toBe(2);
    expect((await loom("--journal", URL_, "events")).stderr).toMatch(/needs a thread id/);
    expect((await loom("--journal", URL_, "events", "t-one", "--from", "x")).code).toBe(2);
  });

  it.each([
    [
      ["--journal", "file:///nonexistent/loom", "threads"],
      2,
      /Journal folder \/nonexistent\/loom .*does not exist/,
    ],
    [["--journal", URL_, "explain", "t-one", "--frame", "nope"], 3, /has no frame "nope"\. Its frames: root/],
    [
      ["--journal", URL_, "events", "t-one", "--type", "bogus"],
      2,
      /--type "bogus" is not an event type\. Types: run\.started/,
    ],
    [["--journal", URL_, "events", "t-one", "--from", "5", "--to", "2"], 2, /--from 5 is after --to 2/],
    [
      ["--journal", URL_, "flame", "t-one", "-o", "/missing/dir/x.html"],
      2,
      /the folder \/missing\/dir does not exist/,
    ],
    [["--journal", URL_, "threads", "--limit", "-3"], 2, /--limit must be a non-negative integer, got "-3"/],
  ])("refuses %j with exit %i and says what is wrong", async (argv, exit, message) => {
    const { code, stderr, stdout } = await loom(...argv);
    expect(code).toBe(exit);
    expect(stderr).toMatch(message);
    expect(stdout).toBe("");
  });

  it("takes a plain folder path as a journal-fs journal", async () => {
    const { code, stdout } = await loom("--journal", ".loom/journal", "threads");
    expect(code).toBe(0);
    expect(stdout).toMatch(/t-one/);
  });

  it("shows a progress bar on stderr for long reads, only on a terminal", async () => {
    const journal = new FsJournal({ dir });
    await journal.append("t-long", sampleEvents(3000), -1);
    await journal.close();
    let stderr = "";
    const tty = { write: (t: string) => (stderr += t), isTTY: true };
    const code = await runCli(["--journal", URL_, "show", "t-long"], {
      stdout: { write: () => true },
      stderr: tty,
      cwd,
      env: {},
    });
    expect(code).toBe(0);
    expect(stderr).toContain("reading t-long [");
    expect(stderr).toContain("] 3000/3000");
    expect((await loom("--journal", URL_, "show", "t-long")).stderr).toBe("");
  });

  it("runs as the built `loom` binary", async () => {
    const bin = fileURLToPath(new URL("../bin/loom.js", import.meta.url));
    expect(
      existsSync(fileURLToPath(new URL("../dist/bin.js", import.meta.url))),
      "run `pnpm build` first",
    ).toBe(true);
    expect(existsSync(bin), "run `pnpm build` first").toBe(true);
    const { stdout } = await promisify(execFile)(process.execPath, [bin, "threads"], {
      cwd,
      env: { ...process.env, LOOM_JOURNAL: "file://./.loom/journal" },
    });
    expect(stdout).toMatch(/t-one/);
  });
});
