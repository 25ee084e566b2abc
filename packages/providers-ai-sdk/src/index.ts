export { type AiSdkLanguageModel, AiSdkProvider, type AiSdkProviderOptions, fromAiSdk } from "./provider.js";
