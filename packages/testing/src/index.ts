// What an app, a demo or a test of any runner uses: loads without a test runner, from ESM and CJS.
// The vitest suites (journalConformance, providerConformance) are in "@loom/testing/vitest".
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
export { collectParts, failedCall, jsonExchange, sseExchange, userRequest } from "./provider-calls.js";
export {
  anthropicRequestFromBody,
  anthropicRequestShape,
  chatRequestFromBody,
  chatRequestShape,
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
