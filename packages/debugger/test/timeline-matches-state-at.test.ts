import { findFrame, stateAt } from "@loom/core";
import { timeline } from "@loom/debugger";
import { expect, it } from "vitest";
import { delegatingThread } from "./threads.ts";

it("after every event, timeline() gives the status stateAt() reads back from the journal", async () => {
  const { journal, events } = await delegatingThread();
  const entries = timeline(events);
  expect(entries.map((e) => e.seq)).toEqual(events.map((e) => e.seq));
  for (const entry of entries) {
    const root = await stateAt(journal, "delegating", entry.seq);
    const frame = findFrame(root, entry.frameId)!;
    expect([entry.seq, entry.rootStatus, entry.status, entry.iteration, entry.inputTokens]).toEqual([
      entry.seq,
      root.status,
      frame.status,
      frame.iteration,
      frame.usage.inputTokens,
    ]);
  }
  expect(entries.at(-1)!.rootStatus).toBe("completed");
  expect(entries.some((e) => e.depth === 1 && e.status === "running")).toBe(true);
  const lastAssembly = events.findLast((e) => e.type === "context.assembled" && e.frameId === "root");
  expect(entries.at(-1)!.contextTokens).toBe(
    lastAssembly?.type === "context.assembled" && lastAssembly.data.totalTokens,
  );
});
