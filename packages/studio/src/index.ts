export {
  type Resume,
  THREAD_STATUSES,
  type ThreadRow,
  type ThreadStatus,
} from "./api.js";
export { StudioError, type StudioErrorCode } from "./errors.js";
export { type Studio, type StudioOptions, startStudio } from "./server.js";
export type { ThreadSummary } from "./thread-summaries.js";
