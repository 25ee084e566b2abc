import { KIND_ORDER, type Span } from "./spans.js";

export interface PlacedSpan {
  readonly span: Span;
  /** Row from the top: rows of depth 0 first, then depth 1... */
  readonly row: number;
}

export interface FlameLayout {
  readonly placed: readonly PlacedSpan[];
  readonly rows: number;
  /** The first row of each depth. */
  readonly depthRows: ReadonlyMap<number, { readonly first: number; readonly count: number }>;
  readonly start: number;
  readonly end: number;
}

/**
 * y = frame depth. Within a depth, frames, runs, iterations and calls get their own rows, and
 * overlapping spans of one kind (parallel tool calls) are packed into extra rows.
 */
export function layoutSpans(spans: readonly Span[]): FlameLayout {
  const depths = [...new Set(spans.map((s) => s.depth))].sort((a, b) => a - b);
  const placed: PlacedSpan[] = [];
  const depthRows = new Map<number, { first: number; count: number }>();
  let row = 0;
  for (const depth of depths) {
    const first = row;
    const levels = [...new Set(spans.filter((s) => s.depth === depth).map((s) => KIND_ORDER[s.kind]))].sort();
    for (const level of levels) {
      const lanes: number[] = [];
      for (const span of spans) {
        if (span.depth !== depth || KIND_ORDER[span.kind] !== level) continue;
        let lane = lanes.findIndex((end) => end <= span.start);
        if (lane < 0) lane = lanes.push(span.end) - 1;
        lanes[lane] = span.end === span.start ? span.end + 1e-9 : span.end;
        placed.push({ span, row: row + lane });
      }
      row += lanes.length;
    }
    depthRows.set(depth, { first, count: row - first });
  }
  // Loops, not Math.min(...spans): a long thread has more spans than a call takes arguments.
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const span of spans) {
    start = Math.min(start, span.start);
    end = Math.max(end, span.end);
  }
  return {
    placed,
    rows: row,
    depthRows,
    start: Number.isFinite(start) ? start : 0,
    end: Number.isFinite(end) ? end : 0,
  };
}
