import { estimateAttachmentTokens } from "./attachments.js";
import type { Message } from "./messages.js";

/** Counts tokens of text for one model family. Plug a real tokenizer in through `createAgent({ tokenizer })`. */
export interface Tokenizer {
  readonly name: string;
  count(text: string): number;
}

/**
 * The estimate used where no tokenizer is configured: about four characters a token, the rule of
 * thumb OpenAI documents for English text. Off by 10–30% on code and other languages.
 */
export const estimateTokenizer: Tokenizer = {
  name: "estimate (4 chars/token)",
  count: (text) => Math.ceil(text.length / 4),
};

/** Per-message framing overhead (role, separators), as in OpenAI's counting guide. */
export const MESSAGE_OVERHEAD_TOKENS = 4;

/** Tokens of one message: its text, tool calls, reasoning and attachments (estimated), plus framing. */
export function countMessageTokens(tokenizer: Tokenizer, message: Message): number {
  let tokens = tokenizer.count(message.content) + MESSAGE_OVERHEAD_TOKENS;
  if (message.role === "user" || message.role === "tool") {
    for (const a of message.attachments ?? []) tokens += estimateAttachmentTokens(a);
  }
  if (message.role === "assistant") {
    for (const call of message.toolCalls ?? [])
      tokens += tokenizer.count(call.name) + tokenizer.count(call.arguments) + 2;
    for (const part of message.reasoning ?? []) tokens += tokenizer.count(part.text);
  }
  return tokens;
}
