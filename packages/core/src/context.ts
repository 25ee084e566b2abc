import { z } from "zod";
import { type CompressionStrategy, fitSuffix } from "./compression.js";
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
}

export const HISTORY_PRIORITY = 50;

/**
 * Fits the components and the frame's history into the window minus the reserved output.
 * Components are taken by priority; the history goes through the compression strategy, and if
 * what it returns still does not fit, the oldest whole turns of it are dropped (a turn starts at a
 * user message, so a tool result never loses its call). Every decision is returned as records for
 * `context.assembled`.
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
  const included: ContextComponentRecord[] = [];
  const excluded: ContextComponentRecord[] = [];
  let used = toolsTokens;
  if (toolsTokens > 0) included.push({ id: "tools", kind: "tools", tokens: toolsTokens, priority: 100 });

  const kept = new Set<ContextComponent>();
  for (const component of [...components].sort((a, b) => b.priority - a.priority)) {
    const tokens = component.tokens ?? tokenizer.count(component.content);
    const record = { id: component.id, kind: component.kind, tokens, priority: component.priority };
    if (used + tokens <= budget) {
      used += tokens;
      included.push(record);
      kept.add(component);
    } else {
      excluded.push({
        ...record,
        reason: `over budget: ${tokens} tokens, ${Math.max(0, budget - used)} left`,
      });
    }
  }

  const available = Math.max(0, budget - used);
  let result = await strategy.compress({ history, budget: available, signal });
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

  // Components stay in the order they were given; priority only decides what is dropped.
  const system = components
    .filter((c) => kept.has(c))
    .map((c) => c.content)
    .join("\n\n");
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

/** Rebuilds the messages a turn sent, from what the journal recorded, without running hooks again. */
export function messagesForTurn(frame: ExecutionFrame, systemPrompt: string | undefined): Message[] {
  const turn = frame.turn;
  if (turn?.replacedMessages) return [...turn.replacedMessages];
  const head: Message[] = systemPrompt ? [{ role: "system", content: systemPrompt }] : [];
  return frame.messages.after(head.concat(turn?.prefix ?? []), turn?.historyFrom ?? 0);
}
