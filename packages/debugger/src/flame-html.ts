import type { StoredEvent } from "@loom/core";
import { axisTicks, formatDuration } from "./duration.js";
import { type EventsInput, normalizeEvents } from "./events-input.js";
import { layoutSpans } from "./layout.js";
import { buildSpans, type Span, type SpanKind } from "./spans.js";

export interface FlameHtmlOptions {
  /** Page title; default "Loom flame graph — <threadId>". */
  readonly title?: string;
  /** Width of the time axis in CSS pixels. Default 1200. */
  readonly width?: number;
}

const COLORS: Readonly<Record<SpanKind, string>> = {
  frame: "#b07aa1",
  run: "#4e79a7",
  iteration: "#76b7b2",
  llm: "#f28e2b",
  tool: "#59a14f",
  wait: "#f3f3f3",
};
const ERROR = "#e15759";
const ROW = 22;
const GUTTER = 90;
const AXIS = 28;
/** At most this many intervals on the time axis: one label every 100 px or more at the default width. */
const MAX_TICKS = 10;

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
 * name, duration, tokens and error.
 */
export function flameGraphHtml(input: EventsInput, options: FlameHtmlOptions = {}): string {
  const events: StoredEvent[] = normalizeEvents(input);
  const spans = buildSpans(events);
  const layout = layoutSpans(spans);
  const width = options.width ?? 1200;
  const threadId = events[0]?.threadId ?? "(no events)";
  const title = options.title ?? `Loom flame graph — ${threadId}`;
  const total = Math.max(layout.end - layout.start, 1);
  const x = (ts: number) => GUTTER + ((ts - layout.start) / total) * width;
  const height = AXIS + layout.rows * ROW + 8;

  const bars = layout.placed.map(({ span, row }, index) => {
    const left = x(span.start);
    const w = Math.max(x(span.end) - left, 2);
    const y = AXIS + row * ROW;
    const fill = span.status === "error" ? ERROR : COLORS[span.kind];
    const dashed =
      span.kind === "wait" || span.status === "open" || span.status === "interrupted"
        ? ' stroke-dasharray="4 2"'
        : "";
    const label =
      w > 40
        ? `<text x="${(left + 4).toFixed(1)}" y="${y + 15}" clip-path="url(#c${index})">${escapeXml(span.name)}</text>`
        : "";
    return (
      `<g class="bar" data-index="${index}" data-kind="${span.kind}" data-status="${span.status}">` +
      `<clipPath id="c${index}"><rect x="${left.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${ROW - 2}"/></clipPath>` +
      `<rect class="box" x="${left.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${ROW - 2}" rx="2" fill="${fill}"${dashed}/>` +
      `${label}</g>`
    );
  });
  const gutter = [...layout.depthRows].map(
    ([depth, { first, count }]) =>
      `<text class="depth" x="6" y="${AXIS + first * ROW + 15}">depth ${depth}</text>` +
      `<line class="sep" x1="0" x2="${GUTTER + width}" y1="${AXIS + (first + count) * ROW - 1}" y2="${AXIS + (first + count) * ROW - 1}"/>`,
  );
  const ticks = axisTicks(0, total, MAX_TICKS).map(({ at, label }) => {
    const tx = x(layout.start + at);
    return `<line class="tick" x1="${tx.toFixed(1)}" x2="${tx.toFixed(1)}" y1="${AXIS - 6}" y2="${height}"/><text class="axis" x="${(tx + 2).toFixed(1)}" y="${AXIS - 10}">${escapeXml(label)}</text>`;
  });
  const tooltipData = layout.placed.map(({ span }) => tooltipLines(span));
  const counts = (kind: SpanKind) => spans.filter((s) => s.kind === kind).length;
  const legend = (Object.keys(COLORS) as SpanKind[])
    .map(
      (k) =>
        `<span class="key ${k}"><i style="background:${COLORS[k]}"></i>${k === "wait" ? "waiting for a human" : k} (${counts(k)})</span>`,
    )
    .join("");

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
.key { margin-right: 14px; } .key i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; }
.key.error i { background: ${ERROR}; }
svg text { font-size: 11px; fill: #fff; pointer-events: none; }
svg text.axis, svg text.depth { fill: #555; }
.tick { stroke: #ddd; } .sep { stroke: #bbb; }
.bar .box { stroke: #333; stroke-width: 0.5; cursor: default; }
.bar:hover .box { stroke-width: 2; }
.bar[data-kind="wait"] .box { stroke: #555; stroke-width: 1.2; } .bar[data-kind="wait"] text { fill: #333; }
.key.wait i { border: 1px dashed #555; width: 9px; height: 9px; }
#tooltip { position: fixed; display: none; pointer-events: none; background: #222; color: #fff; padding: 6px 8px; border-radius: 4px; max-width: 480px; white-space: pre-wrap; word-break: break-word; font: 12px/1.4 ui-monospace, monospace; }
</style>
</head>
<body>
<h1>${escapeXml(title)}</h1>
<div class="meta">thread ${escapeXml(threadId)} · ${events.length} events · ${escapeXml(formatDuration(layout.end - layout.start))} · ${legend}<span class="key error"><i></i>error</span> dashed: waiting for a human, or did not end (a crash, a pause)</div>
<svg id="flame" xmlns="http://www.w3.org/2000/svg" width="${GUTTER + width + 10}" height="${height}">
${ticks.join("\n")}
${gutter.join("\n")}
${bars.join("\n")}
</svg>
<div id="tooltip" role="tooltip"></div>
<script type="application/json" id="spans">${scriptJson(tooltipData)}</script>
<script>
(function () {
  var lines = JSON.parse(document.getElementById("spans").textContent);
  var tip = document.getElementById("tooltip");
  var svg = document.getElementById("flame");
  svg.addEventListener("mousemove", function (ev) {
    var bar = ev.target.closest ? ev.target.closest(".bar") : null;
    if (!bar) { tip.style.display = "none"; return; }
    tip.textContent = lines[Number(bar.getAttribute("data-index"))].join("\\n");
    tip.style.display = "block";
    var left = Math.min(ev.clientX + 12, window.innerWidth - tip.offsetWidth - 4);
    tip.style.left = Math.max(0, left) + "px";
    tip.style.top = ev.clientY + 14 + "px";
  });
  svg.addEventListener("mouseleave", function () { tip.style.display = "none"; });
})();
</script>
</body>
</html>
`;
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
