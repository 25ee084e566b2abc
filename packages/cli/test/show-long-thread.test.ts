import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAgent, tool } from "@loom/core";
import { FsJournal } from "@loom/journal-fs";
import { ScriptedProvider } from "@loom/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { loomOn } from "./run-cli.ts";

const cwd = mkdtempSync(join(tmpdir(), "loom-cli-long-"));
const dir = join(cwd, "journal");
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

const loom = (...argv: string[]) => loomOn(dir, cwd, argv);

const ITERATIONS = 150;

beforeAll(async () => {
  const journal = new FsJournal({ dir });
  for (const threadId of ["t-long", "t-whole"]) await count(journal, threadId);
  await journal.close();
  // Damage the thread's first line: whatever reads the thread from its start now fails.
  const file = join(dir, "t-long.jsonl");
  const text = readFileSync(file, "utf8");
  writeFileSync(file, `${"#".repeat(text.indexOf("\n"))}${text.slice(text.indexOf("\n"))}`);
});

async function count(journal: FsJournal, threadId: string) {
  let n = 0;
  await createAgent({
    journal,
    tools: [
      tool({
        name: "add",
        description: "adds one",
        input: z.object({}),
        run: () => `total ${++n}`,
      }),
    ],
    context: { windowTokens: 300, reservedOutputTokens: 20 },
    maxIterations: ITERATIONS + 2,
    maxNearRepeatedToolCalls: 0,
    maxRepeatedToolCalls: ITERATIONS + 2,
    snapshots: { everyEvents: 200 },
    provider: new ScriptedProvider({
      select: () => (n < ITERATIONS ? 0 : 1),
      turns: [
        { text: "adding", toolCalls: [{ name: "add", args: {} }] },
        { text: `Counted to ${ITERATIONS}.` },
      ],
    }),
  }).run("count", { threadId });
}

describe("loom show on a long thread", () => {
  it("--last N reads the end of the thread only (from its latest snapshot)", async () => {
    const { code, stdout, stderr } = await loom("show", "t-long", "--last", "3");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Thread t-long: completed, 151 iterations/);
    expect(stdout).toContain(`… ${2 * ITERATIONS + 2 - 3} earlier messages (--last 3)`);
    expect(stdout).toContain(`← result add: total ${ITERATIONS}`);
    expect(stdout).toContain(`assistant: Counted to ${ITERATIONS}.`);
    expect(stdout).not.toContain("total 1\n");
  });

  it("explain --last N explains the last iterations from the end of the thread", async () => {
    const { code, stdout, stderr } = await loom("explain", "t-long", "--last", "3", "--iteration", "150");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toMatch(/[Ii]teration 150/);
    expect((await loom("explain", "t-long")).code).not.toBe(0);
  });

  it("the whole transcript reads the whole thread (and so meets the damage)", async () => {
    const { code, stderr } = await loom("show", "t-long");
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/t-long\.jsonl.*line 1/);
  });

  it("the whole transcript (one read from the start) is what the snapshot path shows, at every point", async () => {
    const head = (await loom("events", "t-whole", "--json")).stdout.trim().split("\n").length - 1;
    expect(head).toBeGreaterThan(600);
    for (const at of [0, 5, 199, 200, 201, 450, 600, head - 1, head]) {
      const whole = await loom("show", "t-whole", "--at", String(at));
      expect(whole.code).toBe(0);
      // --last with more messages than there are: from the latest snapshot, every message.
      const fromSnapshot = await loom("show", "t-whole", "--at", String(at), "--last", "100000");
      expect(fromSnapshot.stdout).toBe(whole.stdout);
      const last = await loom("show", "t-whole", "--at", String(at), "--last", "3");
      const tail = last.stdout.trimEnd().split("\n").slice(-3);
      expect(whole.stdout.trimEnd().split("\n").slice(-tail.length)).toEqual(tail);
    }
    expect((await loom("show", "t-whole")).stdout).toBe(
      (await loom("show", "t-whole", "--at", String(head))).stdout.replace(` (at seq ${head})`, ""),
    );
  });

  it("--at past the end is a usage error naming the last seq", async () => {
    const { code, stderr } = await loom("show", "t-long", "--at", "999999");
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/--at 999999 is past the thread's last seq, \d+/);
  });
});
