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
  readonly context?: ContextOptions;
  /** The system prompt the agent used (not journaled unless a hook replaced the messages). */
  readonly system?: string;
  /** Tokens of the tool schemas the agent offered. Default 0. */
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
  const context = ContextOptionsSchema.parse(options.context ?? {});
  const tokenizer = options.tokenizer ?? estimateTokenizer;
  const signal = options.signal ?? new AbortController().signal;
  const components: ContextComponent[] = options.system
    ? [{ id: "system", kind: "system", priority: 100, content: options.system }]
    : [];
  const contexts: ReconstructedContext[] = [];
  let root: ExecutionFrame | undefined;
  let done = 0;
  for await (const event of events) {
    root ??= emptyFrame(event.threadId, { messages: History.empty(tokenizer) });
    if (event.type === "context.assembled") {
      const frame = findFrame(root, event.frameId);
      if (frame) {
        const assembled = await assembleContext(
          frame,
          components,
          options.toolsTokens ?? 0,
          context,
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
    root = fold(root, event);
    options.onProgress?.(++done);
  }
  if (!root) throw new ConfigError("reconstruct: the thread has no events.");
  return { frame: root, contexts };
}
