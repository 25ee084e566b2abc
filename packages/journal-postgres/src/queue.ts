// "@loom/journal-postgres/queue": threads on many worker processes over pg-boss. pg-boss is an
// optional peer dependency, loaded only by this entry: the journal alone does not need it.
export type { ThreadJobOutcome, ThreadQueueOptions, ThreadTakeover, WorkOptions } from "./thread-job.js";
export { ThreadQueue } from "./thread-queue.js";
