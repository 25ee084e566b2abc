export { type AnthropicProviderOptions, AnthropicProviderOptionsSchema } from "./options.js";
export { AnthropicProvider, createAnthropicProvider } from "./provider.js";
