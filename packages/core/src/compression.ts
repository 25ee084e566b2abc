import type { History } from "./history.js";
import type { Message } from "./messages.js";
import type { Provider } from "./provider.js";
import { countMessageTokens } from "./tokenizer.js";

export interface CompressionInput {
  /** The raw history, as journaled. */
  readonly history: History;
  /** Tokens the history may take. */
  readonly budget: number;
  readonly signal: AbortSignal;
  /**
   * What this strategy journaled before the history from `keepFrom` at an earlier assembly of this
   * frame (a summary), if it did: the journal is the cache, so a resumed run, in any process, sends
   * the same context and pays for no summary twice.
   */
  readonly recall?: (keepFrom: number) => readonly Message[] | undefined;
}

/**
 * What to send instead of the whole history: the messages from `keepFrom` on, after `prefix`
 * (e.g. a summary of what was left out).
 */
export interface CompressionResult {
  readonly keepFrom: number;
  readonly prefix?: readonly Message[];
}

/**
 * A compression strategy: a function of the raw history (never of a previous compression), so a
 * thread can be replayed under a strategy that did not exist when it ran (`reconstruct`).
 */
export interface CompressionStrategy {
  readonly name: string;
  /**
   * True when `compress` reads no message older than `historyWindow(history, budget)` without first
   * awaiting `history.load(from, to)`. A history restored from a snapshot holds only the newest
   * messages: for a strategy without this flag, the whole history is loaded before `compress` runs.
   */
  readonly lazyHistory?: boolean;
  compress(input: CompressionInput): CompressionResult | Promise<CompressionResult>;
}

/** First index at or after `index` where the history may be cut: a user or assistant message. */
export function cutPoint(history: History, index: number): number {
  let i = Math.max(0, index);
  while (i < history.length && history.roleAt(i) === "tool") i++;
  return i;
}

/** Index of the last message that is not a tool result (0 when there is none). */
function lastNonTool(history: History): number {
  let last = history.length - 1;
  while (last > 0 && history.roleAt(last) === "tool") last--;
  return last;
}

/** Index of the user message that starts the turn holding `index` (-1 if none). */
function turnStart(history: History, index: number): number {
  return history.lastUserAtOrBefore(index);
}

/**
 * The messages the built-in strategies and the last-resort cut can read for a history of at most
 * `budget` tokens: every message from `from` on, and those at `also` (the user messages that start
 * the oldest kept turn and the newest turn). A snapshot keeps these; context assembly loads older
 * ones only for a strategy that asks for them.
 */
export function historyWindow(history: History, budget: number): { from: number; also: number[] } {
  const last = lastNonTool(history);
  const from = Math.max(0, Math.min(cutPoint(history, firstFitting(history, budget)), last));
  const also = [turnStart(history, from), turnStart(history, last)].filter((i) => i >= 0 && i < from);
  return { from, also: [...new Set(also)] };
}

/** True when every message `historyWindow` names is loaded. */
export function windowLoaded(history: History, window: { from: number; also: readonly number[] }): boolean {
  return history.isLoaded(window.from) && window.also.every((i) => history.isLoaded(i, i + 1));
}

/** Smallest index whose suffix fits in `budget` tokens (binary search on the prefix sums). */
export function firstFitting(history: History, budget: number): number {
  let lo = 0;
  let hi = history.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (history.tokens(mid) <= budget) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The longest suffix of the history that fits in `budget` after `prefix`, cut before a user or
 * assistant message (a tool result never loses its call). A suffix that starts inside a turn is
 * sent after that turn's user message, so the model still sees the task. When nothing fits, the
 * newest exchange is sent anyway and the model will say the context is too long.
 */
export function fitSuffix(
  history: History,
  budget: number,
  prefix: readonly Message[] = [],
): CompressionResult {
  const tokenizer = history.tokenizer;
  const prefixTokens = prefix.reduce((sum, m) => sum + countMessageTokens(tokenizer, m), 0);
  let from = cutPoint(history, firstFitting(history, Math.max(0, budget - prefixTokens)));
  for (; from < history.length; from = cutPoint(history, from + 1)) {
    if (history.roleAt(from) === "user" || prefix.length > 0) return { keepFrom: from, prefix };
    const start = turnStart(history, from);
    if (start < 0) return { keepFrom: from, prefix };
    if (history.tokens(from) + history.tokensAt(start) + prefixTokens <= budget) {
      return { keepFrom: from, prefix: [...prefix, history.at(start)!] };
    }
  }
  const last = lastNonTool(history);
  const start = turnStart(history, last);
  if (last <= 0 || start === last || start < 0 || prefix.length > 0)
    return { keepFrom: Math.max(0, last), prefix };
  return { keepFrom: last, prefix: [history.at(start)!] };
}

/** Drops the oldest messages, whole exchanges at a time, until the rest fits. The default. */
export function dropOldest(): CompressionStrategy {
  return {
    name: "drop-oldest",
    lazyHistory: true,
    compress: ({ history, budget }) =>
      history.totalTokens <= budget ? { keepFrom: 0 } : fitSuffix(history, budget),
  };
}

/** Keeps only the last `turns` turns (a turn starts at a user message), whatever the budget. */
export function keepLastTurns(turns: number): CompressionStrategy {
  if (!Number.isInteger(turns) || turns < 1)
    throw new RangeError(`keepLastTurns(${turns}): turns must be a positive integer`);
  return {
    name: `keep-last-${turns}-turns`,
    lazyHistory: true,
    compress: ({ history }) => ({ keepFrom: startOfLastTurns(history, turns) }),
  };
}

function startOfLastTurns(history: History, turns: number): number {
  return Math.max(0, history.userFromEnd(turns));
}

export interface SummarizeOptions {
  /** The model that writes summaries (often a small, cheap one). */
  readonly provider: Provider;
  /** Recent turns kept word for word, at most (fewer when they do not fit in half the budget). Default 2. */
  readonly keepTurns?: number;
  readonly instructions?: string;
}

/**
 * When the history does not fit, replaces all but the last `keepTurns` turns with a summary
 * written by a model (and, when the kept part starts inside a turn, that turn's user message, so
 * the model still sees its task). The summary is journaled (`compression.applied`) and recalled
 * from the journal whenever the same part of the history is summarized again, in any process, so
 * resuming never asks for it twice; the strategy also remembers summaries it wrote in this process.
 */
export function summarizeOlderTurns(options: SummarizeOptions): CompressionStrategy {
  const keepTurns = options.keepTurns ?? 2;
  const instructions =
    options.instructions ??
    "Summarize this conversation so far for the assistant who will continue it. Keep facts, decisions, open questions, and the results of tool calls. Be concise.";
  const written = new Map<string, string>();
  return {
    name: `summarize(${options.provider.provider}/${options.provider.modelId}, keep ${keepTurns} turns)`,
    lazyHistory: true,
    compress: async ({ history, budget, signal, recall }) => {
      if (history.totalTokens <= budget) return { keepFrom: 0 };
      // Keep the newest messages that fit in half the budget word for word; summarize the rest.
      const kept = Math.max(
        fitSuffix(history, Math.floor(budget / 2)).keepFrom,
        startOfLastTurns(history, keepTurns),
      );
      const keepFrom = cutPoint(history, kept);
      if (keepFrom === 0) return { keepFrom: 0 };
      const journaled = recall?.(keepFrom);
      if (journaled) return { keepFrom, prefix: journaled };
      const key = `${keepFrom}:${history.tokens(0, keepFrom)}`;
      let summary = written.get(key);
      if (summary === undefined) {
        await history.load(0, keepFrom);
        const transcript = history
          .slice(0, keepFrom)
          .map(
            (m) =>
              `${m.role}: ${m.content}${m.role === "assistant" && m.toolCalls ? ` [calls: ${m.toolCalls.map((c) => `${c.name}(${c.arguments})`).join(", ")}]` : ""}`,
          )
          .join("\n");
        summary = "";
        for await (const part of options.provider.doStream(
          {
            messages: [
              { role: "system", content: instructions },
              { role: "user", content: transcript },
            ],
            tools: [],
            settings: {},
          },
          { signal },
        )) {
          if (part.type === "finish") summary = part.message.content;
        }
        written.set(key, summary);
      }
      // A cut inside a turn (one long task of many tool calls) would send the model assistant
      // messages without the task: the turn's user message follows the summary, word for word.
      const start = history.roleAt(keepFrom) === "user" ? -1 : turnStart(history, keepFrom);
      if (start >= 0) await history.load(start, start + 1);
      return {
        keepFrom,
        prefix: [
          { role: "system", content: `Summary of the earlier conversation:\n${summary}` },
          ...(start >= 0 ? [history.at(start)!] : []),
        ],
      };
    },
  };
}
