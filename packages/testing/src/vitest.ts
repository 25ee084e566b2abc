// "@loom/testing/vitest": the conformance suites, which register vitest tests (vitest is an optional
// peer dependency, needed only for this entry), and the recorded cases providerConformance runs.
export { anthropicMessagesCases } from "./cases/anthropic-messages.js";
export { openaiChatCases } from "./cases/openai-chat.js";
export { openaiResponsesCases } from "./cases/openai-responses.js";
export { journalConformance } from "./journal-conformance.js";
export type {
  JournalCheckResult,
  JournalConformanceOptions,
  JournalConformanceReport,
  JournalFactory,
  JournalStorageFactory,
} from "./journal-kit-types.js";
export {
  type ConformanceProviderFactory,
  type ConformanceProviderOptions,
  type ExpectedCall,
  type ExpectedError,
  type ExpectedMessage,
  type ExpectedResponse,
  type ExpectedStreamRun,
  type ProviderCheck,
  type ProviderRecordingCase,
  providerConformance,
  type TextDigest,
  textDigest,
} from "./provider-conformance.js";
export { type ReadmeExampleOptions, runReadmeExample } from "./readme-example.js";
