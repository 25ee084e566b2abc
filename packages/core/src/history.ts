import type { Message } from "./messages.js";

interface HistoryStore {
  readonly messages: Message[];
  /** prefix[i] = tokens of messages[0..i). */
  readonly prefix: number[];
}

/**
 * The messages of a frame: an immutable, append-only list. Appending shares the backing store
 * with the previous version (no copy of the history at each step); a version that is appended to
 * twice copies its prefix once. Token counts are computed once per message, when it is appended,
 * and sums over any range are O(1).
 */
export class History implements Iterable<Message> {
  private readonly store: HistoryStore;
  readonly length: number;

  private constructor(store: HistoryStore, length: number) {
    this.store = store;
    this.length = length;
  }

  static empty(): History {
    return new History({ messages: [], prefix: [0] }, 0);
  }

  static of(messages: readonly Message[]): History {
    let history = History.empty();
    for (const message of messages) history = history.append(message);
    return history;
  }

  append(message: Message, tokens: number = estimateMessageTokens(message)): History {
    let store = this.store;
    if (store.messages.length !== this.length) {
      store = {
        messages: store.messages.slice(0, this.length),
        prefix: store.prefix.slice(0, this.length + 1),
      };
    }
    store.messages.push(message);
    store.prefix.push(store.prefix[this.length]! + tokens);
    return new History(store, this.length + 1);
  }

  at(index: number): Message | undefined {
    const i = index < 0 ? this.length + index : index;
    return i >= 0 && i < this.length ? this.store.messages[i] : undefined;
  }

  /** Tokens of the messages in [from, to). */
  tokens(from = 0, to: number = this.length): number {
    return this.store.prefix[Math.min(to, this.length)]! - this.store.prefix[Math.max(0, from)]!;
  }

  get totalTokens(): number {
    return this.store.prefix[this.length]!;
  }

  /** A copy of the messages in [from, to). */
  slice(from = 0, to: number = this.length): Message[] {
    return this.store.messages.slice(Math.max(0, from), Math.min(to, this.length));
  }

  toArray(): Message[] {
    return this.slice();
  }

  *[Symbol.iterator](): Iterator<Message> {
    for (let i = 0; i < this.length; i++) yield this.store.messages[i]!;
  }

  toJSON(): Message[] {
    return this.toArray();
  }
}

/**
 * Token estimate used where no tokenizer is configured: about four characters a token plus a
 * small per-message overhead, the rule of thumb OpenAI documents for English text.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export function estimateMessageTokens(message: Message): number {
  let chars = message.content.length;
  if (message.role === "assistant") {
    for (const call of message.toolCalls ?? []) chars += call.name.length + call.arguments.length + 8;
    for (const part of message.reasoning ?? []) chars += part.text.length;
  }
  return Math.ceil(chars / 4) + 4;
}
