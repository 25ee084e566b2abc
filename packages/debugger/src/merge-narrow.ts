import { formatCount } from "./count-format.js";
import { formatDuration } from "./duration.js";
import type { PlacedSpan } from "./layout.js";
import type { Span, SpanKind, SpanStatus } from "./spans.js";

/** One bar of the HTML flame graph: a span, or a stretch of spans too narrow to draw one by one. */
export interface Bar {
  readonly row: number;
  readonly start: number;
  readonly end: number;
  /** The span's kind; for a merged bar, the kind that took the most time. */
  readonly kind: SpanKind;
  readonly status: SpanStatus;
  /** The label: the span's name, or what was merged ("iterations 1,203–1,250", "48 × search"). */
  readonly name: string;
  /** How many spans the bar stands for. */
  readonly count: number;
  readonly tooltip: readonly string[];
}

const n = formatCount;

/**
 * Spans drawn one by one, except that in each row a stretch of consecutive spans each narrower
 * than `minMs` becomes one bar, as wide as `minMs` or a little more: a 200,000-event thread is a
 * few thousand bars instead of 60,000. A merged bar is red when any of its spans failed, and its
 * tooltip gives the count, the iterations, the median and total time per kind and name, and the
 * first error.
 */
export function mergeNarrowSpans(
  placed: readonly PlacedSpan[],
  minMs: number,
  tooltip: (span: Span) => string[],
): Bar[] {
  const rows = new Map<number, Span[]>();
  for (const { span, row } of placed) {
    const list = rows.get(row);
    if (list) list.push(span);
    else rows.set(row, [span]);
  }
  const bars: Bar[] = [];
  for (const [row, spans] of rows) {
    let group: Span[] = [];
    let groupStart = 0;
    let groupEnd = 0;
    const flush = () => {
      if (group.length === 1) bars.push(single(group[0]!, row, tooltip));
      else if (group.length > 1) bars.push(merged(group, row));
      group = [];
    };
    for (const span of spans) {
      if (span.end - span.start >= minMs) {
        flush();
        bars.push(single(span, row, tooltip));
        continue;
      }
      if (group.length > 0 && (span.start - groupEnd > minMs || groupEnd - groupStart >= minMs)) flush();
      if (group.length === 0) groupStart = span.start;
      group.push(span);
      groupEnd = Math.max(group.length === 1 ? span.end : groupEnd, span.end);
    }
    flush();
  }
  return bars;
}

function single(span: Span, row: number, tooltip: (span: Span) => string[]): Bar {
  return {
    row,
    start: span.start,
    end: span.end,
    kind: span.kind,
    status: span.status,
    name: span.name,
    count: 1,
    tooltip: tooltip(span),
  };
}

const median = (values: number[]) => {
  const sorted = values.sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

function merged(group: Span[], row: number): Bar {
  const first = group[0]!;
  let start = first.start;
  let end = first.end;
  let startSeq = first.startSeq;
  let endSeq = first.endSeq;
  let minIteration = first.iteration;
  let maxIteration = first.iteration;
  const byName = new Map<string, { kind: SpanKind; name: string; durations: number[] }>();
  const timeByKind = new Map<SpanKind, number>();
  const errors: Span[] = [];
  let unfinished: SpanStatus | undefined;
  for (const span of group) {
    start = Math.min(start, span.start);
    end = Math.max(end, span.end);
    startSeq = Math.min(startSeq, span.startSeq);
    endSeq = Math.max(endSeq, span.endSeq);
    minIteration = Math.min(minIteration, span.iteration);
    maxIteration = Math.max(maxIteration, span.iteration);
    const key = `${span.kind} ${span.name}`;
    const entry = byName.get(key);
    if (entry) entry.durations.push(span.end - span.start);
    else byName.set(key, { kind: span.kind, name: span.name, durations: [span.end - span.start] });
    timeByKind.set(span.kind, (timeByKind.get(span.kind) ?? 0) + span.end - span.start);
    if (span.status === "error") errors.push(span);
    else if (span.status !== "ok") unfinished ??= span.status;
  }
  const kind = [...timeByKind].sort((a, b) => b[1] - a[1])[0]![0];
  const iterations =
    minIteration === maxIteration
      ? `iteration ${n(minIteration)}`
      : `iterations ${n(minIteration)}–${n(maxIteration)}`;
  const name = group.every((s) => s.kind === "iteration")
    ? iterations
    : byName.size === 1
      ? `${n(group.length)} × ${first.name}`
      : `${n(group.length)} × ${[...new Set(group.map((s) => s.kind))].sort().join("/")}`;
  const tooltip = [
    `${name}: ${n(group.length)} spans, each too narrow to draw alone`,
    `time: ${formatDuration(end - start)}${name === iterations ? "" : `, ${iterations}`}`,
    ...[...byName.values()]
      .slice(0, 6)
      .map(
        (e) =>
          `${e.kind} ${e.name}: ${n(e.durations.length)} × median ${formatDuration(median(e.durations))}, total ${formatDuration(e.durations.reduce((a, b) => a + b, 0))}`,
      ),
    ...(byName.size > 6 ? [`… and ${byName.size - 6} more names`] : []),
    ...(errors.length > 0
      ? [
          `errors: ${n(errors.length)}, first at iteration ${n(errors[0]!.iteration)}: ${errors[0]!.details.error ?? errors[0]!.name}`,
        ]
      : []),
    `seq: ${startSeq}–${endSeq}`,
  ];
  return {
    row,
    start,
    end,
    kind,
    status: errors.length > 0 ? "error" : (unfinished ?? "ok"),
    name,
    count: group.length,
    tooltip,
  };
}
