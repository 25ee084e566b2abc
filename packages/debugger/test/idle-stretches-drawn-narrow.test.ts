import { buildSpans, flameGraphHtml, flameGraphText } from "@loom/debugger";
import { describe, expect, it } from "vitest";
import { BREAK_PX, idleBreaks, placeTickLabels, toDisplay, toReal } from "../src/time-axis.js";
import { DAY_MS, syntheticThread, WAITED_A_DAY } from "./threads.ts";

const DAY = DAY_MS;
const waited = syntheticThread(WAITED_A_DAY);

function breaksOf(events: typeof waited, width = 1200, minMs = 10_000) {
  const spans = buildSpans(events);
  const start = Math.min(...spans.map((s) => s.start));
  const end = Math.max(...spans.map((s) => s.end));
  return {
    breaks: idleBreaks(spans, events, start, end, { width, breakSize: BREAK_PX }, minMs),
    start,
    end,
  };
}

/** The x and width of every bar of a kind, in the order drawn. */
function rects(html: string, kind: string): { x: number; width: number; name: string }[] {
  const re = new RegExp(
    `<g class="bar"[^>]*data-kind="${kind}"[^>]*><rect class="box" x="([\\d.]+)" y="\\d+" width="([\\d.]+)"[^>]*/><text[^>]*>([^<]*)</text>`,
    "g",
  );
  return [...html.matchAll(re)].map((m) => ({ x: Number(m[1]), width: Number(m[2]), name: m[3]! }));
}

describe("idle stretches are drawn as narrow breaks", () => {
  it("finds the stretches in which nothing ran: the two waits for a human, from the pause to the resume", () => {
    const { breaks, start } = breaksOf(waited);
    const paused = waited.filter((e) => e.type === "run.interrupted").map((e) => e.ts - start);
    const resumed = waited.filter((e) => e.type === "run.resumed").map((e) => e.ts - start);
    expect(breaks.map((b) => [b.from, b.to])).toEqual([
      [paused[0], resumed[0]],
      [paused[1], resumed[1]],
    ]);
    expect(resumed[0]! - paused[0]!).toBe(DAY);
  });

  it("maps time onto the axis with each break BREAK_PX wide, and back", () => {
    const { breaks, start, end } = breaksOf(waited);
    const total = toDisplay(breaks, end - start);
    for (const b of breaks) expect((b.width / total) * 1200).toBeCloseTo(BREAK_PX, 6);
    // Outside the breaks time keeps its length; inside, it is squeezed; every point maps back.
    for (let real = 0; real <= end - start; real += (end - start) / 997) {
      expect(toReal(breaks, toDisplay(breaks, real))).toBeCloseTo(real, 3);
    }
    expect(toDisplay(breaks, breaks[0]!.from) - toDisplay(breaks, 0)).toBeCloseTo(breaks[0]!.from, 6);
    expect(toDisplay(breaks, breaks[1]!.to)).toBeCloseTo(breaks[1]!.at + breaks[1]!.width, 6);
  });

  it("leaves time even where a break would save nothing, where calls run, and when turned off", () => {
    // A 300 ms wait in a 462 ms thread: shorter than the 10 s threshold.
    expect(breaksOf(syntheticThread({ iterations: 10, approvalAt: new Map([[5, 300]]) })).breaks).toEqual([]);
    // A 20 s wait in an hour of model calls: drawn at its own width it is already under BREAK_PX.
    const slow = syntheticThread({ iterations: 6, llmMs: 600_000, approvalAt: new Map([[3, 20_000]]) });
    expect(breaksOf(slow).breaks).toEqual([]);
    // Model calls of 10 minutes each are work, however long: no break inside them.
    expect(breaksOf(syntheticThread({ iterations: 3, llmMs: 600_000 })).breaks).toEqual([]);
    expect(breaksOf(waited, 1200, Number.POSITIVE_INFINITY).breaks).toEqual([]);
  });

  it("draws the work on either side of a day's wait at a readable width, and says what it left out", () => {
    const html = flameGraphHtml(waited);
    const iterations = rects(html, "iteration");
    expect(iterations).toHaveLength(13);
    // Without breaks the day takes the whole axis and every iteration but the waiting one is a sliver.
    const even = rects(flameGraphHtml(waited, { idleGapMs: false }), "iteration");
    expect(even.filter((r) => r.width > 10)).toHaveLength(1);
    expect(
      iterations
        .filter((r) => r.name !== "iteration 4" && r.name !== "iteration 9")
        .every((r) => r.width > 50),
    ).toBe(true);
    // The bars keep their order along the axis, none overlapping the next.
    for (let i = 1; i < iterations.length; i++) {
      expect(iterations[i]!.x).toBeGreaterThanOrEqual(iterations[i - 1]!.x + iterations[i - 1]!.width - 0.2);
    }
    expect(html).toContain("2 idle stretches (1 d 0 h) drawn narrow");
    const gaps = [
      ...html.matchAll(
        /<g class="gap"[^>]*><title>([^<]*)<\/title><rect x="([\d.]+)"[^>]*width="(\d+)"[^>]*\/><text[^>]*>([^<]*)<\/text>/g,
      ),
    ];
    expect(gaps.map((g) => [g[4], Number(g[3])])).toEqual([
      ["idle 1 d 0 h", BREAK_PX],
      ["idle 45.0 s", BREAK_PX],
    ]);
    expect(gaps[0]![1]).toMatch(/^Nothing ran for 1 d 0 h \(from \d+ ms to 1 d 0 h\), drawn 28 px wide\.$/);
    // The run's bar goes on across both breaks, from the first event to the last.
    const [run] = rects(html, "run");
    expect(run!.x).toBeCloseTo(90, 0);
    expect(run!.x + run!.width).toBeCloseTo(1290, 0);
    expect(flameGraphHtml(waited, { idleGapMs: false })).not.toContain('class="gap"');
  });

  it("labels ticks with real time on both sides of a break, none overlapping another or a break's label", () => {
    const html = flameGraphHtml(waited);
    const labels = [
      ...html.matchAll(
        /<text class="axis" x="([\d.]+)"( text-anchor="(end|middle)")? y="\d+">([^<]*)<\/text>/g,
      ),
    ].map((m) => ({ x: Number(m[1]), anchor: m[3] ?? "start", text: m[4]! }));
    const texts = labels.map((l) => l.text);
    expect(texts).toContain("0");
    expect(texts.some((t) => t.startsWith("24 h 0 min"))).toBe(true);
    expect(texts.some((t) => t.startsWith("24 h 0 min 45"))).toBe(true);
    const boxes = labels
      .map((l) => {
        const w = l.text.length * 6.6;
        return l.anchor === "end"
          ? [l.x - w, l.x]
          : l.anchor === "middle"
            ? [l.x - w / 2, l.x + w / 2]
            : [l.x, l.x + w];
      })
      .sort((a, b) => a[0]! - b[0]!);
    for (let i = 1; i < boxes.length; i++) expect(boxes[i]![0]).toBeGreaterThanOrEqual(boxes[i - 1]![1]!);
  });

  it("text: the same breaks, ┊ columns where no bar crosses them, and a line saying what they hold", () => {
    const barsOf = (text: string) => {
      const lines = text.trimEnd().split("\n");
      return {
        lines,
        bars: lines.slice(1).map((line) => line.slice(line.indexOf("|") + 1, line.lastIndexOf("|"))),
      };
    };
    const blocks = (text: string, name: string) => {
      const { lines, bars } = barsOf(text);
      const at = lines.findIndex((line) => line.startsWith(` ${name} `));
      return [...bars[at - 1]!].filter((c) => c === "█").length;
    };
    const text = flameGraphText(waited, { columns: 110 });
    const even = flameGraphText(waited, { columns: 110, idleGapMs: false });
    // 13 iterations of about 15 ms share the axis with two breaks, not with a day.
    for (const name of ["iteration 1", "iteration 5", "iteration 13"]) {
      expect(blocks(text, name)).toBeGreaterThanOrEqual(2);
      expect(blocks(even, name)).toBe(1);
    }
    const { lines } = barsOf(text);
    const bars = barsOf(text).bars.slice(0, -1);
    // Every column of a break is ┊ or a bar that crosses it, on every line.
    const columns = [...bars[0]!].map((_, c) => c).filter((c) => bars.some((bar) => bar[c] === "┊"));
    expect(columns).toHaveLength(6);
    for (const bar of bars) for (const c of columns) expect("┊█░▒┄╳").toContain(bar[c]);
    expect(lines.at(-1)).toMatch(
      /^\(┊ nothing ran: 1 d 0 h from \d+ ms; 45\.0 s from 1 d 0 h; each drawn 3 columns wide\)$/,
    );
    expect(even).not.toContain("┊");
    expect(even).not.toContain("nothing ran");
  });

  it("text: the line about the breaks counts in maxLines", () => {
    const spans = buildSpans(waited).length;
    for (const maxLines of [10, spans - 1, spans, spans + 1, spans + 2, 200]) {
      const text = flameGraphText(waited, { maxLines });
      expect(text.trimEnd().split("\n").length, `maxLines ${maxLines}`).toBeLessThanOrEqual(maxLines);
      expect(text).toContain("(┊ nothing ran: 1 d 0 h");
    }
  });

  it("placeTickLabels leaves out a label that would overlap, and ends the last ones at their ticks", () => {
    const width = (label: string) => label.length * 10;
    expect(
      placeTickLabels(
        [
          { x: 0, label: "0" },
          { x: 30, label: "crowded" },
          { x: 100, label: "taken" },
          { x: 200, label: "ok" },
          { x: 290, label: "last" },
        ],
        width,
        300,
        50,
        [[95, 130]],
      ),
    ).toEqual([
      { x: 0, label: "0", end: false },
      { x: 200, label: "ok", end: false },
      { x: 290, label: "last", end: true },
    ]);
  });
});
