import type { CompressionStrategy } from "./compression.js";
import {
  type AssembledContext,
  assembleContext,
  type ContextComponent,
  type ContextOptions,
  ContextOptionsSchema,
} from "./context.js";
import { ConfigError } from "./errors.js";
import type { EventOfType, StoredEvent } from "./events.js";
import { type ExecutionFrame, emptyFrame, findFrame, fold } from "./frame.js";
import { History } from "./history.js";
import { estimateTokenizer, type Tokenizer } from "./tokenizer.js";

export interface ReconstructOptions {
  /** The strategy to replay the thread under. */
  readonly compression: CompressionStrategy;
  readonly tokenizer?: Tokenizer;
  /** The window to assemble in. Default: the budget each assembly recorded. */
  readonly context?: ContextOptions;
  /**
   * The system prompt to assemble with. Default: the components each assembly sent, as the journal
   * recorded them (texts and priorities); give it only for threads journaled before component texts
   * were, or to try another prompt.
   */
  readonly system?: string;
  /** Tokens of the tool schemas. Default: what each assembly recorded. */
  readonly toolsTokens?: number;
  readonly signal?: AbortSignal;
  /** Called after each event, for progress on long threads. */
  readonly onProgress?: (done: number) => void;
}

export interface ReconstructedContext {
  readonly seq: number;
  readonly frameId: string;
  readonly iteration: number;
  /** What the new strategy would have sent. */
  readonly assembled: AssembledContext;
  /** What the thread actually recorded at that point. */
  readonly recorded: EventOfType<"context.assembled">["data"];
}

export interface Reconstruction {
  /** The thread's state: the same fold as ever, since the journal keeps the raw history. */
  readonly frame: ExecutionFrame;
  /** For every context assembly of the thread, what the new strategy makes of it. */
  readonly contexts: readonly ReconstructedContext[];
}

/**
 * Rebuilds a thread under a compression strategy other than the one it ran with (a strategy
 * upgrade), without calling the thread's model or tools: at each `context.assembled`, the state as
 * it was then is assembled again with the new strategy.
 */
export async function reconstruct(
  events: Iterable<StoredEvent> | AsyncIterable<StoredEvent>,
  options: ReconstructOptions,
): Promise<Reconstruction> {
  if (!options?.compression || typeof options.compression.compress !== "function") {
    throw new ConfigError('reconstruct: "compression" must be a strategy, e.g. keepLastTurns(5).');
  }
  const givenContext =
    options.context === undefined ? undefined : ContextOptionsSchema.parse(options.context);
  const tokenizer = options.tokenizer ?? estimateTokenizer;
  const signal = options.signal ?? new AbortController().signal;
  const given: ContextComponent[] | undefined =
    options.system !== undefined
      ? [{ id: "system", kind: "system", priority: 100, content: options.system }]
      : undefined;
  const contexts: ReconstructedContext[] = [];
  let root: ExecutionFrame | undefined;
  let done = 0;
  for await (const event of events) {
    root ??= emptyFrame(event.threadId, { messages: History.empty(tokenizer) });
    const next = fold(root, event);
    if (event.type === "context.assembled") {
      // Assembled again from the state before the event, with the texts it journaled.
      const frame = findFrame(root, event.frameId);
      if (frame) {
        const recordedTools = event.data.included.find((c) => c.kind === "tools")?.tokens ?? 0;
        const assembled = await assembleContext(
          frame,
          given ?? recordedComponents(event.data, next.contents),
          options.toolsTokens ?? recordedTools,
          // The window each assembly had, as recorded (budget = window - reserved output).
          givenContext ?? { windowTokens: event.data.budget, reservedOutputTokens: 0 },
          options.compression,
          signal,
        );
        contexts.push({
          seq: event.seq,
          frameId: event.frameId,
          iteration: event.iteration,
          assembled,
          recorded: event.data,
        });
      }
    }
    root = next;
    options.onProgress?.(++done);
  }
  if (!root) throw new ConfigError("reconstruct: the thread has no events.");
  return { frame: root, contexts };
}

/** The components an assembly sent, as `context.assembled` recorded them (text, priority, kind). */
function recordedComponents(
  recorded: EventOfType<"context.assembled">["data"],
  contents: ReadonlyMap<string, string>,
): ContextComponent[] {
  const byHash = new Map(recorded.included.filter((c) => c.hash !== undefined).map((c) => [c.hash!, c]));
  return (recorded.system ?? []).flatMap((hash) => {
    const record = byHash.get(hash);
    const content = contents.get(hash);
    if (!record || content === undefined || record.kind === "history" || record.kind === "tools") return [];
    const kind = record.kind === "tool-result" ? "document" : record.kind;
    return [{ id: record.id, kind, priority: record.priority, content, tokens: record.tokens }];
  });
}
