import { buildSpans, flameGraphHtml, flameGraphText, timeline } from "@loom/debugger";
import { describe, expect, it } from "vitest";
import { LONG_THREAD, syntheticThread } from "./threads.ts";

describe("a long thread stays a small page", () => {
  it("the synthetic thread is one core's fold accepts", () => {
    const small = syntheticThread({ iterations: 40, failingToolAt: [7], approvalAt: new Map([[3, 1000]]) });
    const states = timeline(small);
    expect(states.at(-1)!.rootStatus).toBe("completed");
    expect(states.at(-1)!.iteration).toBe(41);
    const runs = timeline(syntheticThread({ iterations: 2, runs: 3 }));
    expect(runs.filter((s) => s.type === "run.completed").map((s) => [s.rootStatus, s.iteration])).toEqual([
      ["completed", 3],
      ["completed", 6],
      ["completed", 9],
    ]);
  });

  it("200,000 events: spans under 2 px are merged per row, the page is under 3 MB, errors stay red", () => {
    const events = syntheticThread(LONG_THREAD);
    expect(events).toHaveLength(199_997);
    const started = performance.now();
    const html = flameGraphHtml(events);
    const elapsed = performance.now() - started;
    const spans = buildSpans(events);
    const bars = html.match(/<g class="bar"/g)!.length;
    console.info(
      `flameGraphHtml: ${events.length} events, ${spans.length} spans → ${bars} bars, ${(html.length / 1e6).toFixed(2)} MB in ${elapsed.toFixed(0)} ms`,
    );
    expect(html.length).toBeLessThan(3_000_000);
    expect(bars).toBeLessThan(5_000);
    expect(html).toContain(
      `${spans.length.toLocaleString("en-US")} spans drawn as ${bars.toLocaleString("en-US")} bars`,
    );
    // A merged iteration bar names its iterations; its tooltip gives the medians per kind.
    const data = JSON.parse(html.match(/id="flame-data">(.*?)<\/script>/)![1]!) as {
      tips: string[][];
      names: string[];
    };
    expect(data.names).toContainEqual(expect.stringMatching(/^iterations 1–\d+$/));
    const calls = data.tips.find((t) => t[0]!.includes("× llm/tool"))!;
    expect(calls.join("\n")).toMatch(/llm scripted\/scripted-model: [\d,]+ × median 12 ms, total/);
    expect(calls.join("\n")).toMatch(/tool search: [\d,]+ × median 3 ms, total/);
    // The one failed call out of 28,570 is in a red bar whose tooltip names it.
    const red = [...html.matchAll(/data-index="(\d+)" data-kind="\w+" data-status="error"/g)].map((m) =>
      Number(m[1]),
    );
    expect(red).toHaveLength(1);
    expect(data.tips[red[0]!]!.join("\n")).toContain(
      "errors: 1, first at iteration 20,000: tool_error: index offline",
    );
  }, 120_000);

  it("a short thread is drawn span by span", () => {
    const events = syntheticThread({ iterations: 100 });
    const html = flameGraphHtml(events);
    expect(html.match(/<g class="bar"/g)).toHaveLength(buildSpans(events).length);
    expect(html).not.toContain("data-count");
    // maxSpans lowers the threshold.
    expect(flameGraphHtml(events, { maxSpans: 10, width: 100 })).toContain("data-count");
  });
});

describe("a long thread stays a short text", () => {
  it("200,000 events: one line per stretch of iterations, with medians, at most 200 lines", () => {
    const events = syntheticThread(LONG_THREAD);
    const started = performance.now();
    const text = flameGraphText(events, { columns: 140 });
    const elapsed = performance.now() - started;
    const lines = text.trimEnd().split("\n");
    console.info(
      `flameGraphText: ${events.length} events → ${lines.length} lines in ${elapsed.toFixed(0)} ms`,
    );
    expect(lines.length).toBeLessThanOrEqual(200);
    expect(lines.length).toBeGreaterThan(150);
    expect(lines[1]).toMatch(/^run searcher +\|█+\| 7 min \d+ s$/);
    expect(lines[2]).toMatch(
      /^ iterations 1–(\d+) +\|█+ +\| [\d.]+ s {2}\1 × \(llm 12 ms median, tool 3 ms median\)$/,
    );
    expect(lines.at(-2)).toMatch(/^ iterations [\d,]+–28,571 +\| +█+\| /);
    // The one failed call is on a line of its own kind of bar, and named.
    const failed = lines.filter((l) => l.includes("▒"));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatch(
      /iterations [\d,]+–[\d,]+ .*1 error, first at iteration 20,000: tool_error: index offline$/,
    );
    expect(lines.at(-1)).toMatch(
      /^\(85,713 spans in \d+ lines: up to \d+ consecutive iterations, runs or frames per line; maxLines: 200\)$/,
    );
    expect(flameGraphText(events, { maxLines: 30 }).trimEnd().split("\n").length).toBeLessThanOrEqual(30);
  }, 120_000);

  it("a merged line names the one span far slower than its kind's median, and only then", () => {
    // 600 iterations of a 12 ms model call and a 3 ms tool; iteration 257's model call takes 30 s.
    const events = syntheticThread({ iterations: 600, llmMsAt: new Map([[257, 30_000]]) });
    const lines = flameGraphText(events, { maxLines: 12, columns: 140 }).trimEnd().split("\n");
    const slow = lines.filter((l) => l.includes("slowest"));
    expect(slow).toHaveLength(1);
    expect(slow[0]).toMatch(
      /^ iterations ([\d,]+)–([\d,]+) .*\(llm 12 ms median, tool 3 ms median\) {2}slowest: llm scripted\/scripted-model at iteration 257: 30\.0 s$/,
    );
    const [, from, to] = /iterations ([\d,]+)–([\d,]+)/.exec(slow[0]!)!;
    expect(Number(from!.replace(/,/g, ""))).toBeLessThanOrEqual(257);
    expect(Number(to!.replace(/,/g, ""))).toBeGreaterThanOrEqual(257);
    // A call twice its median is not news.
    const even = syntheticThread({ iterations: 600, llmMsAt: new Map([[257, 24]]) });
    expect(flameGraphText(even, { maxLines: 12, columns: 140 })).not.toContain("slowest");
  });

  it("many runs: runs merged too", () => {
    const events = syntheticThread({ iterations: 3, runs: 500 });
    const lines = flameGraphText(events, { maxLines: 50 }).trimEnd().split("\n");
    expect(lines.length).toBeLessThanOrEqual(50);
    expect(lines).toContainEqual(
      expect.stringMatching(/^runs 54–106 \(searcher\) +\|.*\| [\d.]+ s {2}53 × \(run 57 ms median\)$/),
    );
  });

  it("a short thread is still one line per span", () => {
    const events = syntheticThread({ iterations: 20 });
    const lines = flameGraphText(events).trimEnd().split("\n");
    expect(lines).toHaveLength(buildSpans(events).length + 1);
  });
});
