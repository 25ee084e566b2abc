import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAgent, type Journal } from "@loom/core";
import { HITLHook } from "@loom/hooks";
import { FsJournal } from "@loom/journal-fs";
import { blockingTool, ScriptedProvider } from "@loom/testing";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { loomOn } from "./run-cli.ts";

// `loom delete` and `loom prune` on a journal-fs folder. journal-fs dates a thread's last write by
// its file (never before the file was created), so "old" threads here are written a second and a
// half before the others, and the ages asked for are a second.

const root = mkdtempSync(join(tmpdir(), "loom-cli-retention-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
let dir: string;

const loom = (...argv: string[]) => loomOn(dir, root, argv);

async function withJournal<T>(use: (journal: Journal) => Promise<T>): Promise<T> {
  const journal = new FsJournal({ dir });
  try {
    return await use(journal);
  } finally {
    await journal.close();
  }
}

const exists = (threadId: string) => existsSync(join(dir, `${threadId}.jsonl`));

beforeEach(async () => {
  dir = join(root, `journal-${n++}`);
  await withJournal(async (journal) => {
    const answer = (threadId: string) =>
      createAgent({ journal, provider: new ScriptedProvider([{ text: "ok" }]) }).run("hi", { threadId });
    await answer("old-done");
    await answer("old-done-2");
    await createAgent({
      journal,
      provider: new ScriptedProvider([{ toolCalls: [{ id: "c1", name: "charge", args: {} }] }]),
      tools: [blockingTool({ name: "charge" }).tool],
      hooks: [HITLHook({ tools: ["charge"] })],
    }).run("pay", { threadId: "old-waiting" });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await answer("new-done");
  });
});

describe("loom delete", () => {
  it("shows the thread and deletes nothing without --yes; deletes it with --yes", async () => {
    const shown = await loom("delete", "old-done");
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/old-done\s+\d+\s+completed\s+< 1 h ago/);
    expect(shown.stdout).toContain("Nothing deleted: add --yes to delete thread old-done");
    expect(exists("old-done")).toBe(true);

    const deleted = await loom("delete", "old-done", "--yes");
    expect(deleted).toMatchObject({ code: 0, stderr: "" });
    expect(deleted.stdout).toMatch(/^Deleted thread old-done \(\d+ events, completed\)\.\n$/);
    expect(exists("old-done")).toBe(false);
    expect(exists("old-done-2")).toBe(true);
    expect((await loom("threads")).stdout).not.toMatch(/^old-done\s/m);
  });

  it("refuses a thread a run holds (exit 1), a missing thread (exit 3) and a bad id (exit 2)", async () => {
    const holder = new FsJournal({ dir });
    const lease = await holder.acquire("old-done");
    const busy = await loom("delete", "old-done", "--yes");
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain('Thread "old-done" was not deleted: it is being run right now by ');
    expect(busy.stderr).toContain("Cancel that run (cancelRun, loom cancel) or wait for it to stop");
    expect(exists("old-done")).toBe(true);
    await lease.release();
    await holder.close();
    expect((await loom("delete", "old-done", "--yes")).code).toBe(0);

    const missing = await loom("delete", "nope", "--yes");
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('No thread "nope"');
    expect((await loom("delete", "../x", "--yes")).code).toBe(2);
    expect((await loom("delete")).code).toBe(2);
  });
});

describe("loom prune", () => {
  it("lists the finished threads past the age without --yes, and deletes them with it", async () => {
    const none = await loom("prune", "--older-than", "1d12h");
    expect(none.stdout).toBe(
      "Would delete 0 threads: finished (completed, failed, cancelled), last written over 36h ago. Nothing deleted: add --yes to delete them.\n",
    );
    const listed = await loom("prune", "--older-than", "1s");
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/old-done\s+\d+\s+completed\s+< 1 h ago\nold-done-2\s/);
    expect(listed.stdout).not.toContain("new-done");
    expect(listed.stdout).not.toContain("old-waiting");
    expect(listed.stdout).toContain(
      "Would delete 2 threads: finished (completed, failed, cancelled), last written over 1s ago. Nothing deleted: add --yes to delete them.",
    );
    expect(["old-done", "old-done-2"].map(exists)).toEqual([true, true]);

    const pruned = await loom("prune", "--older-than", "1s", "--yes");
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toContain("Deleted 2 threads");
    expect(["old-done", "old-done-2", "new-done", "old-waiting"].map(exists)).toEqual([
      false,
      false,
      true,
      true,
    ]);
  });

  it("takes other statuses, a prefix and a shorter age, and reports JSON", async () => {
    const waiting = await loom("prune", "--older-than", "1s", "--status", "interrupted", "--yes", "--json");
    expect(waiting.code).toBe(0);
    const result = JSON.parse(waiting.stdout) as { deleted: { threadId: string }[]; scanned: number };
    expect(result.deleted.map((t) => t.threadId)).toEqual(["old-waiting"]);
    // Looked at: the threads the journal listed as waiting and old enough.
    expect(result.scanned).toBe(1);
    expect(exists("old-waiting")).toBe(false);

    const prefixed = await loom("prune", "--older-than", "0s", "--prefix", "new-", "--yes");
    expect(prefixed.stdout).toContain(
      'Deleted 1 thread: finished (completed, failed, cancelled), last written over 0s ago, id starting "new-".',
    );
    expect(["new-done", "old-done"].map(exists)).toEqual([false, true]);
  });

  it("leaves a thread a run holds and says so", async () => {
    const holder = new FsJournal({ dir });
    const lease = await holder.acquire("old-done");
    const pruned = await loom("prune", "--older-than", "1s", "--yes");
    await lease.release();
    await holder.close();
    expect(pruned.stdout).toContain("Deleted 1 thread");
    expect(pruned.stdout).toContain("Left 1: old-done (a run holds it).");
    expect(exists("old-done")).toBe(true);
  });

  it("says what is wrong with its options (exit 2) and deletes nothing", async () => {
    const cases: [string[], string][] = [
      [["prune"], "loom prune needs --older-than AGE"],
      [
        ["prune", "--older-than", "30"],
        '--older-than must be a duration: a number and a unit (s, m, h, d, w), e.g. 30d, 12h, 1d12h; got "30".',
      ],
      [["prune", "--older-than", "30 days"], "--older-than must be a duration"],
      [
        ["prune", "--older-than", "30d", "--status", "done"],
        '--status takes a list of idle, running, interrupted, completed, failed, cancelled; got "done".',
      ],
    ];
    for (const [argv, message] of cases) {
      const { code, stderr } = await loom(...argv, "--yes");
      expect(code, argv.join(" ")).toBe(2);
      expect(stderr).toContain(message);
    }
    expect(["old-done", "old-done-2", "new-done", "old-waiting"].map(exists)).toEqual([
      true,
      true,
      true,
      true,
    ]);
  });
});
