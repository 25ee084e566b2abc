import { axisTicks, flameGraphHtml, formatDuration } from "@loom/debugger";
import { describe, expect, it } from "vitest";
import { syntheticThread } from "./threads.ts";

describe("durations are rounded once, in the unit they are shown in", () => {
  it.each([
    [0, "0 ms"],
    [0.004, "0 ms"],
    [0.25, "0.25 ms"],
    [0.996, "1 ms"],
    [1, "1 ms"],
    [12.4, "12 ms"],
    [999.4, "999 ms"],
    [999.6, "1.0 s"],
    [1000, "1.0 s"],
    [1949, "1.9 s"],
    [2000, "2.0 s"],
    [59_940, "59.9 s"],
    [59_950, "1 min 0 s"],
    [60_000, "1 min 0 s"],
    [119_400, "1 min 59 s"],
    [119_500, "2 min 0 s"],
    [3_599_400, "59 min 59 s"],
    [3_599_500, "1 h 0 min"],
    [5_400_000, "1 h 30 min"],
    [86_369_999, "23 h 59 min"],
    [86_370_000, "1 d 0 h"],
    [-1500, "-1.5 s"],
  ])("%d ms is %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it("never shows a unit's upper bound (1000 ms, 60 s, 60 min)", () => {
    for (let ms = 0; ms < 4_000_000; ms += ms < 2000 ? 0.1 : ms < 120_000 ? 7 : 997) {
      const text = formatDuration(ms);
      expect(text).not.toMatch(/(^|\D)(1000 ms|60(\.0)? s|60 min|24 h)$/);
    }
  });
});

describe("the time axis is labelled with round numbers", () => {
  const step = (ticks: { at: number }[]) => ticks[1]!.at - ticks[0]!.at;
  const round = (ms: number) => {
    const exponent = 10 ** Math.floor(Math.log10(ms) + 1e-9);
    return [1, 2, 5].some((m) => Math.abs(ms / exponent - m) < 1e-6);
  };

  it("steps of 1, 2 or 5 × 10^n ms, from 0, at most the number asked for", () => {
    for (const total of [0.8, 3, 17, 378, 999, 1234, 9_876, 45_000]) {
      const ticks = axisTicks(0, total, 10);
      expect(ticks[0]).toEqual({ at: 0, label: "0" });
      expect(round(step(ticks)), `step ${step(ticks)} for ${total} ms`).toBe(true);
      expect(ticks.length - 1).toBeLessThanOrEqual(10);
      expect(ticks.length).toBeGreaterThanOrEqual(3);
      expect(ticks.at(-1)!.at).toBeLessThanOrEqual(total);
    }
    expect(axisTicks(0, 378, 10).map((t) => t.label)).toEqual([
      "0",
      "50 ms",
      "100 ms",
      "150 ms",
      "200 ms",
      "250 ms",
      "300 ms",
      "350 ms",
    ]);
    expect(axisTicks(0, 2600, 10).map((t) => t.label)).toEqual([
      "0",
      "0.5 s",
      "1.0 s",
      "1.5 s",
      "2.0 s",
      "2.5 s",
    ]);
    expect(axisTicks(120, 180, 10).map((t) => t.label)).toEqual([
      "120 ms",
      "130 ms",
      "140 ms",
      "150 ms",
      "160 ms",
      "170 ms",
      "180 ms",
    ]);
  });

  it("minutes and hours in whole minutes", () => {
    expect(axisTicks(0, 11 * 60_000, 10).map((t) => t.label)).toEqual([
      "0",
      "2 min",
      "4 min",
      "6 min",
      "8 min",
      "10 min",
    ]);
    expect(axisTicks(0, 150_000, 10).map((t) => t.label)).toEqual([
      "0",
      "30 s",
      "1 min",
      "1 min 30 s",
      "2 min",
      "2 min 30 s",
    ]);
    expect(axisTicks(0, 5 * 3_600_000, 10).map((t) => t.label)).toEqual([
      "0",
      "30 min",
      "1 h",
      "1 h 30 min",
      "2 h",
      "2 h 30 min",
      "3 h",
      "3 h 30 min",
      "4 h",
      "4 h 30 min",
      "5 h",
    ]);
  });

  it("a zoomed range far from the start keeps the step's precision", () => {
    expect(axisTicks(299_000, 300_500, 10).map((t) => t.label)).toEqual([
      "4 min 59.0 s",
      "4 min 59.2 s",
      "4 min 59.4 s",
      "4 min 59.6 s",
      "4 min 59.8 s",
      "5 min 0.0 s",
      "5 min 0.2 s",
      "5 min 0.4 s",
    ]);
    expect(
      axisTicks(3_600_000, 3_601_000, 10)
        .map((t) => t.label)
        .slice(0, 2),
    ).toEqual(["1 h 0 min 0.0 s", "1 h 0 min 0.1 s"]);
  });

  it("the HTML page's axis uses them", () => {
    // 355 ms from the first event to the last (5 × 63 ms + 40 ms): ticks at 0, 50, 100 ... 350 ms, not 75/151/226 ms.
    const html = flameGraphHtml(syntheticThread({ iterations: 5, llmMs: 40, toolMs: 23 }));
    const labels = [...html.matchAll(/<text class="axis"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(labels).toEqual(["0", "50 ms", "100 ms", "150 ms", "200 ms", "250 ms", "300 ms", "350 ms"]);
  });
});
