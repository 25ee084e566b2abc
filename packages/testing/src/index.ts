export { anthropicMessagesCases } from "./cases/anthropic-messages.js";
export { openaiChatCases } from "./cases/openai-chat.js";
export { openaiResponsesCases } from "./cases/openai-responses.js";
export { type JournalConformanceOptions, journalConformance, sampleEvents } from "./journal-conformance.js";
export { collectParts, failedCall, jsonExchange, sseExchange, userRequest } from "./provider-calls.js";
export {
  type ConformanceProviderFactory,
  type ConformanceProviderOptions,
  type ExpectedCall,
  type ExpectedError,
  type ExpectedMessage,
  type ExpectedResponse,
  type ProviderRecordingCase,
  providerConformance,
  type TextDigest,
  textDigest,
} from "./provider-conformance.js";
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
