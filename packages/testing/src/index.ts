// What an app, a demo or a test of any runner uses: loads without a test runner, from ESM and CJS.
// The vitest suites (journalConformance, providerConformance) are in "@loom/testing/vitest".

export { type BlockingTool, type BlockingToolOptions, blockingTool } from "./blocking-tool.js";
export { anthropicMessagesCases } from "./cases/anthropic-messages.js";
export { openaiChatCases } from "./cases/openai-chat.js";
export { openaiResponsesCases } from "./cases/openai-responses.js";
export {
  type CompatibleCall,
  type CompatibleServer,
  type CompatibleServerOptions,
  startCompatibleServer,
} from "./compatible-server.js";
export {
  type InterleavedBenchOptions,
  type InterleavedBenchResult,
  interleavedBench,
} from "./interleaved-bench.js";
export { ConformanceFailure } from "./journal-assert.js";
export { runJournalConformance } from "./journal-kit.js";
export type {
  JournalCheckResult,
  JournalCheckStatus,
  JournalConformanceOptions,
  JournalConformanceReport,
  JournalFactory,
  JournalStorageFactory,
} from "./journal-kit-types.js";
export { OPTIONAL_JOURNAL_MEMBERS, plainJournal } from "./plain-journal.js";
export { collectParts, failedCall, jsonExchange, sseExchange, userRequest } from "./provider-calls.js";
export {
  CONFORMANCE_API_KEY,
  type ConformanceProviderFactory,
  type ConformanceProviderOptions,
  checkProvider,
  checkProviderCase,
  type ExpectedCall,
  type ExpectedError,
  type ExpectedMessage,
  type ExpectedResponse,
  type ProviderCheck,
  type ProviderRecordingCase,
  providerChecks,
} from "./provider-checks.js";
export {
  type ExpectedStreamRun,
  type StreamRun,
  streamRuns,
  type TextDigest,
  textDigest,
} from "./provider-differences.js";
export {
  anthropicExpectedBody,
  anthropicRequestFromBody,
  anthropicRequestShape,
  chatExpectedBody,
  chatRequestFromBody,
  chatRequestShape,
  responsesExpectedBody,
  responsesRequestFromBody,
  responsesRequestShape,
} from "./recorded-requests.js";
export {
  type LoadRecordingOptions,
  loadRecording,
  type RecordedExchange,
  type Recording,
} from "./recording.js";
export { recordingPath } from "./recording-path.js";
export {
  type ReplayCall,
  type ReplayServer,
  type ReplayServerOptions,
  startReplayServer,
} from "./replay-server.js";
export { sampleEvents } from "./sample-events.js";
export {
  type ReceivedRequest,
  ScriptExhaustedError,
  type ScriptedError,
  ScriptedProvider,
  type ScriptedProviderOptions,
  type ScriptedToolCall,
  type ScriptedTurn,
} from "./scripted-provider.js";
export { secretLeaks } from "./secret-leaks.js";
export { seededRandom } from "./seeded-random.js";
