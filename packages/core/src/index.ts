export {
  type Agent,
  type AgentOptions,
  type AgentStream,
  createAgent,
  type ResumeOptions,
  type RunOptions,
  type RunResult,
} from "./agent.js";
export {
  type ContentPart,
  ContentPartSchema,
  estimateAttachmentTokens,
  imageSize,
  type ToolResultValue,
  toolResult,
} from "./attachments.js";
export {
  type CompressionInput,
  type CompressionResult,
  type CompressionStrategy,
  cutPoint,
  dropOldest,
  fitSuffix,
  historyWindow,
  keepLastTurns,
  type SummarizeOptions,
  summarizeOlderTurns,
} from "./compression.js";
export {
  type AppliedCompression,
  type AssembledContext,
  assembleContext,
  type ContextComponent,
  type ContextOptions,
} from "./context.js";
export { resolveDecisions } from "./decisions.js";
export * from "./errors.js";
export * from "./events.js";
export { type FallbackOptions, fallbackProviders } from "./fallback.js";
export {
  type ApprovalState,
  addModelUsage,
  addUsage,
  CallRefs,
  type CallState,
  callRef,
  callSignature,
  type ExecutionFrame,
  emptyFrame,
  FRAME_STATUSES,
  type FrameStatus,
  findFrame,
  fold,
  foldAll,
  type PendingApproval,
  pendingApprovals,
  type Turn,
  threadUsage,
  threadUsageByModel,
  totalUsage,
} from "./frame.js";
export { type RetryPolicy, retryDelay } from "./frame-driver.js";
export { estimateMessageTokens, estimateTokens, History } from "./history.js";
export {
  type ContextAssemblyInfo,
  DECISION_SHAPES,
  type Decided,
  type Decision,
  type Deny,
  defineHook,
  HOOK_POINTS,
  type Hook,
  type HookPoint,
  type Interrupt,
  isDecision,
  type ToolCallInfo,
  type ToolResult,
} from "./hooks.js";
export {
  acquireThread,
  checkDeleteHead,
  type DeleteThreadOptions,
  holdInProcess,
  type Journal,
  listedBefore,
  listRecentThreads,
  listThreads,
  parseRecentCursor,
  type ReadRange,
  type RecentThreadsCursor,
  type RecentThreadsQuery,
  readAll,
  recentCursorText,
  type ThreadInfo,
  type ThreadLease,
  type ThreadQuery,
  threadMatches,
  threadStatusAfter,
  validateDeleteOptions,
  validateReadRange,
  validateRecentThreadsQuery,
  validateThreadQuery,
} from "./journal.js";
export { MemoryJournal } from "./memory-journal.js";
export * from "./messages.js";
export {
  type CancelRunOptions,
  cancelRun,
  cancelThread,
  listPendingApprovals,
  type OperatorOptions,
  type PendingCall,
  recordDecisions,
} from "./operator.js";
export { type Price, PriceSchema, type Prices, PricesSchema, usageCost } from "./prices.js";
export type {
  CacheHints,
  ModelRequest,
  ModelResponse,
  ModelSettings,
  Provider,
  ProviderStreamPart,
  ReasoningSettings,
  ResponseFormat,
  ToolChoice,
  ToolSpec,
} from "./provider.js";
export {
  type ApiErrorReport,
  type ApiErrorVocabulary,
  apiProviderError,
  classifyApiError,
  isConnectionDrop,
  PROVIDER_ERROR_ADVICE,
  type ProviderErrorCause,
  redactedCause,
  redactSecrets,
  retryAfterFromHeaders,
  retryHintFromMessage,
  type SdkErrorMapping,
  sdkErrorMapper,
  shouldRetryHeader,
  unreadableResponseError,
} from "./provider-errors.js";
export {
  type ReconstructedContext,
  type Reconstruction,
  type ReconstructOptions,
  reconstruct,
} from "./reconstruct.js";
export {
  deleteThread,
  FINISHED_STATUSES,
  type PruneOptions,
  type PruneOutcome,
  type PruneProgress,
  type PruneResult,
  pruneThreads,
} from "./retention.js";
export {
  type LoadThreadOptions,
  loadHistory,
  loadThread,
  type SnapshotOptions,
  SnapshotOptionsSchema,
  type SnapshotState,
  SnapshotStateSchema,
} from "./snapshot.js";
export { MAX_THREAD_ID_LENGTH, validateThreadId } from "./thread-id.js";
export { type KeptThread, KeptThreads } from "./thread-states.js";
export { stateAt } from "./time-travel.js";
export {
  countMessageTokens,
  estimateTokenizer,
  MESSAGE_OVERHEAD_TOKENS,
  type Tokenizer,
} from "./tokenizer.js";
export { type Tool, type ToolContext, type ToolDefinition, tool, type UnknownOutcomePolicy } from "./tool.js";
export { ToolSet } from "./tool-set.js";
export {
  type FollowSource,
  followThread,
  type SubscribeOptions,
  Wakeup,
  type WatchOptions,
  watchThread,
} from "./watch.js";
