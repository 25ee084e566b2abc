export { createFetchChatProvider, FetchChatProvider, type FetchChatProviderOptions } from "./provider.js";
