export { HITLHook, type HITLOptions } from "./hitl.js";
export {
  CostLimitHook,
  type CostPrices,
  costOf,
  type Pricing,
  TokenBudgetHook,
  threadCost,
  tokensUsed,
  WallTimeHook,
} from "./limits.js";
export { LoggingHook, type LoggingOptions, type StructuredLogger } from "./logging.js";
export {
  type DurationStats,
  MetricsHook,
  type MetricsSnapshot,
  type ToolMetrics,
} from "./metrics.js";
export {
  RedactionHook,
  type RedactionOptions,
  redactText,
  redactValue,
  SECRET_PATTERNS,
} from "./redaction.js";
