export { MIGRATIONS, type Migration } from "./migrations.js";
export type { PostgresJournalOptions } from "./options.js";
export { PostgresJournal } from "./postgres-journal.js";
export type { SubscribeOptions } from "./subscription.js";
export type { ThreadJobOutcome, ThreadQueueOptions, WorkOptions } from "./thread-job.js";
export { ThreadBusyError } from "./thread-lock.js";
export { ThreadQueue } from "./thread-queue.js";
