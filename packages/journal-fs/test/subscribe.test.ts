import { mkdirSync } from "node:fs";
import { readAll, type StoredEvent } from "@loom/core";
import { describe, expect, it } from "vitest";
import { FsJournal } from "../src/index.js";
import { event, tempRoot } from "./helpers.js";
import { WriterProcess } from "./writer-process.js";

const newDir = tempRoot("subscribe");

/** Collects a subscription until `done`, then ends it. */
async function follow(
  journal: FsJournal,
  threadId: string,
  done: (seen: StoredEvent[]) => boolean,
  from = 0,
): Promise<StoredEvent[]> {
  const controller = new AbortController();
  const seen: StoredEvent[] = [];
  for await (const e of journal.subscribe(threadId, { from, signal: controller.signal })) {
    seen.push(e);
    if (done(seen)) controller.abort();
  }
  return seen;
}

describe("FsJournal.subscribe", () => {
  it("delivers what is there, then this journal's appends, each once and in order", async () => {
    const journal = new FsJournal({ dir: newDir(), subscribePollMs: 60_000 });
    await journal.append("t", [event("a"), event("b")], -1);
    const following = follow(journal, "t", (seen) => seen.length === 12);
    for (let head = 1; head < 11; ) {
      head = (await journal.append("t", [event(`e${head}`)], head)).lastSeq;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const seen = await following;
    expect(seen).toEqual(await readAll(journal, "t"));
    expect(seen.map((e) => e.seq)).toEqual([...Array(12).keys()]);
    await journal.close();
  });

  it("follows another process's appends through fs.watch, whole batches only, up to a SIGKILL", async () => {
    const dir = newDir();
    mkdirSync(dir, { recursive: true });
    // A poll interval longer than the test: only the folder watch can wake the subscriber.
    const reader = new FsJournal({ dir, subscribePollMs: 600_000 });
    const controller = new AbortController();
    const seen: StoredEvent[] = [];
    const following = (async () => {
      for await (const e of reader.subscribe("shared", { signal: controller.signal })) seen.push(e);
    })();
    const writer = new WriterProcess(dir, "never", "shared");
    await writer.start();
    await new Promise((resolve) => setTimeout(resolve, 150));
    const acked = await writer.kill();
    const finalHead = await new FsJournal({ dir }).head("shared");
    expect(finalHead).toBeGreaterThanOrEqual(acked);
    const deadline = Date.now() + 10_000;
    while ((seen.at(-1)?.seq ?? -1) < finalHead && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    controller.abort();
    await following;
    expect(finalHead).toBeGreaterThan(10);
    const journaled = await readAll(new FsJournal({ dir }), "shared");
    expect(seen.map((e) => e.seq)).toEqual(journaled.map((e) => e.seq));
    expect(seen).toEqual(journaled);
    await reader.close();
  });

  it("reads on its timer when there is nothing to watch yet (the folder appears later)", async () => {
    const dir = newDir();
    const reader = new FsJournal({ dir, subscribePollMs: 20 });
    const following = follow(reader, "later", (seen) => seen.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const writer = new FsJournal({ dir });
    await writer.append("later", [event("a"), event("b")], -1);
    expect((await following).map((e) => e.seq)).toEqual([0, 1]);
    await writer.close();
    await reader.close();
  });

  it("ends when the journal closes", async () => {
    const journal = new FsJournal({ dir: newDir(), subscribePollMs: 60_000 });
    await journal.append("t", [event("a")], -1);
    const seen: StoredEvent[] = [];
    const following = (async () => {
      for await (const e of journal.subscribe("t")) seen.push(e);
    })();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await journal.close();
    await following;
    expect(seen.map((e) => e.seq)).toEqual([0]);
  });
});
