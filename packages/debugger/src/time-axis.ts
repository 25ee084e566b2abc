import type { Span } from "./spans.js";

/**
 * A stretch of the thread in which nothing ran (no model call or tool call in flight, no event
 * written: a run waiting for a human, or no process running it), drawn as a narrow break instead
 * of its length. Times in ms from the thread's first span; `at` and `width` on the display axis.
 */
export interface IdleBreak {
  /** Real time the stretch starts and ends. */
  readonly from: number;
  readonly to: number;
  /** Where the break starts on the display axis, and how long it is drawn there. */
  readonly at: number;
  readonly width: number;
}

/** The drawn width of a break on the HTML page, in pixels. */
export const BREAK_PX = 28;
/** Stretches longer than this (ms) are broken unless `idleGapMs` says otherwise. */
export const DEFAULT_IDLE_GAP_MS = 10_000;
/** Breaks take at most this share of the axis; beyond it only the longest stretches are broken. */
const MAX_BREAK_SHARE = 0.4;

/**
 * The idle stretches of a thread that are longer than `idleGapMs` (default `DEFAULT_IDLE_GAP_MS`;
 * `false`: none) and that a break draws narrower than time would (an axis `width` long, pixels or
 * columns, each break `breakSize` of it). Busy: every model and tool call from its start to its
 * end, and every event's moment.
 */
export function idleBreaks(
  spans: readonly Span[],
  events: readonly { readonly ts: number }[],
  start: number,
  end: number,
  axis: { readonly width: number; readonly breakSize: number },
  idleGapMs: number | false = DEFAULT_IDLE_GAP_MS,
): IdleBreak[] {
  const { width, breakSize } = axis;
  const total = end - start;
  if (idleGapMs === false || total <= 0 || !(idleGapMs < total)) return [];
  const busy: [number, number][] = [];
  for (const span of spans) {
    if (span.kind === "llm" || span.kind === "tool") busy.push([span.start - start, span.end - start]);
  }
  for (const { ts } of events) busy.push([ts - start, ts - start]);
  busy.sort((a, b) => a[0] - b[0]);
  const stretches: { from: number; to: number }[] = [];
  let reached = 0;
  for (const [from, to] of busy) {
    if (from - reached > idleGapMs) stretches.push({ from: reached, to: from });
    reached = Math.max(reached, to);
  }
  if (total - reached > idleGapMs) stretches.push({ from: reached, to: total });
  // Longest first, while the breaks kept leave the rest of the axis most of its width and each is
  // narrower than its stretch would be drawn at the scale the axis then has.
  stretches.sort((a, b) => b.to - b.from - (a.to - a.from));
  const kept: { from: number; to: number }[] = [];
  let idle = 0;
  for (const stretch of stretches) {
    const count = kept.length + 1;
    if (count * breakSize > width * MAX_BREAK_SHARE) break;
    const rest = total - idle - (stretch.to - stretch.from);
    if (rest <= 0) break;
    const pxPerMs = (width - count * breakSize) / rest;
    if ((stretch.to - stretch.from) * pxPerMs <= breakSize) break;
    kept.push(stretch);
    idle += stretch.to - stretch.from;
  }
  if (kept.length === 0) return [];
  kept.sort((a, b) => a.from - b.from);
  // A break's display width is what breakSize is at the scale of the whole display axis.
  const breakWidth = (breakSize * (total - idle)) / (width - kept.length * breakSize);
  let shift = 0;
  return kept.map(({ from, to }) => {
    const at = from - shift;
    shift += to - from - breakWidth;
    return { from, to, at, width: breakWidth };
  });
}

/**
 * Real ms (from the first span) to display ms. Self-contained: the page embeds its source.
 */
export function toDisplay(breaks: readonly IdleBreak[], real: number): number {
  let shift = 0;
  for (const b of breaks) {
    if (real <= b.from) break;
    if (real < b.to) return b.at + ((real - b.from) / (b.to - b.from)) * b.width;
    shift += b.to - b.from - b.width;
  }
  return real - shift;
}

/** Display ms to real ms: the inverse of `toDisplay`. Self-contained: the page embeds its source. */
export function toReal(breaks: readonly IdleBreak[], display: number): number {
  let shift = 0;
  for (const b of breaks) {
    if (display <= b.at) break;
    if (display < b.at + b.width) return b.from + ((display - b.at) / b.width) * (b.to - b.from);
    shift += b.to - b.from - b.width;
  }
  return display + shift;
}

/**
 * The axis ticks of the display range `[v0, v1]`: each stretch between breaks gets round ticks of
 * real time (`axisTicks` over its real range, a share of `maxTicks` by its width), placed on the
 * display axis. The page embeds its source, so what it calls comes in `fns`.
 */
export function ticksAround(
  breaks: readonly IdleBreak[],
  v0: number,
  v1: number,
  maxTicks: number,
  fns: {
    axisTicks: (from: number, to: number, maxTicks: number) => { at: number; label: string }[];
    toDisplay: (breaks: readonly IdleBreak[], real: number) => number;
    toReal: (breaks: readonly IdleBreak[], display: number) => number;
  },
): { at: number; label: string }[] {
  const pieces: [number, number][] = [];
  let from = v0;
  for (const b of breaks) {
    if (b.at + b.width <= from) continue;
    if (b.at >= v1) break;
    if (b.at > from) pieces.push([from, b.at]);
    from = b.at + b.width;
  }
  if (from < v1) pieces.push([from, v1]);
  const out: { at: number; label: string }[] = [];
  for (const [a, b] of pieces) {
    const share = Math.max(1, Math.floor((maxTicks * (b - a)) / (v1 - v0)));
    for (const tick of fns.axisTicks(fns.toReal(breaks, a), fns.toReal(breaks, b), share)) {
      out.push({ at: fns.toDisplay(breaks, tick.at), label: tick.label });
    }
  }
  return out;
}

/**
 * Where each axis label goes: to the right of its tick, or ending at it near the right edge
 * (`right - room`). A label that would overlap one placed before it, or a box in `taken` (a break's
 * label), is left out with its tick. The page embeds its source.
 */
export function placeTickLabels(
  ticks: readonly { x: number; label: string }[],
  widthOf: (label: string) => number,
  right: number,
  room: number,
  taken: readonly [number, number][],
): { x: number; label: string; end: boolean }[] {
  const boxes = taken.slice();
  const placed: { x: number; label: string; end: boolean }[] = [];
  for (const tick of ticks) {
    const end = tick.x > right - room;
    const w = widthOf(tick.label);
    const box: [number, number] = end ? [tick.x - 2 - w, tick.x] : [tick.x, tick.x + 2 + w];
    if (boxes.some(([a, b]) => box[0] < b + 6 && a < box[1] + 6)) continue;
    boxes.push(box);
    placed.push({ x: tick.x, label: tick.label, end });
  }
  return placed;
}
