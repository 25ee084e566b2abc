import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { JournalCorruptionError, type NewEvent, readAll } from "@loom/core";
import { describe, expect, it } from "vitest";
import { FsJournal } from "../src/index.js";
import { event, tempRoot } from "./helpers.js";

const newDir = tempRoot("snapshots");

const snapshot = (note: string): NewEvent =>
  ({ ...event(note), type: "snapshot", data: { state: { note } } }) as NewEvent;

describe("latestSnapshot on journal-fs", () => {
  it("never returns a snapshot of a batch a crash left unfinished", async () => {
    const dir = newDir();
    const writer = new FsJournal({ dir });
    await writer.append("t", [event("a"), snapshot("first"), event("b")], -1);
    await writer.close();
    const scratch = newDir();
    const other = new FsJournal({ dir: scratch });
    await other.append("t", [event("a"), snapshot("first"), event("b")], -1);
    await other.append("t", [snapshot("torn"), event("c"), event("d")], 2);
    await other.close();
    // The second batch's first two lines written, its last one never.
    const lines = readFileSync(join(scratch, "t.jsonl"), "utf8").split("\n");
    appendFileSync(join(dir, "t.jsonl"), `${lines[3]}\n${lines[4]}\n`);

    const journal = new FsJournal({ dir });
    const found = await journal.latestSnapshot("t");
    expect(found?.seq).toBe(1);
    expect(found?.data).toEqual({ state: { note: "first" } });
    await journal.close();
  });

  it("reads on from the snapshot it found without reading the file from its start", async () => {
    const dir = newDir();
    const writer = new FsJournal({ dir });
    const events: NewEvent[] = [];
    for (let i = 0; i < 3000; i++) events.push(i === 2500 ? snapshot("late") : event(`e${i}`));
    for (let i = 0; i < events.length; i += 100) await writer.append("t", events.slice(i, i + 100), i - 1);
    await writer.close();
    // Damage the first line: a reader that went through the file's start would raise corruption.
    const file = join(dir, "t.jsonl");
    const text = readFileSync(file, "utf8");
    writeFileSync(file, `${"#".repeat(text.indexOf("\n"))}${text.slice(text.indexOf("\n"))}`);
    await expect(readAll(new FsJournal({ dir }), "t")).rejects.toThrow(JournalCorruptionError);

    const journal = new FsJournal({ dir });
    const found = await journal.latestSnapshot("t");
    expect(found?.seq).toBe(2500);
    const rest = await readAll(journal, "t", { from: 2501 });
    expect(rest.map((e) => e.seq)).toEqual(Array.from({ length: 499 }, (_, i) => 2501 + i));
    await journal.close();
  });
});
