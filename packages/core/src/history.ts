import { HistoryNotLoadedError } from "./errors.js";
import type { Message } from "./messages.js";
import { countMessageTokens, estimateTokenizer, type Tokenizer } from "./tokenizer.js";

type Role = Message["role"];

interface HistoryStore {
  readonly tokenizer: Tokenizer;
  /** `undefined` where a message restored from a snapshot is not loaded yet. */
  messages: (Message | undefined)[];
  roles: Role[];
  /** Indexes of the user messages, ascending: where each turn starts, found without a scan. */
  users: number[];
  /** prefix[i] = tokens of messages[0..i). */
  prefix: number[];
  /** Every index below this may be unloaded; from it on, every message is loaded. */
  loadedFrom: number;
  /** Loads the messages a snapshot left out (all of [0, loadedFrom)); set while some are missing. */
  loader: (() => Promise<readonly Message[]>) | undefined;
  loading: Promise<void> | undefined;
  /** What `derived` made for each message, by index. */
  derived: unknown[];
  /** Every slot of `derived` below this is empty but those at `derivedSpared` (see `forgetDerived`). */
  derivedFrom: number;
  derivedSpared: number[];
}

/** What a snapshot keeps of a history: every message's role and tokens, and the loaded messages. */
export interface HistoryOutline {
  readonly roles: readonly Role[];
  readonly tokens: readonly number[];
  /** The messages kept, by index (the rest load through `loader`). */
  readonly messages: ReadonlyMap<number, Message>;
}

/**
 * The messages of a frame: an immutable, append-only list. Appending shares the backing store
 * with the previous version (no copy of the history at each step); a version that is appended to
 * twice copies its prefix once. Token counts are computed once per message, when it is appended,
 * and sums over any range are O(1).
 *
 * A history restored from a snapshot knows every message's role and tokens but holds only the
 * newest messages (what a request can need); reading an older one raises `HistoryNotLoadedError`
 * until `await history.load()` brings them from the journal.
 */
export class History implements Iterable<Message> {
  private readonly store: HistoryStore;
  readonly length: number;

  private constructor(store: HistoryStore, length: number) {
    this.store = store;
    this.length = length;
  }

  static empty(tokenizer: Tokenizer = estimateTokenizer): History {
    return new History(
      {
        tokenizer,
        messages: [],
        roles: [],
        users: [],
        prefix: [0],
        loadedFrom: 0,
        loader: undefined,
        loading: undefined,
        derived: [],
        derivedFrom: 0,
        derivedSpared: [],
      },
      0,
    );
  }

  static of(messages: readonly Message[], tokenizer?: Tokenizer): History {
    let history = History.empty(tokenizer);
    for (const message of messages) history = history.append(message);
    return history;
  }

  /**
   * A history from a snapshot's outline: the tokens it recorded (counted by `tokenizer` when it was
   * written), the messages it kept, and a loader for the others.
   */
  static restore(
    outline: HistoryOutline,
    tokenizer: Tokenizer,
    loader: () => Promise<readonly Message[]>,
  ): History {
    const length = outline.roles.length;
    const messages: (Message | undefined)[] = new Array(length);
    const prefix = new Array<number>(length + 1);
    prefix[0] = 0;
    for (let i = 0; i < length; i++) prefix[i + 1] = prefix[i]! + outline.tokens[i]!;
    let loadedFrom = length;
    for (const [index, message] of outline.messages) messages[index] = message;
    while (loadedFrom > 0 && messages[loadedFrom - 1] !== undefined) loadedFrom--;
    const users: number[] = [];
    for (let i = 0; i < length; i++) if (outline.roles[i] === "user") users.push(i);
    return new History(
      {
        tokenizer,
        messages,
        roles: [...outline.roles],
        users,
        prefix,
        loadedFrom,
        loader: loadedFrom > 0 ? loader : undefined,
        loading: undefined,
        derived: [],
        derivedFrom: 0,
        derivedSpared: [],
      },
      length,
    );
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
        ...store,
        messages: store.messages.slice(0, this.length),
        roles: store.roles.slice(0, this.length),
        users: store.users.slice(0, this.usersBefore(this.length)),
        prefix: store.prefix.slice(0, this.length + 1),
        loadedFrom: Math.min(store.loadedFrom, this.length),
        // A branch fills its own copy: loading the original does not reach it.
        loading: undefined,
        derived: store.derived.slice(0, this.length),
        derivedFrom: Math.min(store.derivedFrom, this.length),
        derivedSpared: store.derivedSpared.filter((i) => i < this.length),
      };
    }
    store.messages.push(message);
    store.roles.push(message.role);
    if (message.role === "user") store.users.push(this.length);
    store.prefix.push(store.prefix[this.length]! + tokens);
    return new History(store, this.length + 1);
  }

  /** The message at `index` (negative counts from the end). */
  at(index: number): Message | undefined {
    const i = index < 0 ? this.length + index : index;
    if (i < 0 || i >= this.length) return undefined;
    const message = this.store.messages[i];
    if (message === undefined) throw new HistoryNotLoadedError(i, this.length);
    return message;
  }

  /** The role of the message at `index`: known for every message, loaded or not. */
  roleAt(index: number): Role | undefined {
    const i = index < 0 ? this.length + index : index;
    return i >= 0 && i < this.length ? this.store.roles[i] : undefined;
  }

  /**
   * The index of the last user message at or before `index` (where the turn holding `index` starts),
   * or -1 if there is none: a binary search, not a scan of the turn.
   */
  lastUserAtOrBefore(index: number): number {
    const count = this.usersBefore(Math.min(index, this.length - 1) + 1);
    return count > 0 ? this.store.users[count - 1]! : -1;
  }

  /** The index of the `n`th user message from the end (1 = the newest), or -1 if there are fewer. */
  userFromEnd(n: number): number {
    const count = this.usersBefore(this.length);
    return n >= 1 && n <= count ? this.store.users[count - n]! : -1;
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

  /** True when every message in [from, to) can be read now. */
  isLoaded(from = 0, to: number = this.length): boolean {
    const start = Math.max(0, from);
    const end = Math.min(to, this.length);
    if (start >= end || start >= this.store.loadedFrom) return true;
    for (let i = start; i < Math.min(end, this.store.loadedFrom); i++) {
      if (this.store.messages[i] === undefined) return false;
    }
    return true;
  }

  /**
   * Makes the messages in [from, to) readable: those a snapshot left out are read from the journal
   * (all of them, once, for every version of this history that shares them).
   */
  async load(from = 0, to: number = this.length): Promise<this> {
    if (this.isLoaded(from, to)) return this;
    const store = this.store;
    store.loading ??= (async () => {
      const loader = store.loader;
      if (!loader) throw new HistoryNotLoadedError(Math.max(0, from), this.length);
      const older = await loader();
      for (let i = 0; i < store.loadedFrom; i++) store.messages[i] ??= older[i];
      if (store.messages.slice(0, store.loadedFrom).some((m) => m === undefined)) {
        throw new Error("internal: the journal gave fewer messages than the snapshot counted");
      }
      store.loadedFrom = 0;
      store.loader = undefined;
    })();
    try {
      await store.loading;
    } finally {
      store.loading = undefined;
    }
    return this;
  }

  /**
   * `make(message)` for the message at `index`, made once for every version of this history that
   * shares the message (messages never change once appended): core's snapshots keep each message's
   * JSON form here. One kind of value per history. Kept beside the messages: a WeakMap keyed by
   * message measured no faster than making the value every time, its cost moved to the collector.
   * @internal
   */
  derived<T>(index: number, make: (message: Message) => T): T {
    const derived = this.store.derived;
    let value = derived[index] as T | undefined;
    if (value === undefined) {
      const message = this.at(index);
      if (message === undefined)
        throw new RangeError(`no message at ${index} in a history of ${this.length}`);
      value = make(message);
      derived[index] = value;
    }
    return value;
  }

  /**
   * Lets go of what `derived` made for the messages before `index`, but those at `except` (older
   * than any snapshot will keep again, but the user messages it keeps besides): made again if asked
   * for. Without it, a long thread would hold a second copy of every message that was ever in a
   * snapshot's window.
   * @internal
   */
  forgetDerived(index: number, except: readonly number[] = []): void {
    const store = this.store;
    const end = Math.min(index, store.derived.length);
    if (end <= store.derivedFrom) return;
    const spared: number[] = [];
    for (const i of store.derivedSpared) {
      if (except.includes(i)) spared.push(i);
      else store.derived[i] = undefined;
    }
    for (let i = store.derivedFrom; i < end; i++) {
      if (except.includes(i)) spared.push(i);
      else store.derived[i] = undefined;
    }
    store.derivedFrom = end;
    store.derivedSpared = spared;
  }

  /** A copy of the messages in [from, to). */
  slice(from = 0, to: number = this.length): Message[] {
    const start = Math.max(0, from);
    const end = Math.min(to, this.length);
    this.mustBeLoaded(start, end);
    return this.store.messages.slice(start, end) as Message[];
  }

  /**
   * `before` followed by the messages from `from` on, in one new array: the one copy a model
   * request needs (slicing first and then concatenating would copy the history twice).
   */
  after(before: readonly Message[], from = 0): Message[] {
    const all = this.store.messages;
    const start = Math.max(0, from);
    this.mustBeLoaded(start, this.length);
    if (start === 0 && all.length === this.length) return before.concat(all as Message[]);
    return before.concat(all.slice(start, this.length) as Message[]);
  }

  toArray(): Message[] {
    return this.slice();
  }

  *[Symbol.iterator](): Iterator<Message> {
    this.mustBeLoaded(0, this.length);
    for (let i = 0; i < this.length; i++) yield this.store.messages[i]!;
  }

  toJSON(): Message[] {
    return this.toArray();
  }

  /** How many user messages this version holds before `index`. */
  private usersBefore(index: number): number {
    const users = this.store.users;
    let lo = 0;
    let hi = users.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (users[mid]! < index) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private mustBeLoaded(from: number, to: number): void {
    if (this.isLoaded(from, to)) return;
    let i = from;
    while (this.store.messages[i] !== undefined) i++;
    throw new HistoryNotLoadedError(i, this.length);
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
