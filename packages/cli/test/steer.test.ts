import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Journal, readAll } from "@loom/core";
import { FsJournal } from "@loom/journal-fs";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { loomOn } from "./run-cli.ts";

// `loom pending / approve / reject / resume / cancel`: a paused call decided from a terminal, and
// the run carried on by the user's agent module. The tool logs each run to a file: the proof that
// an approved call runs once and a rejected one never.

const root = mkdtempSync(join(tmpdir(), "loom-cli-steer-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const agentModule = fileURLToPath(new URL("./fixtures/steer-agent.mjs", import.meta.url));
let n = 0;
let dir: string;
let log: string;

async function loom(...argv: string[]) {
  process.env.LOOM_TEST_LOG = log;
  return loomOn(dir, root, argv);
}

const ran = () => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : []);

async function journalOf<T>(use: (journal: Journal) => Promise<T>): Promise<T> {
  const journal = new FsJournal({ dir });
  try {
    return await use(journal);
  } finally {
    await journal.close();
  }
}

/** Runs the fixture agent on `threadId` until it pauses; returns the waiting call's ref. */
async function paused(threadId: string): Promise<string> {
  const { default: make } = (await import(agentModule)) as {
    default: (journal: Journal) => {
      run(input: string, o: { threadId: string }): Promise<{ status: string; pending?: { ref: string }[] }>;
    };
  };
  return journalOf(async (journal) => {
    const result = await make(journal).run("clean up", { threadId });
    expect(result.status).toBe("interrupted");
    return result.pending![0]!.ref;
  });
}

beforeEach(() => {
  dir = join(root, `journal-${n}`);
  log = join(root, `ran-${n++}.log`);
});

describe("loom pending", () => {
  it("lists every waiting call with its thread, ref, tool, arguments and reason", async () => {
    const refA = await paused("ops-a");
    await paused("ops-b");
    const { code, stdout } = await loom("pending");
    expect(code).toBe(0);
    expect(stdout).toMatch(/THREAD\s+CALL\s+TOOL\s+ARGUMENTS\s+REASON/);
    expect(stdout).toContain(`ops-a   ${refA}  delete_path  {"path":"/tmp/junk"}  deleting needs a human`);
    expect(stdout).toContain("ops-b");
    expect(stdout).toContain(`loom approve ops-a ${refA}`);
    const json = JSON.parse((await loom("pending", "--prefix", "ops-b", "--json")).stdout) as {
      threadId: string;
    }[];
    expect(json.map((p) => p.threadId)).toEqual(["ops-b"]);
  });

  it("says when nothing waits", async () => {
    await journalOf(async (journal) => journal.append("empty", [], -1));
    expect((await loom("pending")).stdout).toBe("Nothing waits for a human.\n");
  });
});

describe("loom approve / reject", () => {
  it("approves and resumes with the user's agent module: the call runs once", async () => {
    const ref = await paused("t1");
    const approved = await loom("approve", "t1", ref, "--agent", agentModule);
    expect(approved.stderr).toBe("");
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain(`Approved: ${ref} in thread t1.`);
    expect(approved.stdout).toContain("tool.started");
    expect(approved.stdout).toContain("completed: cleaned up");
    expect(ran()).toEqual(["/tmp/junk"]);
    const again = await loom("approve", "t1", ref, "--agent", agentModule);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("has no call");
    expect(ran()).toEqual(["/tmp/junk"]);
  });

  it("records an approval without running anything; `loom resume --agent` carries it out", async () => {
    const ref = await paused("t1");
    const approved = await loom("approve", "t1", "call_1");
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain("Nothing waits now");
    expect(ran()).toEqual([]);
    const resumed = await loom("resume", "t1", "--agent", agentModule);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain("run.resumed");
    expect(resumed.stdout).toContain("resumed with a human's decisions");
    expect(ran()).toEqual(["/tmp/junk"]);
    expect(ref).toMatch(/^call_1@/);
  });

  it("approves with edited arguments", async () => {
    const ref = await paused("t1");
    expect(
      (await loom("approve", "t1", ref, "--args", '{"path":"/tmp/junk/old"}', "--agent", agentModule)).code,
    ).toBe(0);
    expect(ran()).toEqual(["/tmp/junk/old"]);
  });

  it("rejects with a reason: the call never runs and the model is told why", async () => {
    const ref = await paused("t1");
    const rejected = await loom("reject", "t1", ref, "--reason", "keep the junk", "--agent", agentModule);
    expect(rejected.code).toBe(0);
    expect(rejected.stdout).toContain(`Rejected: ${ref}`);
    expect(rejected.stdout).toContain("completed: cleaned up");
    expect(ran()).toEqual([]);
    const completions = await journalOf((journal) => readAll(journal, "t1"));
    const result = completions.find((e) => e.type === "tool.completed");
    expect(result?.type === "tool.completed" && result.data.content).toContain("keep the junk");
  });
});

describe("loom cancel", () => {
  it("cancels a paused thread: it leaves the pending list and nothing runs", async () => {
    await paused("t1");
    const cancelled = await loom("cancel", "t1", "--reason", "not today");
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toBe("Cancelled thread t1: not today\n");
    expect((await loom("pending")).stdout).toBe("Nothing waits for a human.\n");
    const again = await loom("cancel", "t1");
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("cancelled: there is no run to cancel");
    expect(ran()).toEqual([]);
  });
});

describe("mistakes get a clear message and change nothing", () => {
  it("names what is missing or wrong", async () => {
    await paused("t1");
    const cases: [string[], number, string][] = [
      [["approve", "t1"], 2, "needs the call"],
      [["approve", "t1", "call_1", "--args", "{not json"], 2, "--args must be JSON"],
      [["approve", "t1", "call_9"], 2, 'has no call "call_9" waiting'],
      [["approve", "nope", "call_1"], 3, "has no events"],
      [["resume", "t1"], 2, "needs --agent"],
      [["resume", "t1", "--agent", join(root, "missing.mjs")], 2, "Cannot load the agent module"],
      [
        [
          "resume",
          "t1",
          "--agent",
          fileURLToPath(new URL("./fixtures/steer-not-an-agent.mjs", import.meta.url)),
        ],
        2,
        "exports no agent",
      ],
      [["approve", "t1", "call_1", "--agent", agentModule, "--queue", "q"], 2, "not both"],
      [["approve", "t1", "call_1", "--queue", "q"], 2, "needs a postgres:// journal"],
    ];
    for (const [argv, code, message] of cases) {
      const result = await loom(...argv);
      expect({ argv, code: result.code }).toEqual({ argv, code });
      expect(result.stderr).toContain(message);
    }
    expect(ran()).toEqual([]);
    // The rejected attempts above recorded nothing: the call still waits.
    expect((await loom("pending")).stdout).toContain("call_1@");
  });
});
