import { z } from "zod";
import { type CompressionStrategy, fitSuffix, historyWindow, windowLoaded } from "./compression.js";
import type { ContextComponentRecord } from "./events.js";
import type { ExecutionFrame } from "./frame.js";
import type { Message } from "./messages.js";
import { countMessageTokens } from "./tokenizer.js";

/** A piece of context other than the conversation itself: the system prompt, a document, a memory. */
export interface ContextComponent {
  readonly id: string;
  readonly kind: "system" | "document" | "memory";
  /** Higher is kept first when the window is too small. */
  readonly priority: number;
  readonly content: string;
  /** Token count; counted from `content` with the agent's tokenizer when absent. */
  readonly tokens?: number;
}

export const ContextOptionsSchema = z.object({
  /** The model's context window, in tokens. */
  windowTokens: z.number().int().positive().default(128_000),
  /** Tokens kept free for the model's answer. */
  reservedOutputTokens: z.number().int().nonnegative().default(4_096),
});
export type ContextOptions = z.input<typeof ContextOptionsSchema>;

export interface AppliedCompression {
  readonly strategy: string;
  readonly tokensBefore: number;
  readonly tokensAfter: number;
  readonly keepFrom: number;
  readonly prefix?: readonly Message[];
}

export interface AssembledContext {
  readonly messages: Message[];
  readonly historyFrom: number;
  readonly budget: number;
  readonly totalTokens: number;
  readonly included: ContextComponentRecord[];
  readonly excluded: ContextComponentRecord[];
  /** Set when the strategy changed what is sent (dropped turns, added a summary). */
  readonly compression?: AppliedCompression;
  /** The components sent, in the order their texts make the system message, with their records. */
  readonly sent: readonly { readonly component: ContextComponent; readonly record: ContextComponentRecord }[];
}

export const HISTORY_PRIORITY = 50;

/**
 * Fits the components and the frame's history into the window minus the reserved output, by
 * priority across both: components at or above the history's priority (50) first, highest first,
 * as long as the newest exchange of the history still fits; then the history, through the
 * compression strategy (if what it returns still does not fit, the oldest whole turns of it are
 * dropped: a turn starts at a user message, so a tool result never loses its call); then the
 * components below the history's priority, in what the history left. Every decision is returned as
 * records for `context.assembled`.
 */
export async function assembleContext(
  frame: ExecutionFrame,
  components: readonly ContextComponent[],
  toolsTokens: number,
  options: z.output<typeof ContextOptionsSchema>,
  strategy: CompressionStrategy,
  signal: AbortSignal,
): Promise<AssembledContext> {
  const history = frame.messages;
  const tokenizer = history.tokenizer;
  const budget = options.windowTokens - options.reservedOutputTokens;
  // Restored from a snapshot: the newest messages that fit the window are here; older ones are
  // loaded from the journal only when what is decided below can read them.
  if (!history.isLoaded() && !windowLoaded(history, historyWindow(history, budget))) await history.load();
  const included: ContextComponentRecord[] = [];
  const excluded: ContextComponentRecord[] = [];
  let used = toolsTokens;
  if (toolsTokens > 0) included.push({ id: "tools", kind: "tools", tokens: toolsTokens, priority: 100 });

  const kept = new Map<ContextComponent, ContextComponentRecord>();
  const recordOf = (component: ContextComponent): ContextComponentRecord => ({
    id: component.id,
    kind: component.kind,
    tokens: component.tokens ?? tokenizer.count(component.content),
    priority: component.priority,
  });
  const byPriority = [...components].sort((a, b) => b.priority - a.priority);
  // Above the history's priority: kept before any history is cut, but never at the cost of the
  // newest exchange of the conversation (the task the model is working on).
  const newest = protectedHistoryTokens(history);
  for (const component of byPriority.filter((c) => c.priority >= HISTORY_PRIORITY)) {
    const record = recordOf(component);
    if (used + record.tokens + newest <= budget) {
      used += record.tokens;
      included.push(record);
      kept.set(component, record);
    } else {
      const left = Math.max(0, budget - used - newest);
      excluded.push({
        ...record,
        reason: `over budget: ${record.tokens} tokens, ${left} left once the newest exchange (${newest} tokens) is kept`,
      });
    }
  }

  const available = Math.max(0, budget - used);
  if (!strategy.lazyHistory) await history.load();
  const compressions = frame.compressions;
  const recall = (keepFrom: number) => {
    const journaled = compressions.get(strategy.name);
    return journaled?.keepFrom === keepFrom ? journaled.prefix : undefined;
  };
  let result = await strategy.compress({ history, budget: available, signal, recall });
  let reason = `dropped by ${strategy.name}`;
  const fits = (r: typeof result) =>
    history.tokens(r.keepFrom) +
      (r.prefix ?? []).reduce((sum, m) => sum + countMessageTokens(tokenizer, m), 0) <=
    available;
  if (!fits(result)) {
    const fallback = fitSuffix(history, available, result.prefix);
    if (fallback.keepFrom > result.keepFrom) {
      result = fallback;
      reason = "over budget: oldest messages dropped";
    }
  }
  const prefix = result.prefix ?? [];
  const prefixTokens = prefix.reduce((sum, m) => sum + countMessageTokens(tokenizer, m), 0);
  const from = Math.max(0, Math.min(history.length, Math.trunc(result.keepFrom)));
  await history.load(from);

  if (from > 0) {
    excluded.push({
      id: "history",
      kind: "history",
      tokens: history.tokens(0, from),
      priority: HISTORY_PRIORITY,
      range: [0, from],
      reason,
    });
  }
  if (prefix.length > 0) {
    included.push({
      id: "compression-prefix",
      kind: "memory",
      tokens: prefixTokens,
      priority: HISTORY_PRIORITY,
    });
  }
  if (history.length > from) {
    included.push({
      id: "history",
      kind: "history",
      tokens: history.tokens(from),
      priority: HISTORY_PRIORITY,
      range: [from, history.length],
    });
  }
  used += history.tokens(from) + prefixTokens;

  // Below the history's priority: only in what the history left, so no turn is cut for them.
  const historyCut = from > 0;
  for (const component of byPriority.filter((c) => c.priority < HISTORY_PRIORITY)) {
    const record = recordOf(component);
    if (used + record.tokens <= budget) {
      used += record.tokens;
      included.push(record);
      kept.set(component, record);
    } else {
      const left = Math.max(0, budget - used);
      excluded.push({
        ...record,
        reason: historyCut
          ? `priority ${component.priority} is below the history's ${HISTORY_PRIORITY}: left out before any history is cut (${record.tokens} tokens, ${left} left after the history)`
          : `over budget: ${record.tokens} tokens, ${left} left after the history`,
      });
    }
  }

  // Components stay in the order they were given; priority only decides what is dropped.
  const sent = components
    .filter((c) => kept.has(c))
    .map((component) => ({ component, record: kept.get(component)! }));
  const system = sent.map((s) => s.component.content).join("\n\n");
  const head: Message[] = system ? [{ role: "system", content: system }] : [];
  const messages = history.after(prefix.length > 0 ? head.concat(prefix) : head, from);
  const compressed = from > 0 || prefix.length > 0;
  return {
    messages,
    historyFrom: from,
    budget,
    totalTokens: used,
    included,
    excluded,
    sent,
    ...(compressed
      ? {
          compression: {
            strategy: strategy.name,
            tokensBefore: history.totalTokens,
            tokensAfter: history.tokens(from) + prefixTokens,
            keepFrom: from,
            ...(prefix.length > 0 ? { prefix } : {}),
          },
        }
      : {}),
  };
}

/**
 * Rebuilds the messages a turn sent, from what the journal recorded, without running hooks again.
 * The system message comes from the component texts the journal holds (`contents`, on the root
 * frame); `systemPrompt` only for journals written before component texts were journaled.
 */
export function messagesForTurn(
  frame: ExecutionFrame,
  systemPrompt: string | undefined,
  contents: ReadonlyMap<string, string>,
): Message[] {
  const turn = frame.turn;
  if (turn?.replacedMessages) return [...turn.replacedMessages];
  const system = turn?.system ? systemFromContents(turn.system, contents) : systemPrompt;
  const head: Message[] = system ? [{ role: "system", content: system }] : [];
  return frame.messages.after(head.concat(turn?.prefix ?? []), turn?.historyFrom ?? 0);
}

/** The system message of a turn, from the hashes `context.assembled` recorded. */
export function systemFromContents(hashes: readonly string[], contents: ReadonlyMap<string, string>): string {
  return hashes
    .map((hash) => {
      const text = contents.get(hash);
      if (text === undefined) {
        throw new Error(
          `internal: the journal holds no text for component ${hash} of the turn being resumed`,
        );
      }
      return text;
    })
    .join("\n\n");
}

/** Tokens of the history's newest exchange (with its task message): what is sent whatever the budget. */
function protectedHistoryTokens(history: ExecutionFrame["messages"]): number {
  if (history.length === 0) return 0;
  const newest = fitSuffix(history, 0);
  const prefix = newest.prefix ?? [];
  return (
    history.tokens(newest.keepFrom) + prefix.reduce((n, m) => n + countMessageTokens(history.tokenizer, m), 0)
  );
}
