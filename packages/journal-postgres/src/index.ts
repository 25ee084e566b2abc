export { MIGRATIONS, type Migration } from "./migrations.js";
export type { PostgresJournalOptions } from "./options.js";
export { PostgresJournal } from "./postgres-journal.js";
export type { SubscribeOptions } from "./subscription.js";
export { ThreadBusyError } from "./thread-lock.js";
export {
  type ThreadJobOutcome,
  ThreadQueue,
  type ThreadQueueOptions,
  type WorkOptions,
} from "./thread-queue.js";
