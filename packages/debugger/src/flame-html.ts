import type { StoredEvent } from "@loom/core";
import { axisTicks, formatDuration } from "./duration.js";
import { type EventsInput, normalizeEvents } from "./events-input.js";
import { pageScript } from "./flame-page-script.js";
import { fitLabel } from "./label-fit.js";
import { layoutSpans } from "./layout.js";
import { mergeNarrowSpans } from "./merge-narrow.js";
import { buildSpans, type Span, type SpanKind } from "./spans.js";
import {
  BREAK_PX,
  type IdleBreak,
  idleBreaks,
  placeTickLabels,
  ticksAround,
  toDisplay,
  toReal,
} from "./time-axis.js";

export interface FlameHtmlOptions {
  /** Page title; default "Loom flame graph — <threadId>". */
  readonly title?: string;
  /** Width of the time axis in CSS pixels. Default 1200. */
  readonly width?: number;
  /**
   * Up to this many spans, every span is a bar. Above it, consecutive spans of a row that would
   * each be narrower than 2 px are merged into one bar per stretch (count, iterations, median and
   * total time, errors), so a long thread stays a small page. Default 2,000.
   */
  readonly maxSpans?: number;
  /**
   * A stretch longer than this (ms) in which nothing ran (no model or tool call in flight, no event:
   * a wait for a human, a stop until a resume) is drawn as a narrow break, labelled with its length,
   * when that is narrower than time would draw it. Default 10,000; `false` draws time evenly.
   */
  readonly idleGapMs?: number | false;
}

const COLORS: Readonly<Record<SpanKind, string>> = {
  frame: "#b07aa1",
  run: "#4e79a7",
  iteration: "#76b7b2",
  llm: "#f28e2b",
  tool: "#59a14f",
  wait: "#f3f3f3",
  resume: "#9c755f",
};
const LEGEND: Readonly<Record<SpanKind, string>> = {
  frame: "frame",
  run: "run",
  iteration: "iteration",
  llm: "llm",
  tool: "tool",
  wait: "waiting for a human",
  resume: "resumed (a line across)",
};
const ERROR = "#e15759";
const ROW = 22;
const GUTTER = 90;
const AXIS = 28;
/** At most this many intervals on the time axis: one label every 100 px or more at the default width. */
const MAX_TICKS = 10;
/** Room for a tick's label to the right of it; nearer the right edge, the label ends at its tick. */
const TICK_ROOM = 70;
/** Above `maxSpans`, spans narrower than this many pixels are merged. */
const MIN_BAR_PX = 2;
/** An estimate of the labels' width on the server (11 px system-ui); the page measures them again. */
const estimateWidth = (text: string) => text.length * 6.6;
const ms = (value: number) => Math.round(value * 1000) / 1000;

const escapeXml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

/** JSON that is safe inside <script>: no "</script>", no line separators that break the parser. */
const scriptJson = (value: unknown) =>
  JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");

/**
 * One self-contained HTML page (inline CSS, SVG and script; nothing fetched) showing the thread as
 * a flame graph: x is time from the events' `ts`, y is frame depth. Hovering a bar shows its type,
 * name, duration, tokens and error; dragging across the graph zooms into that time range.
 */
export function flameGraphHtml(input: EventsInput, options: FlameHtmlOptions = {}): string {
  const events: StoredEvent[] = normalizeEvents(input);
  const spans = buildSpans(events);
  const layout = layoutSpans(spans);
  const width = options.width ?? 1200;
  const threadId = events[0]?.threadId ?? "(no events)";
  const title = options.title ?? `Loom flame graph — ${threadId}`;
  const realTotal = Math.max(layout.end - layout.start, 1);
  const breaks = idleBreaks(
    spans,
    events,
    layout.start,
    layout.start + realTotal,
    { width, breakSize: BREAK_PX },
    options.idleGapMs,
  );
  // x is display time: real time with each idle stretch drawn as a break of BREAK_PX.
  const total = toDisplay(breaks, realTotal);
  const x = (ts: number) => GUTTER + (toDisplay(breaks, ts - layout.start) / total) * width;
  const height = AXIS + layout.rows * ROW + 8;
  const merge = spans.length > (options.maxSpans ?? 2000);
  const bars = mergeNarrowSpans(layout.placed, merge ? (MIN_BAR_PX / width) * total : 0, tooltipLines);

  const svgBars = bars.map((bar, index) => {
    const left = x(bar.start);
    const w = Math.max(x(bar.end) - left, 2);
    const y = AXIS + bar.row * ROW;
    const fill = bar.status === "error" ? ERROR : COLORS[bar.kind];
    const dashed =
      bar.kind === "wait" || bar.status === "open" || bar.status === "interrupted"
        ? ' stroke-dasharray="4 2"'
        : "";
    const count = bar.count > 1 ? ` data-count="${bar.count}"` : "";
    return (
      `<g class="bar" data-index="${index}" data-kind="${bar.kind}" data-status="${bar.status}"${count} data-s="${ms(bar.start - layout.start)}" data-e="${ms(bar.end - layout.start)}">` +
      `<rect class="box" x="${left.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${ROW - 2}" rx="2" fill="${fill}"${dashed}/>` +
      `<text x="${(left + 4).toFixed(1)}" y="${y + 15}">${escapeXml(fitLabel(bar.name, w - 8, estimateWidth))}</text>` +
      // A resume is also a line across the whole graph, at the moment the run was taken up again.
      (bar.kind === "resume"
        ? `<line class="mark" x1="${(left + w).toFixed(1)}" x2="${(left + w).toFixed(1)}" y1="${AXIS - 6}" y2="${height}"/>`
        : "") +
      "</g>"
    );
  });
  const gutter = [...layout.depthRows].map(
    ([depth, { first, count }]) =>
      `<text class="depth" x="6" y="${AXIS + first * ROW + 15}">depth ${depth}</text>` +
      `<line class="sep" x1="0" x2="${GUTTER + width}" y1="${AXIS + (first + count) * ROW - 1}" y2="${AXIS + (first + count) * ROW - 1}"/>`,
  );
  // An idle break's label sits on the axis over its band; ticks keep clear of it.
  const breakLabels = breaks.map((b) => {
    const label = `idle ${formatDuration(b.to - b.from)}`;
    const mid = GUTTER + ((b.at + b.width / 2) / total) * width;
    const w = estimateWidth(label);
    return { b, label, mid, box: [mid - w / 2, mid + w / 2] as [number, number] };
  });
  const tickList = ticksAround(breaks, 0, total, MAX_TICKS, { axisTicks, toDisplay, toReal }).map((t) => ({
    x: GUTTER + (t.at / total) * width,
    label: t.label,
  }));
  const placedTicks = placeTickLabels(
    tickList,
    estimateWidth,
    GUTTER + width,
    TICK_ROOM,
    breakLabels.map((l) => l.box),
  );
  const ticks = placedTicks.map(({ x: tx, label, end }) => {
    // A label near the right edge ends at its tick instead of running off the page.
    const text = end ? `x="${(tx - 2).toFixed(1)}" text-anchor="end"` : `x="${(tx + 2).toFixed(1)}"`;
    return `<line class="tick" x1="${tx.toFixed(1)}" x2="${tx.toFixed(1)}" y1="${AXIS - 6}" y2="${height}"/><text class="axis" ${text} y="${AXIS - 10}">${escapeXml(label)}</text>`;
  });
  const counts = new Map<SpanKind, number>();
  for (const span of spans) counts.set(span.kind, (counts.get(span.kind) ?? 0) + 1);
  const legend = (Object.keys(COLORS) as SpanKind[])
    .map(
      (k) =>
        `<span class="key ${k}"><i style="background:${COLORS[k]}"></i>${LEGEND[k]} (${(counts.get(k) ?? 0).toLocaleString("en-US")})</span>`,
    )
    .join("");
  const svgBreaks = breakLabels.map(({ b, label, mid }) => breakMark(b, label, mid, height));
  const idle = breaks.reduce((sum, b) => sum + (b.to - b.from), 0);
  const broken =
    breaks.length > 0
      ? ` · ${breaks.length === 1 ? "an idle stretch" : `${breaks.length} idle stretches`} (${formatDuration(idle)}) drawn narrow`
      : "";
  const merged =
    bars.length < spans.length
      ? ` · ${spans.length.toLocaleString("en-US")} spans drawn as ${bars.length.toLocaleString("en-US")} bars (spans under ${MIN_BAR_PX} px merged; hover for counts and medians)`
      : "";
  const data = {
    gutter: GUTTER,
    width,
    // Real ms, as the bars' data-s and data-e are: the page places them with the breaks.
    total: realTotal,
    axis: AXIS,
    height,
    maxTicks: MAX_TICKS,
    tickRoom: TICK_ROOM,
    breaks,
    names: bars.map((b) => b.name),
    tips: bars.map((b) => b.tooltip),
  };

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title>
<style>
body { font: 13px/1.4 system-ui, sans-serif; margin: 16px; color: #222; background: #fff; }
h1 { font-size: 16px; margin: 0 0 4px; }
.meta { color: #555; margin-bottom: 8px; }
.zoom { margin-bottom: 6px; color: #555; } .zoom button { font: inherit; margin-right: 6px; }
.key { margin-right: 14px; } .key i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; }
.key.error i { background: ${ERROR}; }
.key.wait i { border: 1px dashed #555; width: 8px; height: 8px; }
svg { user-select: none; }
svg text { font-size: 11px; font-family: system-ui, sans-serif; fill: #fff; pointer-events: none; white-space: pre; }
svg text.axis, svg text.depth { fill: #555; }
.tick { stroke: #ddd; } .sep { stroke: #bbb; }
.bar .box { stroke: #333; stroke-width: 0.5; cursor: crosshair; }
.bar:hover .box { stroke-width: 2; }
.bar[data-kind="wait"] .box { stroke: #555; stroke-width: 1.2; } .bar[data-kind="wait"] text { fill: #333; }
.gap rect { fill: url(#idle); stroke: #999; stroke-width: 0.5; } svg .gap text.axis { fill: #333; }
.bar .mark { stroke: ${COLORS.resume}; stroke-width: 1.5; stroke-dasharray: 6 3; pointer-events: none; }
.find { margin-bottom: 6px; color: #555; } .find input { font: inherit; } .scale { margin-right: 12px; }
svg.finding .bar .box { opacity: 0.25; } svg.finding .bar.match .box { opacity: 1; stroke-width: 1.5; }
svg .bar.current .box { stroke: #000; stroke-width: 3; opacity: 1; }
#selection { fill: rgba(78, 121, 167, 0.15); stroke: #4e79a7; pointer-events: none; }
#tooltip { position: fixed; display: none; pointer-events: none; background: #222; color: #fff; padding: 6px 8px; border-radius: 4px; max-width: 480px; white-space: pre-wrap; word-break: break-word; font: 12px/1.4 ui-monospace, monospace; }
</style>
</head>
<body>
<h1>${escapeXml(title)}</h1>
<div class="meta">thread ${escapeXml(threadId)} · ${events.length.toLocaleString("en-US")} events · ${escapeXml(formatDuration(layout.end - layout.start))}${broken}${merged} · ${legend}<span class="key error"><i></i>error</span> dashed: waiting for a human, or did not end (a crash, a pause)</div>
<div class="zoom"><button type="button" id="zoom-out" disabled>Zoom out</button><button type="button" id="zoom-reset" disabled>Show all</button><span id="zoom-info">Drag across the graph to zoom into a time range; Ctrl + wheel zooms, Shift + wheel or ← → pans, Escape shows all.</span></div>
<div class="find">${breaks.length > 0 ? '<label class="scale"><input type="checkbox" id="to-scale"> idle stretches to scale</label> ' : ""}<input type="search" id="find" placeholder="Find in names, arguments, results, errors ( / )" aria-label="Find bars" size="44"> <span id="find-info"></span></div>
<svg id="flame" xmlns="http://www.w3.org/2000/svg" width="${GUTTER + width + 10}" height="${height}">
<defs><pattern id="idle" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#ccc" stroke-width="2"/></pattern></defs>
<g id="ticks">${ticks.join("")}</g>
${gutter.join("\n")}
<g id="breaks">${svgBreaks.join("")}</g>
${svgBars.join("\n")}
<rect id="selection" x="0" y="0" width="0" height="${height}" display="none"/>
</svg>
<div id="tooltip" role="tooltip"></div>
<script type="application/json" id="flame-data">${scriptJson(data)}</script>
<script>
${pageScript()}
</script>
</body>
</html>
`;
}

/**
 * An idle stretch drawn as a break: a hatched band under the bars (those that go on across it are
 * drawn over it), its length on the axis above it, and a native tooltip saying when it was.
 */
function breakMark(b: IdleBreak, label: string, mid: number, height: number): string {
  const tip = `Nothing ran for ${formatDuration(b.to - b.from)} (from ${formatDuration(b.from)} to ${formatDuration(b.to)}), drawn ${BREAK_PX} px wide.`;
  return (
    `<g class="gap"><title>${escapeXml(tip)}</title>` +
    `<rect x="${(mid - BREAK_PX / 2).toFixed(1)}" y="${AXIS - 6}" width="${BREAK_PX}" height="${height - AXIS + 6}"/>` +
    `<text class="axis" x="${mid.toFixed(1)}" y="${AXIS - 10}" text-anchor="middle">${escapeXml(label)}</text></g>`
  );
}

function tooltipLines(span: Span): string[] {
  const lines = [
    `${span.kind}: ${span.name}`,
    `duration: ${formatDuration(span.end - span.start)}${span.status === "ok" ? "" : ` (${span.status})`}`,
    `frame: ${span.frameId} (depth ${span.depth})${span.kind === "frame" || span.kind === "run" ? "" : `, iteration ${span.iteration}`}`,
    `seq: ${span.startSeq}–${span.endSeq}`,
  ];
  for (const [key, value] of Object.entries(span.details)) lines.push(`${key}: ${value}`);
  return lines;
}
