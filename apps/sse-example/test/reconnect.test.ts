import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Journal, MemoryJournal, readAll } from "@loom/core";
import { parseEventStream } from "@loom/http";
import { FsJournal } from "@loom/journal-fs";
import { seededRandom } from "@loom/testing";
import { afterAll, describe, expect, it } from "vitest";
import { exampleAgent, startExampleServer } from "../src/index.js";

const TOKEN = "example-token-0123456789abcdef";
const root = mkdtempSync(join(tmpdir(), "loom-sse-example-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const runAgent = fileURLToPath(new URL("./fixtures/run-agent.mjs", import.meta.url));

interface Tally {
  readonly seqs: number[];
  gaps: number;
  duplicates: number;
  disconnects: number;
  ended: boolean;
}

/**
 * A client that drops its connection at random points (mid-event included: the socket is cut, not
 * closed politely) and reconnects with the last seq it saw as `Last-Event-ID`, until the run's end.
 */
async function flakyClient(
  eventsUrl: string,
  random: () => number,
  maxMs: number,
  before?: Tally,
): Promise<Tally> {
  const tally: Tally = before
    ? { ...before, ended: false }
    : { seqs: [], gaps: 0, duplicates: 0, disconnects: 0, ended: false };
  while (!tally.ended) {
    const controller = new AbortController();
    const last = tally.seqs.at(-1);
    const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` };
    if (last !== undefined) headers["last-event-id"] = String(last);
    const cut = setTimeout(() => controller.abort(), random() * maxMs);
    try {
      const response = await fetch(eventsUrl, { headers, signal: controller.signal });
      for await (const message of parseEventStream(response.body!)) {
        if (message.event === "end") {
          tally.ended = true;
          break;
        }
        if (message.event !== "event") continue;
        const seq = Number(message.id);
        const previous = tally.seqs.at(-1) ?? -1;
        if (seq <= previous) tally.duplicates++;
        else if (seq !== previous + 1) tally.gaps++;
        tally.seqs.push(seq);
      }
    } catch {
      tally.disconnects++;
    } finally {
      clearTimeout(cut);
    }
  }
  return tally;
}

async function checkTally(tally: Tally, journal: Journal, threadId: string) {
  const journaled = (await readAll(journal, threadId)).map((e) => e.seq);
  expect({ gaps: tally.gaps, duplicates: tally.duplicates }).toEqual({ gaps: 0, duplicates: 0 });
  expect(tally.seqs).toEqual(journaled);
  expect(tally.disconnects).toBeGreaterThanOrEqual(5);
}

async function approveAll(origin: string, threadId: string, token: string): Promise<void> {
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const thread = (await (await fetch(`${origin}/api/threads/${threadId}`, { headers })).json()) as {
    pending: { ref: string }[];
  };
  expect(thread.pending).toHaveLength(1);
  const decisions = Object.fromEntries(thread.pending.map((p) => [p.ref, { approve: true }]));
  const response = await fetch(`${origin}/api/threads/${threadId}/decisions`, {
    method: "POST",
    headers,
    body: JSON.stringify({ decisions }),
  });
  expect(response.status).toBe(200);
}

/** Runs the example's agent in a child process; resolves with what it printed once it exits. */
function child(dir: string, threadId: string, mode: "run" | "resume", files: number): Promise<string> {
  const proc = spawn(process.execPath, [runAgent, dir, threadId, mode, String(files)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  proc.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) =>
    proc.on("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`child exited ${code}: ${out}`)),
    ),
  );
}

describe("the example app, to a client that disconnects at random points and reconnects with Last-Event-ID", () => {
  it("misses nothing and sees nothing twice, across a pause for approval, while the server runs the thread", async () => {
    const journal = new MemoryJournal();
    const server = await startExampleServer({
      journal,
      agent: exampleAgent(journal, { files: 40, stepMs: 8 }),
      token: TOKEN,
    });
    try {
      const started = await fetch(`${server.origin}/api/threads/t1/runs`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ input: "Tidy up the reports" }),
      });
      expect(started.status).toBe(202);
      const random = seededRandom(7);
      const paused = await flakyClient(`${server.origin}/api/threads/t1/events`, random, 60);
      await approveAll(server.origin, "t1", TOKEN);
      const rest = await flakyClient(`${server.origin}/api/threads/t1/events`, random, 60, paused);
      await checkTally(rest, journal, "t1");
      expect((await readAll(journal, "t1")).at(-1)!.type).toBe("run.completed");
    } finally {
      await server.close();
    }
  });

  it("misses nothing and sees nothing twice while other processes run and resume the thread (journal-fs)", async () => {
    const dir = join(root, "cross-process");
    const journal = new FsJournal({ dir, subscribePollMs: 2_000 });
    // This server only streams and journals decisions: child processes run and resume the thread.
    const server = await startExampleServer({ journal, token: TOKEN });
    try {
      const random = seededRandom(11);
      const running = child(dir, "t2", "run", 40);
      const paused = await flakyClient(`${server.origin}/api/threads/t2/events`, random, 60);
      expect(await running).toContain("interrupted");
      await approveAll(server.origin, "t2", TOKEN);
      const resuming = child(dir, "t2", "resume", 40);
      const rest = await flakyClient(`${server.origin}/api/threads/t2/events`, random, 60, paused);
      expect(await resuming).toContain("completed");
      await checkTally(rest, journal, "t2");
    } finally {
      await server.close();
      await journal.close();
    }
  });
});
