import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createAgent, JournalError, type NewEvent, readAll, type ThreadInfo } from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { describe, expect, it, vi } from "vitest";
import { FsJournal, threadFileName, threadIdFromFileName } from "../src/index.js";
import { event, seqsOf, tempRoot, writeBatches } from "./helpers.js";

const newDir = tempRoot("reads");

async function list(journal: FsJournal, query = {}): Promise<ThreadInfo[]> {
  const infos: ThreadInfo[] = [];
  for await (const info of journal.threads(query)) infos.push(info);
  return infos;
}

function corruptLine(dir: string, threadId: string, lineIndex: number): void {
  const file = join(dir, threadFileName(threadId));
  const lines = readFileSync(file, "utf8").split("\n");
  lines[lineIndex] = "not json";
  writeFileSync(file, lines.join("\n"));
}

describe("reads stream and stop early; head and threads() read only the end of a file", () => {
  it("read({ to }) stops at `to`: a bad line further on is never reached", async () => {
    const dir = newDir();
    await writeBatches(dir, "t", [1, 1, 1, 1, 1, 1, 1, 1]);
    corruptLine(dir, "t", 6);
    const journal = new FsJournal({ dir });
    expect((await readAll(journal, "t", { to: 4 })).map((e) => e.seq)).toEqual([0, 1, 2, 3, 4]);
    await expect(readAll(journal, "t")).rejects.toThrow(/line 7 is not JSON/);
    // head and the listing read the end of the file only.
    expect(await journal.head("t")).toBe(7);
    expect((await list(journal)).map((t) => t.eventCount)).toEqual([8]);
    await journal.close();
  });

  it("read({ from }) starting inside a batch yields the rest of that batch", async () => {
    const dir = newDir();
    await writeBatches(dir, "t", [3, 3, 2]);
    const journal = new FsJournal({ dir });
    expect((await readAll(journal, "t", { from: 4 })).map((e) => e.seq)).toEqual([4, 5, 6, 7]);
    expect((await readAll(journal, "t", { from: 4, to: 4 })).map((e) => e.seq)).toEqual([4]);
    await journal.close();
  });

  it("read({ from }) seeks from checkpoints a previous read left, instead of scanning from the top", async () => {
    const dir = newDir();
    const writer = new FsJournal({ dir, fsync: "never" });
    for (let seq = 0; seq < 5000; seq += 7) {
      const size = Math.min(7, 5000 - seq);
      await writer.append(
        "t",
        Array.from({ length: size }, (_, i) => event(`e${seq + i}`)),
        seq - 1,
      );
    }
    await writer.close();
    const journal = new FsJournal({ dir });
    expect(await seqsOf(journal, "t")).toHaveLength(5000);
    // Break line 11 without changing its length: the checkpoints still point at line starts.
    const file = join(dir, "t.jsonl");
    const lines = readFileSync(file, "utf8").split("\n");
    lines[10] = `X${lines[10]!.slice(1)}`;
    writeFileSync(file, lines.join("\n"));
    const late = await readAll(journal, "t", { from: 4000, to: 4002 });
    expect(late.map((e) => e.seq)).toEqual([4000, 4001, 4002]);
    expect(late[0]).toMatchObject({ data: { input: "e4000" } });
    await expect(readAll(journal, "t")).rejects.toThrow(/line 11 is not JSON/);
    // A journal without checkpoints scans from the top and meets the broken line.
    await expect(readAll(new FsJournal({ dir }), "t", { from: 4000 })).rejects.toThrow(/line 11 is not JSON/);
    await journal.close();
  });

  it("read({ from }) within the last batch this journal appended starts at that batch (a run continuing its thread)", async () => {
    const dir = newDir();
    const journal = new FsJournal({ dir, fsync: "never" });
    let head = -1;
    for (let batch = 0; batch < 100; batch++) {
      head = (
        await journal.append(
          "t",
          Array.from({ length: 7 }, (_, i) => event(`e${batch}.${i}`)),
          head,
        )
      ).lastSeq;
    }
    // Break line 11 without changing its length: a read that scans from the top meets it.
    const file = join(dir, "t.jsonl");
    const lines = readFileSync(file, "utf8").split("\n");
    lines[10] = `X${lines[10]!.slice(1)}`;
    writeFileSync(file, lines.join("\n"));
    expect((await readAll(journal, "t", { from: head })).map((e) => e.seq)).toEqual([head]);
    expect((await readAll(journal, "t", { from: head - 6 })).map((e) => e.seq)).toHaveLength(7);
    await expect(readAll(journal, "t", { from: head - 7 })).rejects.toThrow(/line 11 is not JSON/);
    // Another journal (another process) has not appended here: it scans from the top.
    await expect(readAll(new FsJournal({ dir }), "t", { from: head })).rejects.toThrow(/line 11 is not JSON/);
    await journal.close();
  });

  it("a run continuing a thread its agent ran last starts from the state it kept: one read from its last event", async () => {
    const journal = new FsJournal({ dir: newDir(), fsync: "never" });
    const agent = createAgent({
      journal,
      provider: new ScriptedProvider({ turns: [{ text: "one" }, { text: "two" }] }),
    });
    await agent.run("first", { threadId: "t" });
    const head = await journal.head("t");
    const snapshots = vi.spyOn(journal, "latestSnapshot");
    const reads = vi.spyOn(journal, "read");
    expect(await agent.run("second", { threadId: "t" })).toMatchObject({ status: "completed", text: "two" });
    expect(snapshots).not.toHaveBeenCalled();
    expect(reads.mock.calls).toEqual([["t", { from: head }]]);
    vi.restoreAllMocks();
    await journal.close();
  });

  it("a checkpoint that no longer points at its seq (the file was rewritten in place) is dropped, not trusted", async () => {
    const dir = newDir();
    const write = async (prefix: string) => {
      const writer = new FsJournal({ dir, fsync: "never" });
      const head = await writer.head("t");
      if (head >= 0) throw new Error("expected an empty thread");
      await writer.append(
        "t",
        Array.from({ length: 3000 }, (_, i) => event(`${prefix}${i}`)),
        -1,
      );
      await writer.close();
    };
    await write("a");
    const journal = new FsJournal({ dir });
    expect(await seqsOf(journal, "t")).toHaveLength(3000);
    writeFileSync(join(dir, "t.jsonl"), ""); // same inode, emptied
    await write("longer-prefix-");
    const late = await readAll(journal, "t", { from: 2500, to: 2500 });
    expect(late).toMatchObject([{ seq: 2500, data: { input: "longer-prefix-2500" } }]);
    await journal.close();
  });

  it("a reader that stops early closes the file (no leaked handle keeps the thread busy)", async () => {
    const dir = newDir();
    await writeBatches(dir, "t", [5]);
    const journal = new FsJournal({ dir });
    for (let i = 0; i < 50; i++) {
      for await (const e of journal.read("t")) if (e.seq === 1) break;
    }
    const open = readdirSync("/proc/self/fd").length;
    for await (const e of journal.read("t")) if (e.seq === 1) break;
    expect(readdirSync("/proc/self/fd").length).toBeLessThanOrEqual(open);
    await journal.close();
  });

  it("threads() sees what other journals write: counts, status of the root frame, and updates", async () => {
    const dir = newDir();
    const writer = new FsJournal({ dir });
    const reader = new FsJournal({ dir });
    await writer.append("a", [event("go")], -1);
    expect(await list(reader)).toMatchObject([
      { threadId: "a", eventCount: 1, lastSeq: 0, status: "running" },
    ]);
    const done: NewEvent = event("", { type: "run.completed", data: { text: "ok" } } as Partial<NewEvent>);
    const childStep: NewEvent = event("sub", { depth: 1, frameId: "child" });
    await writer.append("a", [done, childStep], 0);
    expect(await list(reader)).toMatchObject([
      { threadId: "a", eventCount: 3, lastSeq: 2, status: "completed" },
    ]);
    await writer.fork("a", 0, "b");
    const infos = await list(reader);
    expect(infos.map((t) => [t.threadId, t.eventCount, t.status])).toEqual([
      ["a", 3, "completed"],
      ["b", 1, "running"],
    ]);
    for (const info of infos) expect(info.updatedAt).toBeGreaterThanOrEqual(info.createdAt);
    await writer.close();
    await reader.close();
  });
});

describe("fork", () => {
  it("a fork that meets a corrupt line leaves no thread and no temporary file behind, and frees the target", async () => {
    const dir = newDir();
    await writeBatches(dir, "src", [1, 1, 1, 1, 1]);
    corruptLine(dir, "src", 2);
    const journal = new FsJournal({ dir });
    await expect(journal.fork("src", 3, "dst")).rejects.toThrow(/line 3 is not JSON/);
    expect(await journal.head("dst")).toBe(-1);
    expect(readdirSync(dir).filter((name) => name !== ".locks")).toEqual(["src.jsonl"]);
    expect(await journal.append("dst", [event("fresh start")], -1)).toEqual({ lastSeq: 0 });
    await journal.fork("src", 1, "dst2");
    expect(await seqsOf(journal, "dst2")).toEqual([0, 1]);
    await journal.close();
    expect(readdirSync(join(dir, ".locks"))).toEqual([]);
  });
});

describe("file names", () => {
  it("maps `:` to `~` and back, and lists only thread files", async () => {
    expect(threadFileName("user:42@tenant=a+b")).toBe("user~42@tenant=a+b.jsonl");
    expect(threadIdFromFileName("user~42@tenant=a+b.jsonl")).toBe("user:42@tenant=a+b");
    for (const name of [".locks", ".fork-1.tmp", "notes.txt", ".jsonl", "a:b.jsonl", ".hidden.jsonl"]) {
      expect(threadIdFromFileName(name), name).toBeUndefined();
    }
    const dir = newDir();
    const journal = new FsJournal({ dir });
    const longest = `x${"Y:".repeat(99)}z`;
    expect(longest).toHaveLength(200);
    for (const id of ["user:42", longest, "plain"]) await journal.append(id, [event(id)], -1);
    writeFileSync(join(dir, "notes.txt"), "not a thread");
    mkdirSync(join(dir, "sub.jsonl.d"));
    expect(readdirSync(dir).sort()).toEqual(
      [".locks", "notes.txt", "plain.jsonl", "sub.jsonl.d", "user~42.jsonl", threadFileName(longest)].sort(),
    );
    expect((await list(journal)).map((t) => t.threadId)).toEqual([longest, "plain", "user:42"].sort());
    expect(await seqsOf(journal, longest)).toEqual([0]);
    await journal.close();
  });

  it("creates the folder and its parents on the first append, and only then", async () => {
    const dir = join(newDir(), "a", "b");
    const journal = new FsJournal({ dir });
    expect(await journal.head("t")).toBe(-1);
    expect(await list(journal)).toEqual([]);
    expect(() => readdirSync(dir)).toThrow(/ENOENT/);
    await journal.append("t", [event("first")], -1);
    expect(await seqsOf(journal, "t")).toEqual([0]);
    await journal.close();
  });

  it("a file system error is a JournalError with code io that names what failed", async () => {
    const notAFolder = join(newDir(), "plain-file");
    mkdirSync(join(notAFolder, ".."), { recursive: true });
    writeFileSync(notAFolder, "I am a file");
    const journal = new FsJournal({ dir: notAFolder });
    for (const [what, call] of [
      ["append", () => journal.append("t", [event("x")], -1)],
      ["read", () => readAll(journal, "t")],
      ["head", () => journal.head("t")],
      ["threads", () => list(journal)],
    ] as const) {
      const error = await (call() as Promise<unknown>).catch((e: unknown) => e);
      expect(JournalError.isInstance(error), what).toBe(true);
      expect((error as JournalError).code, what).toBe("io");
      expect((error as Error).message, what).toMatch(/^Could not .*(ENOTDIR|EEXIST)/);
    }
    await journal.close();
  });

  it("refuses bad options with a ConfigError that says what to pass", () => {
    expect(() => new FsJournal({ dir: "" })).toThrow(/FsJournal options are invalid at "dir"/);
    expect(() => new FsJournal({ dir: "x", fsync: "sometimes" as never })).toThrow(
      /"always" \| "batch" \| "never"/,
    );
  });
});
