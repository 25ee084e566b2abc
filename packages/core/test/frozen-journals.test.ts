import { readdirSync, readFileSync } from "node:fs";
import { MemoryJournal, type NewEvent, parseEvent, type RunResult } from "@loom/core";
import { describe, expect, it } from "vitest";
import { type Ledger, scenarios } from "./scenarios.js";

// Journals written by released versions of Loom, kept byte-for-byte. New code must read and
// resume every one of them. Add the files of each release here; never edit old ones.
const dir = new URL("./fixtures/journals/", import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith(".jsonl"));

function load(file: string) {
  const lines = readFileSync(new URL(file, dir), "utf8").trimEnd().split("\n");
  return lines.map((line) => parseEvent(JSON.parse(line)));
}

async function resumeFrozen(file: string, scenarioName: string) {
  const events = load(file);
  const threadId = events[0]!.threadId;
  const journal = new MemoryJournal();
  await journal.append(
    threadId,
    events.map(({ threadId: _t, seq: _s, ...e }) => e as NewEvent),
    -1,
  );
  const ledger: Ledger = new Map();
  const agent = scenarios.find((s) => s.name === scenarioName)!.make(journal, ledger);
  let result: RunResult = await agent.resume(threadId);
  while (result.status === "interrupted") {
    const decisions = Object.fromEntries(result.pending.map((p) => [p.callId, { approve: true as const }]));
    result = await agent.resume(threadId, { decisions });
  }
  return { result, ledger, events };
}

describe("frozen journals of released versions", () => {
  it("has at least one frozen journal per event version", () => {
    expect(files.filter((f) => f.startsWith("v1-")).length).toBeGreaterThanOrEqual(3);
  });

  for (const file of files) {
    it(`${file}: every line is a valid event with gapless seqs`, () => {
      const events = load(file);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    });
  }

  it("v1-completed-subagent: returns the stored result, calling nothing", async () => {
    const { result, ledger } = await resumeFrozen("v1-completed-subagent.jsonl", "sub-agent");
    expect(result.status === "completed" && result.text).toBe("The researcher found: Deep findings.");
    expect(ledger.size).toBe(0);
  });

  it("v1-interrupted-approval: resumes with decisions to the end", async () => {
    const { result, ledger } = await resumeFrozen("v1-interrupted-approval.jsonl", "approval");
    expect(result.status === "completed" && result.text).toBe("Cleaned.");
    expect([...ledger.keys()].sort()).toEqual([
      "frozen-approval/call_0_0@4",
      "frozen-approval/call_0_1@4",
      "frozen-approval/call_1_0@17",
    ]);
  });

  it("v1-crashed-during-tools: re-runs only the calls whose outcome is unknown", async () => {
    const { result, ledger, events } = await resumeFrozen("v1-crashed-during-tools.jsonl", "parallel tools");
    expect(result.status === "completed" && result.text).toBe("All three compared.");
    const done = events.flatMap((e) =>
      e.type === "tool.completed" ? [`frozen-crash:${e.data.callId}`] : [],
    );
    expect(done).toHaveLength(1);
    expect(ledger.size).toBe(2);
    for (const key of done) expect(ledger.has(key)).toBe(false);
  });
});
