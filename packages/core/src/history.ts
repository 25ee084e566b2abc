import type { Message } from "./messages.js";
import { countMessageTokens, estimateTokenizer, type Tokenizer } from "./tokenizer.js";

interface HistoryStore {
  readonly tokenizer: Tokenizer;
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

  static empty(tokenizer: Tokenizer = estimateTokenizer): History {
    return new History({ tokenizer, messages: [], prefix: [0] }, 0);
  }

  static of(messages: readonly Message[], tokenizer?: Tokenizer): History {
    let history = History.empty(tokenizer);
    for (const message of messages) history = history.append(message);
    return history;
  }

  /** The tokenizer that counted these messages. */
  get tokenizer(): Tokenizer {
    return this.store.tokenizer;
  }

  append(message: Message): History {
    const tokens = countMessageTokens(this.store.tokenizer, message);
    let store = this.store;
    if (store.messages.length !== this.length) {
      store = {
        tokenizer: store.tokenizer,
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

  /** Tokens of the message at `index`. */
  tokensAt(index: number): number {
    return this.tokens(index, index + 1);
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

  /**
   * `before` followed by the messages from `from` on, in one new array: the one copy a model
   * request needs (slicing first and then concatenating would copy the history twice).
   */
  after(before: readonly Message[], from = 0): Message[] {
    const all = this.store.messages;
    const start = Math.max(0, from);
    if (start === 0 && all.length === this.length) return before.concat(all);
    return before.concat(all.slice(start, this.length));
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

/** Token estimate of a text with the default estimate tokenizer. */
export function estimateTokens(text: string): number {
  return estimateTokenizer.count(text);
}

/** Token estimate of a message with the default estimate tokenizer. */
export function estimateMessageTokens(message: Message): number {
  return countMessageTokens(estimateTokenizer, message);
}
