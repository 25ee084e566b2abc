export type { SpanOptions } from "./event-spans.js";
export { type ExportedThread, type ExportThreadOptions, exportThread } from "./export-thread.js";
export { type LoomIdGenerator, loomIdGenerator } from "./id-generator.js";
export { parseTraceparent, runParentSpanIdOf, runTraceIdOf, traceIdOf } from "./trace-ids.js";
export { type TracedJournalOptions, tracedJournal } from "./traced-journal.js";
