import { formatCount } from "./count-format.js";
import { formatDuration } from "./duration.js";
import { type EventsInput, normalizeEvents } from "./events-input.js";
import { fitLabel } from "./label-fit.js";
import { buildSpans, type Span, type SpanKind, type SpanStatus } from "./spans.js";
import { idleBreaks, toDisplay } from "./time-axis.js";

export interface FlameTextOptions {
  /** Total line width. Default 100. */
  readonly columns?: number;
  /** ANSI colours. Default false; `writeFlameText` turns them on only for a TTY. */
  readonly color?: boolean;
  /**
   * At most this many lines (at least 10). A thread of more spans is printed one line per
   * stretch of consecutive iterations, runs or frames, with counts and medians. Default 200.
   */
  readonly maxLines?: number;
  /**
   * A stretch longer than this (ms) in which nothing ran is drawn as a break of `BREAK_COLUMNS`
   * columns (┊), as on the HTML page; default 10,000; `false` draws time evenly.
   */
  readonly idleGapMs?: number | false;
}

/** The stream `writeFlameText` writes to: `process.stdout`, a file stream, anything with `write`. */
export interface TextStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

const ANSI: Readonly<Record<SpanKind | "error", string>> = {
  frame: "\u001b[35m",
  run: "\u001b[34m",
  iteration: "\u001b[36m",
  llm: "\u001b[33m",
  tool: "\u001b[32m",
  wait: "\u001b[37m",
  resume: "\u001b[31m",
  error: "\u001b[31m",
};
const RESET = "\u001b[0m";
const INDENT: Readonly<Record<SpanKind, number>> = {
  frame: 0,
  run: 0,
  iteration: 1,
  llm: 2,
  tool: 2,
  wait: 2,
  resume: 0,
};
const LABEL = 34;
/** The columns a break takes on the text graph's time axis. */
const BREAK_COLUMNS = 3;
const MIN_COLUMNS = 80;
/** Enough for the axis, a few merged lines and the note that says so. */
const MIN_LINES = 10;

/** A merged line names its slowest span when it took at least this many times its kind's median. */
const SLOW_TIMES = 3;

/** A line of the text flame graph: one span, or consecutive iterations (runs, frames) merged. */
interface TextLine {
  readonly start: number;
  readonly end: number;
  readonly startSeq: number;
  readonly indent: number;
  readonly label: string;
  readonly kind: SpanKind;
  readonly status: SpanStatus;
  readonly figures: string;
}

const n = formatCount;

/**
 * The flame graph as text, one span per line in start order, indented by frame depth: a label,
 * a bar on a shared time axis (█ ended, ▒ failed, ░ did not end, ┄ waiting for a human, ╳ no
 * process ran the thread until a resume), the duration and the key figures.
 *
 * A thread of more spans than `maxLines` (default 200) prints one line per stretch of consecutive
 * iterations instead ("iterations 1,203–1,999 … 797 × (llm 12 ms median, tool 3 ms median)"), and,
 * when runs or sub-agents alone are too many, per stretch of runs and of frames: never more than
 * `maxLines` lines, whatever the thread's length.
 */
export function flameGraphText(input: EventsInput, options: FlameTextOptions = {}): string {
  const events = normalizeEvents(input);
  const spans = buildSpans(events);
  if (spans.length === 0) return "(no spans: the events hold no run)\n";
  const color = options.color ?? false;
  const columns = Math.max(options.columns ?? 100, MIN_COLUMNS);
  const maxLines = Math.max(options.maxLines ?? 200, MIN_LINES);
  const barWidth = columns - LABEL - 26;
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const span of spans) {
    start = Math.min(start, span.start);
    end = Math.max(end, span.end);
  }
  const total = Math.max(end - start, 1);
  const breaks = idleBreaks(
    spans,
    events,
    start,
    start + total,
    { width: barWidth, breakSize: BREAK_COLUMNS },
    options.idleGapMs,
  );
  const shownTotal = toDisplay(breaks, total);
  const col = (ts: number) => Math.round((toDisplay(breaks, ts - start) / shownTotal) * barWidth);
  // The columns of each break, marked ┊ where no bar crosses them.
  const breakColumns = new Set<number>();
  for (const b of breaks) {
    const from = col(start + b.from);
    for (let c = from; c < Math.max(col(start + b.to), from + 1); c++) breakColumns.add(c);
  }
  const gapsOnly = (from: number, to: number) => {
    let out = "";
    for (let c = from; c < to; c++) out += breakColumns.has(c) ? "┊" : " ";
    return out;
  };
  // The axis, and the line that says what the breaks held: the rest of maxLines is for spans.
  const forSpans = maxLines - 1 - (breaks.length > 0 ? 1 : 0);
  const merged = spans.length > forSpans ? mergeLines(spans, forSpans - 1) : undefined;
  const textLines = merged?.lines ?? spans.map(spanLine);
  const lines = [`${"".padEnd(LABEL)} 0${formatDuration(total).padStart(barWidth)}`];
  for (const line of textLines) {
    const indent = " ".repeat(line.indent);
    const label = `${indent}${fitLabel(line.label, LABEL - 1 - indent.length, (t) => t.length)}`;
    const from = Math.min(col(line.start), barWidth - 1);
    const to = Math.max(col(line.end), from + 1);
    const glyph =
      line.kind === "wait"
        ? "┄"
        : line.kind === "resume"
          ? "╳"
          : line.status === "error"
            ? "▒"
            : line.status === "ok"
              ? "█"
              : "░";
    let bar = glyph.repeat(to - from);
    if (color) bar = `${ANSI[line.status === "error" ? "error" : line.kind]}${bar}${RESET}`;
    lines.push(
      `${label.padEnd(LABEL)}|${gapsOnly(0, from)}${bar}${gapsOnly(to, barWidth)}| ${formatDuration(line.end - line.start)}${line.figures}`,
    );
  }
  if (breaks.length > 0) {
    const each = breaks.map((b) => `${formatDuration(b.to - b.from)} from ${formatDuration(b.from)}`);
    lines.push(`(┊ nothing ran: ${each.join("; ")}; each drawn ${BREAK_COLUMNS} columns wide)`);
  }
  if (merged) {
    lines.push(
      `(${n(spans.length)} spans in ${n(textLines.length)} lines: ${merged.per > 1 ? `up to ${n(merged.per)} consecutive iterations, runs or frames per line` : "one line per iteration"}; maxLines: ${maxLines})`,
    );
  }
  return `${lines.join("\n")}\n`;
}

function spanLine(span: Span): TextLine {
  const prefix =
    span.kind === "iteration" || span.kind === "wait" || span.kind === "resume" ? "" : `${span.kind} `;
  return {
    start: span.start,
    end: span.end,
    startSeq: span.startSeq,
    indent: span.depth * 4 + INDENT[span.kind],
    label: `${prefix}${span.name}`,
    kind: span.kind,
    status: span.status,
    figures: figures(span),
  };
}

type UnitKind = "frame" | "run" | "resume" | "iteration";
interface Unit {
  readonly kind: UnitKind;
  readonly depth: number;
  readonly spans: Span[];
}

/**
 * Lines for a thread of too many spans. An iteration with its model calls, tool calls and waits
 * is one unit, so is a run and a sub-agent frame; consecutive units of one kind at one depth are
 * merged `per` at a time, `per` the smallest that fits `budget` lines.
 */
function mergeLines(spans: readonly Span[], budget: number): { lines: TextLine[]; per: number } {
  const units = new Map<string, Unit>();
  for (const span of spans) {
    const kind: UnitKind =
      span.kind === "frame" || span.kind === "run" || span.kind === "resume" ? span.kind : "iteration";
    const key = kind === "iteration" ? `${span.frameId}\u0000${span.iteration}` : span.id;
    const unit = units.get(key);
    if (unit) unit.spans.push(span);
    else units.set(key, { kind, depth: span.depth, spans: [span] });
  }
  const groups = new Map<string, Unit[]>();
  for (const unit of units.values()) {
    const key = `${unit.depth}:${unit.kind}`;
    const group = groups.get(key);
    if (group) group.push(unit);
    else groups.set(key, [unit]);
  }
  const sizes = [...groups.values()].map((g) => g.length);
  const count = (per: number) => sizes.reduce((sum, size) => sum + Math.ceil(size / per), 0);
  let low = 1;
  let high = Math.max(...sizes);
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (count(mid) <= budget) high = mid;
    else low = mid + 1;
  }
  const per = low;
  const lines: TextLine[] = [];
  for (const group of groups.values()) {
    for (let i = 0; i < group.length; i += per) lines.push(unitsLine(group.slice(i, i + per), i + 1));
  }
  lines.sort((a, b) => a.start - b.start || a.startSeq - b.startSeq);
  return { lines, per };
}

const median = (values: number[]) => {
  const sorted = values.sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * What a merged line's width shows and its medians hide: its slowest span, named when it took at
 * least `SLOW_TIMES` the median of its kind (`durations`, at least 3 of them) on the line.
 */
function slowestFigure(slowest: Span, durations: number[]): string[] {
  const took = slowest.end - slowest.start;
  if (durations.length < 3 || took < SLOW_TIMES * median(durations)) return [];
  const kind = slowest.kind === "wait" || slowest.kind === "resume" ? "" : `${slowest.kind} `;
  const where =
    slowest.kind === "run" || slowest.kind === "frame" ? "" : ` at iteration ${n(slowest.iteration)}`;
  return [`slowest: ${kind}${slowest.name}${where}: ${formatDuration(took)}`];
}

/** `number`: the first unit's place among those of its kind and depth (runs 1–53). */
function unitsLine(units: readonly Unit[], number: number): TextLine {
  const first = units[0]!;
  if (units.length === 1 && first.kind !== "iteration") return spanLine(first.spans[0]!);
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  let startSeq = Number.POSITIVE_INFINITY;
  const durations = new Map<string, number[]>();
  const errors: Span[] = [];
  let unfinished: SpanStatus | undefined;
  const frames = new Set<string>();
  const names = new Set<string>();
  let slowest: Span | undefined;
  let low = Number.POSITIVE_INFINITY;
  let high = 0;
  for (const unit of units) {
    for (const span of unit.spans) {
      start = Math.min(start, span.start);
      end = Math.max(end, span.end);
      startSeq = Math.min(startSeq, span.startSeq);
      frames.add(span.frameId);
      if (span.status === "error") errors.push(span);
      else if (span.status !== "ok") unfinished ??= span.status;
      if (span.kind === "iteration") {
        low = Math.min(low, span.iteration);
        high = Math.max(high, span.iteration);
      }
      // What an iteration spent its time on, per kind; for runs and frames, their own length.
      if (first.kind !== "iteration" || span.kind !== "iteration") {
        const list = durations.get(span.kind);
        if (list) list.push(span.end - span.start);
        else durations.set(span.kind, [span.end - span.start]);
        names.add(span.name);
        if (!slowest || span.end - span.start > slowest.end - slowest.start) slowest = span;
      }
    }
  }
  const iterations =
    low > high ? "iterations" : low === high ? `iteration ${n(low)}` : `iterations ${n(low)}–${n(high)}`;
  const label =
    first.kind === "iteration"
      ? frames.size > 1
        ? `${iterations} (${n(frames.size)} frames)`
        : iterations
      : `${first.kind}s ${n(number)}–${n(number + units.length - 1)} (${names.size === 1 ? [...names][0] : `${n(names.size)} names`})`;
  const medians = [...durations]
    .map(
      ([kind, list]) =>
        `${list.length === units.length ? "" : `${n(list.length)} `}${kind} ${formatDuration(median(list))} median`,
    )
    .join(", ");
  const figures = [
    `${units.length > 1 ? `${n(units.length)} × ` : ""}(${medians || "nothing inside"})`,
    ...(slowest ? slowestFigure(slowest, durations.get(slowest.kind)!) : []),
    ...(errors.length > 0
      ? [
          `${n(errors.length)} error${errors.length > 1 ? "s" : ""}, first at iteration ${n(errors[0]!.iteration)}: ${errors[0]!.details.error ?? errors[0]!.name}`,
        ]
      : []),
    ...(unfinished ? [unfinished] : []),
  ];
  return {
    start,
    end,
    startSeq,
    indent: first.depth * 4 + (first.kind === "iteration" ? INDENT.iteration : 0),
    label,
    kind: first.kind,
    status: errors.length > 0 ? "error" : (unfinished ?? "ok"),
    figures: `  ${figures.join("  ")}`,
  };
}

/** Writes `flameGraphText` to a stream, with colours only when the stream is a TTY (and NO_COLOR is unset). */
export function writeFlameText(input: EventsInput, stream: TextStream, options: FlameTextOptions = {}): void {
  const color = options.color ?? (stream.isTTY === true && !process.env.NO_COLOR);
  // A pseudo-terminal without a size reports 0 columns.
  const columns =
    options.columns ?? (stream.columns !== undefined && stream.columns > 0 ? stream.columns : 100);
  stream.write(flameGraphText(input, { ...options, columns, color }));
}

function figures(span: Span): string {
  const d = span.details;
  const parts: string[] = [];
  if (span.status !== "ok") parts.push(span.status);
  if (d.inputTokens !== undefined) parts.push(`${d.inputTokens}→${d.outputTokens} tok`);
  if (d.contextTokens !== undefined) parts.push(`ctx ${d.contextTokens}/${d.budget}`);
  if (d.error !== undefined) parts.push(String(d.error));
  if (span.kind === "resume") parts.push(`stopped ${d.stopped}`);
  return parts.length > 0 ? `  ${parts.join("  ")}` : "";
}
