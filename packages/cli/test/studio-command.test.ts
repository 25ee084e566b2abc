import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCli } from "@loom/cli";
import { type Journal, readAll } from "@loom/core";
import { FsJournal } from "@loom/journal-fs";
import { PostgresJournal } from "@loom/journal-postgres";
import { type ThreadJobOutcome, ThreadQueue } from "@loom/journal-postgres/queue";
import { sampleEvents } from "@loom/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// `loom studio`: Loom Studio over the journal URL, printing its URL with the token; with --agent,
// a decision made on the page resumes the thread in the studio's process.

const cwd = mkdtempSync(join(tmpdir(), "loom-cli-studio-"));
const dir = join(cwd, "journal");
const log = join(cwd, "ran.log");
const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));
const agentModule = join(fixtures, "steer-agent.mjs");
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

beforeAll(async () => {
  process.env.LOOM_TEST_LOG = log;
  const { default: make } = (await import(agentModule)) as {
    default: (journal: Journal) => {
      run(input: string, o: { threadId: string }): Promise<{ status: string }>;
    };
  };
  const journal = new FsJournal({ dir });
  try {
    await journal.append("studio-thread", sampleEvents(5), -1);
    expect((await make(journal).run("clean up", { threadId: "studio-paused" })).status).toBe("interrupted");
  } finally {
    await journal.close();
  }
});

/** Starts `loom studio ...` and resolves once it printed its URL (or exited); `stop()` is Ctrl-C. */
async function loomStudio(...argv: string[]) {
  return loomStudioOn(`file://${dir}`, ...argv);
}

async function loomStudioOn(journalUrl: string, ...argv: string[]) {
  const controller = new AbortController();
  let stdout = "";
  let stderr = "";
  let printed: (url: string) => void = () => undefined;
  const url = new Promise<string>((resolve) => {
    printed = resolve;
  });
  const exit = runCli(
    ["--journal", journalUrl, "studio", ...argv],
    {
      stdout: {
        write: (text: string) => {
          stdout += text;
          const match = /Loom Studio: (\S+)/.exec(stdout);
          if (match) printed(match[1]!);
        },
      },
      stderr: { write: (text: string) => (stderr += text) },
      cwd: fixtures,
      env: {},
    },
    controller.signal,
  );
  const first = await Promise.race([url, exit.then((code) => ({ code }))]);
  const address = typeof first === "string" ? new URL(first) : undefined;
  return {
    address,
    headers: { authorization: `Bearer ${address?.searchParams.get("token")}` },
    exit,
    output: () => ({ stdout, stderr }),
    stop: async () => {
      controller.abort();
      return exit;
    },
  };
}

describe("loom studio", () => {
  it("serves the journal on 127.0.0.1, prints the URL with its token, and stops on Ctrl-C", async () => {
    const studio = await loomStudio("--port", "0");
    expect(studio.address?.href).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}$/);
    const { origin } = studio.address!;
    const threads = await fetch(`${origin}/api/threads`, { headers: studio.headers });
    expect(
      ((await threads.json()) as { threads: { threadId: string }[] }).threads.map((t) => t.threadId),
    ).toEqual(["studio-paused", "studio-thread"]);
    expect((await fetch(`${origin}/api/threads`)).status).toBe(401);
    expect(studio.output().stdout).toContain("No --agent or --queue");
    expect(await studio.stop()).toBe(0);
    await expect(fetch(`${origin}/api/threads`)).rejects.toThrow();
  });

  it("with --agent, an approval on the page resumes the thread in the studio's process: the call runs once", async () => {
    const studio = await loomStudio("--agent", "./steer-agent.mjs");
    const { origin } = studio.address!;
    expect(studio.output().stdout).toContain('agent "agent"');
    const approved = await fetch(`${origin}/api/threads/studio-paused/decisions`, {
      method: "POST",
      headers: { ...studio.headers, origin, "content-type": "application/json" },
      body: JSON.stringify({ decisions: { call_1: { approve: true } } }),
    });
    expect(await approved.json()).toMatchObject({ resuming: true, pending: 0 });
    let last = "";
    for (let i = 0; i < 200 && last !== "run.completed"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const page = await fetch(`${origin}/api/threads/studio-paused/events?limit=1`, {
        headers: studio.headers,
      });
      last = ((await page.json()) as { events: { type: string }[] }).events[0]!.type;
    }
    expect(last).toBe("run.completed");
    expect(await studio.stop()).toBe(0);
    expect(readFileSync(log, "utf8").split("\n").filter(Boolean)).toEqual(["/tmp/junk"]);
    const journal = new FsJournal({ dir });
    expect((await readAll(journal, "studio-paused")).filter((e) => e.type === "tool.started")).toHaveLength(
      1,
    );
    await journal.close();
  });

  it("with --prices, shows each thread's cost by the prices in that JSON file", async () => {
    const prices = join(cwd, "prices.json");
    writeFileSync(prices, JSON.stringify({ scripted: { "scripted-model": { input: 3, output: 15 } } }));
    const studio = await loomStudio("--port", "0", "--prices", prices);
    const { origin } = studio.address!;
    const summary = (await (
      await fetch(`${origin}/api/threads/studio-paused/summary`, { headers: studio.headers })
    ).json()) as { inputTokens: number; outputTokens: number; cost?: number };
    expect(summary.inputTokens).toBeGreaterThan(0);
    expect(summary.cost).toBeCloseTo((summary.inputTokens * 3 + summary.outputTokens * 15) / 1e6, 12);
    expect(await studio.stop()).toBe(0);

    writeFileSync(prices, JSON.stringify({ scripted: { "scripted-model": { input: "3" } } }));
    const wrong = await loomStudio("--prices", prices);
    expect(await wrong.exit).toBe(2);
    expect(wrong.output().stderr).toContain('prices at "scripted.scripted-model.input"');
    const missing = await loomStudio("--prices", join(cwd, "no-such-prices.json"));
    expect(await missing.exit).toBe(2);
    expect(missing.output().stderr).toContain("--prices: cannot read");
  });

  it("refuses a module without an agent, and a bad port, as usage errors", async () => {
    const notAgent = await loomStudio("--agent", "./steer-not-an-agent.mjs");
    expect(notAgent.address).toBeUndefined();
    expect(await notAgent.exit).toBe(2);
    expect(notAgent.output().stderr).toContain("exports no agent");
    const badPort = await loomStudio("--port", "http");
    expect(await badPort.exit).toBe(2);
    expect(badPort.output().stderr).toContain("--port must be a non-negative integer");
    expect(existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : []).toHaveLength(1);
  });
});

describe("loom studio --queue over a postgres:// journal", () => {
  const DATABASE = process.env.LOOM_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/loom_test";
  const schema = `loom_cli_studio_${process.pid}`;
  const bossSchema = `loom_cli_studio_boss_${process.pid}`;
  const queueLog = join(cwd, "queue-ran.log");

  afterAll(async () => {
    const client = new pg.Client({ connectionString: DATABASE });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.query(`DROP SCHEMA IF EXISTS ${bossSchema} CASCADE`);
    await client.end();
  });

  it("hands a thread decided on the page to the queue's workers: a worker runs the call once", async () => {
    process.env.LOOM_TEST_LOG = queueLog;
    const journal = new PostgresJournal({ connectionString: DATABASE, schema });
    const workers = new ThreadQueue({ journal, queue: "studio-q", bossSchema });
    try {
      const { default: make } = (await import(agentModule)) as {
        default: (journal: Journal) => Parameters<ThreadQueue["work"]>[0];
      };
      const agent = make(journal);
      const outcomes: ThreadJobOutcome[] = [];
      await workers.work(agent, { onOutcome: (o) => outcomes.push(o) });
      expect((await agent.run("clean up", { threadId: "pg-studio" })).status).toBe("interrupted");

      const studio = await loomStudioOn(
        `${DATABASE}?schema=${schema}`,
        ...["--queue", "studio-q", "--boss-schema", bossSchema],
      );
      expect(studio.output().stdout).toContain('handed to the workers of queue "studio-q"');
      const { origin } = studio.address!;
      const approved = await fetch(`${origin}/api/threads/pg-studio/decisions`, {
        method: "POST",
        headers: { ...studio.headers, origin, "content-type": "application/json" },
        body: JSON.stringify({ decisions: { call_1: { approve: true } } }),
      });
      expect(await approved.json()).toMatchObject({ resuming: true, pending: 0 });
      for (let i = 0; i < 400 && !outcomes.some((o) => o.threadId === "pg-studio"); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(outcomes.find((o) => o.threadId === "pg-studio")).toMatchObject({ status: "completed" });
      expect(await studio.stop()).toBe(0);
      expect(readFileSync(queueLog, "utf8").split("\n").filter(Boolean)).toEqual(["/tmp/junk"]);
    } finally {
      await workers.stop({ timeoutMs: 5_000 });
      await journal.close();
    }
  });

  it("refuses --queue on a journal-fs folder, and --agent with --queue", async () => {
    const onFolder = await loomStudio("--queue", "studio-q");
    expect(await onFolder.exit).toBe(2);
    expect(onFolder.output().stderr).toContain("needs a postgres:// journal");
    const both = await loomStudio("--queue", "studio-q", "--agent", "./steer-agent.mjs");
    expect(await both.exit).toBe(2);
    expect(both.output().stderr).toContain("--agent or --queue, not both");
  });
});
