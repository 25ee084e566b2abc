import { formatDuration } from "./duration.js";
import { type EventsInput, normalizeEvents } from "./events-input.js";
import { buildSpans, type Span, type SpanKind } from "./spans.js";

export interface FlameTextOptions {
  /** Total line width. Default 100. */
  readonly columns?: number;
  /** ANSI colours. Default false; `writeFlameText` turns them on only for a TTY. */
  readonly color?: boolean;
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
};
const LABEL = 34;
const MIN_COLUMNS = 80;

/**
 * The flame graph as text, one span per line in start order, indented by frame depth: a label,
 * a bar on a shared time axis (█ ended, ▒ failed, ░ did not end, ┄ waiting for a human), the
 * duration and the key figures.
 */
export function flameGraphText(input: EventsInput, options: FlameTextOptions = {}): string {
  const spans = buildSpans(normalizeEvents(input));
  if (spans.length === 0) return "(no spans: the events hold no run)\n";
  const color = options.color ?? false;
  const columns = Math.max(options.columns ?? 100, MIN_COLUMNS);
  const barWidth = columns - LABEL - 26;
  const start = Math.min(...spans.map((s) => s.start));
  const total = Math.max(Math.max(...spans.map((s) => s.end)) - start, 1);
  const col = (ts: number) => Math.round(((ts - start) / total) * barWidth);
  const lines = [`${"".padEnd(LABEL)} 0${formatDuration(total).padStart(barWidth)}`];
  for (const span of spans) {
    const indent = " ".repeat(span.depth * 4 + INDENT[span.kind]);
    const label = truncate(
      `${indent}${span.kind === "iteration" || span.kind === "wait" ? "" : `${span.kind} `}${span.name}`,
      LABEL,
    );
    const from = Math.min(col(span.start), barWidth - 1);
    const to = Math.max(col(span.end), from + 1);
    const glyph =
      span.kind === "wait" ? "┄" : span.status === "error" ? "▒" : span.status === "ok" ? "█" : "░";
    let bar = glyph.repeat(to - from);
    if (color) bar = `${ANSI[span.status === "error" ? "error" : span.kind]}${bar}${RESET}`;
    const line = `${label.padEnd(LABEL)}|${" ".repeat(from)}${bar}${" ".repeat(Math.max(0, barWidth - to))}| ${formatDuration(span.end - span.start)}${figures(span)}`;
    lines.push(line);
  }
  return `${lines.join("\n")}\n`;
}

/** Writes `flameGraphText` to a stream, with colours only when the stream is a TTY (and NO_COLOR is unset). */
export function writeFlameText(input: EventsInput, stream: TextStream, options: FlameTextOptions = {}): void {
  const color = options.color ?? (stream.isTTY === true && !process.env.NO_COLOR);
  // A pseudo-terminal without a size reports 0 columns.
  const columns =
    options.columns ?? (stream.columns !== undefined && stream.columns > 0 ? stream.columns : 100);
  stream.write(flameGraphText(input, { columns, color }));
}

function figures(span: Span): string {
  const d = span.details;
  const parts: string[] = [];
  if (span.status !== "ok") parts.push(span.status);
  if (d.inputTokens !== undefined) parts.push(`${d.inputTokens}→${d.outputTokens} tok`);
  if (d.contextTokens !== undefined) parts.push(`ctx ${d.contextTokens}/${d.budget}`);
  if (d.error !== undefined) parts.push(String(d.error));
  return parts.length > 0 ? `  ${parts.join("  ")}` : "";
}

function truncate(text: string, max: number): string {
  return text.length > max - 1 ? `${text.slice(0, max - 2)}…` : text;
}
