import { cpSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readAll } from "@loom/core";
import { describe, expect, it } from "vitest";
import { FsJournal } from "../src/index.js";
import { event, tempRoot } from "./helpers.js";

// Journal folders written by released versions of @loom/journal-fs, kept byte for byte. Every later
// version must read them and append to them. Add one per release that changes what is written;
// never edit old ones.
const frozen = fileURLToPath(new URL("./fixtures/frozen/", import.meta.url));
const newDir = tempRoot("frozen");

describe("journal folders written by released versions", () => {
  for (const version of readdirSync(frozen)) {
    it(`reads and continues the journal written by ${version}`, async () => {
      const dir = newDir();
      cpSync(join(frozen, version), dir, { recursive: true });
      const journal = new FsJournal({ dir, onRecovery: () => expect.unreachable("nothing is torn") });
      const threads = [];
      for await (const info of journal.threads()) threads.push(info);
      expect(threads).toMatchObject([{ threadId: "frozen:v0.1.0", eventCount: 12, status: "running" }]);
      const events = await readAll(journal, "frozen:v0.1.0");
      expect(events.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      expect(events.map((e) => e.type)).toEqual([
        "run.started",
        "iteration.started",
        "llm.completed",
        "tool.completed",
        "tool.completed",
        "iteration.started",
        "llm.completed",
        "tool.completed",
        "tool.completed",
        "iteration.started",
        "llm.completed",
        "tool.completed",
      ]);
      expect(events[0]).toMatchObject({ data: { input: "Find the answer — ünïcode ✓" } });
      expect(await journal.append("frozen:v0.1.0", [event("continued")], 11)).toEqual({ lastSeq: 12 });
      await journal.close();
      const lines = readFileSync(join(dir, "frozen~v0.1.0.jsonl"), "utf8").split("\n");
      expect(lines).toHaveLength(14);
    });
  }
});
