export { SqliteJournal, type SqliteJournalOptions } from "./sqlite-journal.js";
