import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { runCli } from "@loom/cli";
import { type Agent, createAgent, EVENT_VERSION, readAll } from "@loom/core";
import { PostgresJournal } from "@loom/journal-postgres";
import { type ThreadJobOutcome, ThreadQueue } from "@loom/journal-postgres/queue";
import { blockingTool, ScriptedProvider, sampleEvents } from "@loom/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const DATABASE = process.env.LOOM_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/loom_test";
const schema = `loom_cli_${process.pid}`;
const url = `${DATABASE}?schema=${schema}`;
let journal: PostgresJournal;

async function loom(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    cwd: process.cwd(),
    env: {},
  });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  journal = new PostgresJournal({ connectionString: DATABASE, schema });
  await journal.append("pg-thread", sampleEvents(5), -1);
});
afterAll(async () => {
  await journal.close();
  const client = new pg.Client({ connectionString: DATABASE });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
});

describe("loom over a postgres:// journal", () => {
  it("lists threads and shows events", async () => {
    const threads = await loom("--journal", url, "threads");
    expect(threads.code, threads.stderr).toBe(0);
    expect(threads.stdout).toMatch(/pg-thread\s+5/);
    const events = await loom("--journal", url, "events", "pg-thread", "--json");
    expect(
      events.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).seq),
    ).toEqual([0, 1, 2, 3, 4]);
  });

  it("tails live through LISTEN/NOTIFY until the run ends", async () => {
    const tail = loom("--journal", url, "tail", "pg-thread", "--until-end");
    await new Promise((r) => setTimeout(r, 300));
    await journal.append(
      "pg-thread",
      [
        {
          v: EVENT_VERSION,
          runId: "run-1",
          ts: 1,
          frameId: "root",
          depth: 0,
          iteration: 2,
          type: "run.completed",
          data: { text: "live" },
        },
      ],
      4,
    );
    const { code, stdout } = await tail;
    expect(code).toBe(0);
    expect(stdout.trim().split("\n").at(-1)).toMatch(/5 run\.completed\s+"live"/);
  });

  it("the loom binary (@loom/core bundled in) reads it with @loom/journal-postgres from node_modules", async () => {
    const bin = fileURLToPath(new URL("../bin/loom.js", import.meta.url));
    const run = (...argv: string[]) =>
      promisify(execFile)(process.execPath, [bin, "--journal", url, ...argv], {
        env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: "1" },
      });
    expect((await run("threads")).stdout).toMatch(/pg-thread\s+\d+/);
    expect((await run("show", "pg-thread")).stdout).toMatch(/^Thread pg-thread: /);
    expect((await run("explain", "pg-thread")).stdout).toMatch(/Context of frame "root"/);
    // A thread the journal does not have: exit code 3 (not found), as from runCli.
    await expect(run("show", "nope")).rejects.toMatchObject({
      code: 3,
      stderr: expect.stringContaining('No thread "nope"'),
    });
  });

  it("loom cancel asks the process running a thread to cancel it, and says so once that run journaled run.cancelled", async () => {
    const { tool: crunch, started } = blockingTool();
    const provider = new ScriptedProvider([{ toolCalls: [{ id: "c1", name: "crunch", args: {} }] }]);
    const run = createAgent({ journal, provider, tools: [crunch] }).run("go", { threadId: "busy-thread" });
    const stopped = run.catch((e: unknown) => e);
    await started;
    const asked = await loom("--journal", url, "cancel", "busy-thread", "--reason", "from a terminal");
    expect(asked.code, asked.stderr).toBe(0);
    expect(asked.stdout).toBe("Cancelled thread busy-thread: from a terminal\n");
    expect(String(await stopped)).toContain("from a terminal");
    expect((await readAll(journal, "busy-thread")).at(-1)?.type).toBe("run.cancelled");
  });

  it("loom prune deletes the finished threads last written over the age, leaving new, unfinished and held ones", async () => {
    const completed = { ...sampleEvents(1)[0]!, type: "run.completed", data: { text: "done" } } as const;
    for (const id of ["prune-old", "prune-held", "prune-new"]) {
      await journal.append(id, [...sampleEvents(3), completed], -1);
    }
    await journal.append("prune-unfinished", sampleEvents(3), -1);
    const client = new pg.Client({ connectionString: DATABASE });
    await client.connect();
    await client.query(
      `UPDATE ${schema}.batches SET appended_at = now() - interval '40 days' WHERE thread_id <> 'prune-new'`,
    );
    await client.end();
    const lease = await journal.acquire("prune-held");
    try {
      const listed = await loom("--journal", url, "prune", "--older-than", "30d", "--prefix", "prune-");
      expect(listed.stdout).toMatch(
        /prune-held\s+4\s+completed\s+40 d ago\nprune-old\s+4\s+completed\s+40 d ago/,
      );
      expect(listed.stdout).toContain("Would delete 2 threads");
      const pruned = await loom(
        "--journal",
        url,
        "prune",
        "--older-than",
        "30d",
        "--prefix",
        "prune-",
        "--yes",
      );
      expect(pruned.code, pruned.stderr).toBe(0);
      expect(pruned.stdout).toContain("Deleted 1 thread");
      expect(pruned.stdout).toContain("Left 1: prune-held (a run holds it).");
    } finally {
      await lease.release();
    }
    const heads = await Promise.all(
      ["prune-old", "prune-held", "prune-new", "prune-unfinished"].map((id) => journal.head(id)),
    );
    expect(heads).toEqual([-1, 3, 3, 2]);
    const deleted = await loom("--journal", url, "delete", "prune-held", "--yes");
    expect(deleted.stdout).toBe("Deleted thread prune-held (4 events, completed).\n");
    expect(await journal.head("prune-held")).toBe(-1);
  });

  it("says what is wrong with a bad postgres URL, without the password", async () => {
    const bad = await loom("--journal", "postgres://user:s3cret@127.0.0.1:1/nowhere", "threads");
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).not.toContain("s3cret");
  });
});

describe("loom approve --queue", () => {
  it("journals the decision and hands the thread to a ThreadQueue, whose worker runs the call once", async () => {
    const agentModule = fileURLToPath(new URL("./fixtures/steer-agent.mjs", import.meta.url));
    const { default: make } = (await import(agentModule)) as {
      default: (journal: PostgresJournal) => Agent;
    };
    const log = join(mkdtempSync(join(tmpdir(), "loom-cli-queue-")), "ran.log");
    process.env.LOOM_TEST_LOG = log;
    const agent = make(journal);
    const paused = await agent.run("clean up", { threadId: "queued" });
    expect(paused.status).toBe("interrupted");
    const ref = paused.status === "interrupted" ? paused.pending[0]!.ref : "";
    const bossSchema = `${schema}_boss`;
    const queue = new ThreadQueue({ journal, queue: "cli-approvals", bossSchema });
    const outcomes: ThreadJobOutcome[] = [];
    await queue.work(agent, { onOutcome: (o) => outcomes.push(o) });
    try {
      const approved = await loom(
        "--journal",
        url,
        "approve",
        "queued",
        ref,
        "--queue",
        "cli-approvals",
        "--boss-schema",
        bossSchema,
      );
      expect(approved.stderr).toBe("");
      expect(approved.stdout).toContain('Handed thread queued to queue "cli-approvals"');
      for (let i = 0; i < 200 && outcomes.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(outcomes).toMatchObject([{ status: "completed", threadId: "queued", text: "cleaned up" }]);
      expect(readFileSync(log, "utf8")).toBe("/tmp/junk\n");
    } finally {
      await queue.stop();
      const client = new pg.Client({ connectionString: DATABASE });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${bossSchema} CASCADE`);
      await client.end();
    }
  });
});
