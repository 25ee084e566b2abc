export { type OpenAIProviderOptions, OpenAIProviderOptionsSchema } from "./options.js";
export { createOpenAIProvider, OpenAIProvider } from "./provider.js";
export { openaiTokenizer } from "./tokenizer.js";
