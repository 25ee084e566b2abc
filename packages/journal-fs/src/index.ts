export type { FsyncMode } from "./durability.js";
export { threadFileName, threadIdFromFileName } from "./file-name.js";
export { FsJournal, type FsJournalOptions } from "./fs-journal.js";
export { ThreadLockedError } from "./thread-locked-error.js";
export type { RecoveryReport } from "./thread-writer.js";
