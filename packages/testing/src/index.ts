export { type JournalConformanceOptions, journalConformance, sampleEvents } from "./journal-conformance.js";
export {
  type ReceivedRequest,
  ScriptExhaustedError,
  type ScriptedError,
  ScriptedProvider,
  type ScriptedProviderOptions,
  type ScriptedToolCall,
  type ScriptedTurn,
} from "./scripted-provider.js";
