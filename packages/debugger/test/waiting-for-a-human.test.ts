import { buildSpans, flameGraphHtml, flameGraphText, timeline } from "@loom/debugger";
import { describe, expect, it } from "vitest";
import { syntheticThread } from "./threads.ts";

describe("the time a call waits for a human is a dashed bar of its own", () => {
  // Iteration 2's tool call waits 40 s for an approval; everything else takes milliseconds.
  const events = syntheticThread({ iterations: 3, approvalAt: new Map([[2, 40_000]]) });

  it("buildSpans: one wait span per call, approval.requested → approval.resolved, with the decision", () => {
    expect(timeline(events).at(-1)!.rootStatus).toBe("completed"); // core's fold accepts the thread
    const waits = buildSpans(events).filter((s) => s.kind === "wait");
    expect(waits).toHaveLength(1);
    const wait = waits[0]!;
    const requested = events.find((e) => e.type === "approval.requested")!;
    const resolved = events.find((e) => e.type === "approval.resolved")!;
    expect([wait.startSeq, wait.endSeq, wait.end - wait.start]).toEqual([
      requested.seq,
      resolved.seq,
      40_000,
    ]);
    expect(wait).toMatchObject({ name: "waiting: search", status: "ok", iteration: 2 });
    const asked = events.find((e) => e.type === "llm.completed" && e.iteration === 2)!;
    expect(wait.details).toMatchObject({ call: `call_2@${asked.seq}`, decision: "approve", reason: "ask" });
  });

  it("a thread still paused shows the wait as interrupted, up to its last event", () => {
    const paused = events.slice(0, events.findIndex((e) => e.type === "run.interrupted") + 1);
    const wait = buildSpans(paused).find((s) => s.kind === "wait")!;
    expect(wait.status).toBe("interrupted");
    expect(wait.endSeq).toBe(paused.at(-1)!.seq);
  });

  it("HTML: the wait bar is drawn dashed, and the legend names it", () => {
    const html = flameGraphHtml(events);
    const bar = html.match(/<g class="bar"[^>]*data-kind="wait"[^>]*>.*?<\/g>/)?.[0];
    expect(bar).toBeDefined();
    expect(bar).toMatch(/<rect class="box"[^>]*stroke-dasharray="[\d ]+"/);
    expect(html).toContain("waiting for a human (1)");
  });

  it("text: the wait has its own line, drawn ┄", () => {
    const line = flameGraphText(events, { columns: 100 })
      .split("\n")
      .find((l) => l.includes("waiting: search"));
    expect(line).toMatch(/^ {2}waiting: search +\| *┄+ *\| 40\.0 s/);
  });
});
