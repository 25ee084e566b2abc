import { readdirSync } from "node:fs";
import { join } from "node:path";
import { readAll } from "@loom/core";
import { describe, expect, it, vi } from "vitest";
import { FsJournal } from "../src/index.js";
import { event, tempRoot } from "./helpers.js";

const newDir = tempRoot("open-threads");

describe("maxOpenThreads", () => {
  it("keeps at most that many threads open (file and lock), reopening a retired thread on its next append", async () => {
    const dir = newDir();
    const journal = new FsJournal({ dir, maxOpenThreads: 2 });
    for (let round = 0; round < 3; round++) {
      for (let t = 0; t < 5; t++) {
        expect(await journal.append(`t${t}`, [event(`r${round}`)], round - 1)).toEqual({ lastSeq: round });
        // A retired writer closes its file and frees its lock in the background.
        await vi.waitFor(() => expect(readdirSync(join(dir, ".locks")).length).toBeLessThanOrEqual(2));
      }
    }
    for (let t = 0; t < 5; t++)
      expect((await readAll(journal, `t${t}`)).map((e) => e.seq)).toEqual([0, 1, 2]);
    // A retired thread is free for another journal, as after close().
    await vi.waitFor(() => expect(readdirSync(join(dir, ".locks"))).not.toContain("t0.jsonl.lock"));
    const other = new FsJournal({ dir });
    expect(await other.append("t0", [event("other")], 2)).toEqual({ lastSeq: 3 });
    await other.close();
    await journal.close();
  });

  it("retires the least recently appended thread: an append to an open thread makes it the most recent", async () => {
    const dir = newDir();
    const journal = new FsJournal({ dir, maxOpenThreads: 2 });
    await journal.append("t0", [event("t0")], -1);
    await journal.append("t1", [event("t1")], -1);
    await journal.append("t0", [event("t0 again")], 0);
    await journal.append("t2", [event("t2")], -1);
    await vi.waitFor(() =>
      expect(readdirSync(join(dir, ".locks")).sort()).toEqual(["t0.jsonl.lock", "t2.jsonl.lock"]),
    );
    await journal.close();
  });

  it("never retires a thread with appends in flight", async () => {
    const dir = newDir();
    const journal = new FsJournal({ dir, maxOpenThreads: 1 });
    const appends = [];
    for (let i = 0; i < 20; i++) {
      appends.push(journal.append("a", [event(`a${i}`)], i - 1));
      appends.push(journal.append(`b${i}`, [event("b")], -1));
    }
    const results = await Promise.all(appends);
    expect(results.filter((_, i) => i % 2 === 0).map((r) => r.lastSeq)).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    );
    expect((await readAll(journal, "a")).map((e) => e.seq)).toHaveLength(20);
    await journal.close();
    expect(readdirSync(join(dir, ".locks"))).toEqual([]);
  });
});
