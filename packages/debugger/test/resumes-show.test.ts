import type { StoredEvent } from "@loom/core";
import { buildSpans, flameGraphHtml, flameGraphText, timeline } from "@loom/debugger";
import { describe, expect, it } from "vitest";
import { syntheticThread } from "./threads.ts";

/**
 * A thread whose process died during iteration 2's tool call; a minute later another process
 * resumed it (run.resumed, reason "unfinished", as core journals it), ran the call again and
 * finished.
 */
function crashedAndResumed(): { events: StoredEvent[]; crash: StoredEvent } {
  const whole = syntheticThread({ iterations: 3, threadId: "crashed" });
  const cut = whole.findIndex((e) => e.type === "tool.started" && e.iteration === 2);
  const crash = whole[cut]!;
  const resumed = {
    ...crash,
    seq: cut + 1,
    ts: crash.ts + 60_000,
    type: "run.resumed",
    data: { reason: "unfinished" },
  };
  const rest = whole.slice(cut).map((e, i) => ({ ...e, seq: cut + 2 + i, ts: e.ts + 60_000 }));
  return { events: [...whole.slice(0, cut + 1), resumed as StoredEvent, ...rest], crash };
}

describe("a resume shows in the flame graph", () => {
  it("buildSpans: a resume span from where the process stopped to run.resumed; the call in flight is left open", () => {
    const { events, crash } = crashedAndResumed();
    expect(timeline(events).at(-1)!.rootStatus).toBe("completed"); // core's fold accepts it
    const spans = buildSpans(events);
    const resume = spans.find((s) => s.kind === "resume")!;
    expect(resume).toMatchObject({
      name: "resumed after a stop mid-run",
      start: crash.ts,
      end: crash.ts + 60_000,
      startSeq: crash.seq,
      endSeq: crash.seq + 1,
      status: "ok",
      depth: 0,
    });
    expect(resume.details).toMatchObject({
      reason: "unfinished",
      stopped: `after seq ${crash.seq} (tool.started)`,
      "not running for": "1 min 0 s",
    });
    const calls = spans.filter((s) => s.kind === "tool" && s.iteration === 2);
    expect(calls.map((s) => [s.status, s.startSeq])).toEqual([
      ["open", crash.seq],
      ["ok", crash.seq + 2],
    ]);
    expect(spans.find((s) => s.kind === "run")!.status).toBe("ok");
  });

  it("a pause answered by a human: resumed with decisions", () => {
    const events = syntheticThread({ iterations: 2, approvalAt: new Map([[1, 5000]]) });
    const resume = buildSpans(events).find((s) => s.kind === "resume")!;
    expect(resume.name).toBe("resumed with decisions");
    expect(resume.end - resume.start).toBe(5000);
    expect(events[resume.startSeq]!.type).toBe("run.interrupted");
  });

  it("HTML: a bar and a dashed line across the graph at the resume; text: a ╳ line", () => {
    const { events, crash } = crashedAndResumed();
    const html = flameGraphHtml(events);
    const bar = html.match(/<g class="bar"[^>]*data-kind="resume"[^>]*>.*?<\/g>/)?.[0];
    expect(bar).toMatch(/<line class="mark" x1="([\d.]+)" x2="\1" y1="\d+" y2="\d+"\/>/);
    expect(html).toContain("resumed (a line across) (1)");
    const line = flameGraphText(events, { columns: 120 })
      .split("\n")
      .find((l) => l.includes("resumed"));
    expect(line).toMatch(
      new RegExp(
        `^resumed after a stop mid-run +\\| *╳+ *\\| 1 min 0 s {2}stopped after seq ${crash.seq} \\(tool\\.started\\)$`,
      ),
    );
  });
});
