/** Core's error, raised by `acquire` (and so by a job whose thread another worker runs). */
export { ThreadBusyError } from "@loom/core";
export { MIGRATIONS, type Migration } from "./migrations.js";
export type { PostgresJournalOptions } from "./options.js";
export { PostgresJournal } from "./postgres-journal.js";
export type { SubscribeOptions } from "./subscription.js";
// ThreadQueue (pg-boss) is in "@loom/journal-postgres/queue".
