export {
  type Resume,
  THREAD_STATUSES,
  type ThreadRow,
  type ThreadStatus,
} from "./api.js";
export type {
  ComponentText,
  IterationChanges,
  MessageChange,
  MessageDiff,
  SummaryDiff,
} from "./context-changes.js";
export { StudioError, type StudioErrorCode } from "./errors.js";
export { type Price, PriceSchema, type Prices, PricesSchema } from "./prices.js";
export { type Studio, type StudioOptions, startStudio } from "./server.js";
export type { ThreadSummary } from "./thread-summaries.js";
