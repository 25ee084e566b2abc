export {
  type ComponentAtIteration,
  type ComponentExplanation,
  type ComponentFate,
  type Compression,
  ContextDebugger,
  type ContextDebuggerOptions,
  type DebugExport,
  type FrameInfo,
  type IterationExplanation,
} from "./context-debugger.js";
export { axisTicks, formatDuration } from "./duration.js";
export { DebuggerError, type DebuggerErrorCode } from "./errors.js";
export { type EventsInput, normalizeEvents } from "./events-input.js";
export { type FlameHtmlOptions, flameGraphHtml } from "./flame-html.js";
export { type FlameTextOptions, flameGraphText, type TextStream, writeFlameText } from "./flame-text.js";
export { formatComponent, formatIteration, formatSummary } from "./format.js";
export { compactRanges, iterationsPhrase } from "./ranges.js";
export type { AttachmentAtIteration } from "./recording.js";
export { buildSpans, type Span, type SpanKind, type SpanStatus } from "./spans.js";
export type { DebugSummary, IterationTokens, LargestComponent } from "./summary.js";
export { type TimelineEntry, timeline } from "./timeline.js";
