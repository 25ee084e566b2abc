export { runCli, USAGE } from "./cli.js";
export { CliError, type CliErrorCode, EXIT } from "./errors.js";
export { DEFAULT_JOURNAL_URL, openJournal } from "./journal-url.js";
export type { CliIO } from "./output.js";
