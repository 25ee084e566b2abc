export { MIGRATIONS, type Migration } from "./migrations.js";
export type { PostgresJournalOptions } from "./options.js";
export { PostgresJournal } from "./postgres-journal.js";
export type { SubscribeOptions } from "./subscription.js";
