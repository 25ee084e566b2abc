import { z } from "zod";
import type { ContextComponentRecord } from "./events.js";
import type { ExecutionFrame } from "./frame.js";
import { estimateTokens } from "./history.js";
import type { Message } from "./messages.js";

/** A piece of context other than the conversation itself: the system prompt, a document, a memory. */
export interface ContextComponent {
  readonly id: string;
  readonly kind: "system" | "document" | "memory";
  /** Higher is kept first when the window is too small. */
  readonly priority: number;
  readonly content: string;
  /** Token count; estimated from `content` when absent. */
  readonly tokens?: number;
}

export const ContextOptionsSchema = z.object({
  /** The model's context window, in tokens. */
  windowTokens: z.number().int().positive().default(128_000),
  /** Tokens kept free for the model's answer. */
  reservedOutputTokens: z.number().int().nonnegative().default(4_096),
});
export type ContextOptions = z.input<typeof ContextOptionsSchema>;

export interface AssembledContext {
  readonly messages: Message[];
  readonly historyFrom: number;
  readonly budget: number;
  readonly totalTokens: number;
  readonly included: ContextComponentRecord[];
  readonly excluded: ContextComponentRecord[];
}

export const HISTORY_PRIORITY = 50;

/**
 * Fits the components and the frame's history into the window minus the reserved output. Components
 * are taken by priority; the history keeps its newest turns and drops the oldest whole turns
 * (a turn starts at a user message, so a tool result never loses its call). Every decision is
 * returned as a record for `context.assembled`.
 */
export function assembleContext(
  frame: ExecutionFrame,
  components: readonly ContextComponent[],
  toolsTokens: number,
  options: z.output<typeof ContextOptionsSchema>,
): AssembledContext {
  const budget = options.windowTokens - options.reservedOutputTokens;
  const included: ContextComponentRecord[] = [];
  const excluded: ContextComponentRecord[] = [];
  let used = toolsTokens;
  if (toolsTokens > 0) included.push({ id: "tools", kind: "tools", tokens: toolsTokens, priority: 100 });

  const ranked = [...components].sort((a, b) => b.priority - a.priority);
  for (const component of ranked) {
    const tokens = component.tokens ?? estimateTokens(component.content);
    const record = { id: component.id, kind: component.kind, tokens, priority: component.priority };
    if (used + tokens <= budget) {
      used += tokens;
      included.push(record);
    } else {
      excluded.push({
        ...record,
        reason: `over budget: ${tokens} tokens, ${Math.max(0, budget - used)} left`,
      });
    }
  }

  const history = frame.messages;
  const length = history.length;
  let from = 0;
  if (history.totalTokens > budget - used) {
    from = firstFittingIndex(frame, budget - used);
    while (from < length && history.at(from)!.role !== "user") from++;
    if (from === length) {
      // Not even the newest turn fits: send the newest turn anyway and let the model say so.
      from = length - 1;
      while (from > 0 && history.at(from)!.role !== "user") from--;
    }
  }
  if (from > 0) {
    excluded.push({
      id: "history",
      kind: "history",
      tokens: history.tokens(0, from),
      priority: HISTORY_PRIORITY,
      range: [0, from],
      reason: "over budget: oldest turns dropped",
    });
  }
  if (length > from) {
    included.push({
      id: "history",
      kind: "history",
      tokens: history.tokens(from, length),
      priority: HISTORY_PRIORITY,
      range: [from, length],
    });
  }
  used += history.tokens(from, length);

  const messages = history.slice(from);
  // Components stay in the order they were given; priority only decides what is dropped.
  const system = components
    .filter((c) => included.some((r) => r.id === c.id && r.kind === c.kind))
    .map((c) => c.content)
    .join("\n\n");
  if (system) messages.unshift({ role: "system", content: system });
  return { messages, historyFrom: from, budget, totalTokens: used, included, excluded };
}

/** Smallest index whose suffix of the history fits in `available` tokens (binary search on prefix sums). */
function firstFittingIndex(frame: ExecutionFrame, available: number): number {
  const history = frame.messages;
  let lo = 0;
  let hi = history.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (history.tokens(mid) <= available) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Rebuilds the messages a turn sent, from what the journal recorded, without running hooks again. */
export function messagesForTurn(frame: ExecutionFrame, systemPrompt: string | undefined): Message[] {
  const turn = frame.turn;
  if (turn?.replacedMessages) return [...turn.replacedMessages];
  const messages = frame.messages.slice(turn?.historyFrom ?? 0);
  if (systemPrompt) messages.unshift({ role: "system", content: systemPrompt });
  return messages;
}
