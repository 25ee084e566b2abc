import {
  type ContextComponentRecord,
  type ExecutionFrame,
  emptyFrame,
  fold,
  type Message,
  type StoredEvent,
} from "@loom/core";
import type { IterationExplanation } from "@loom/debugger";
import { CostSum, ModelTracker, modelCallsOf, type Prices } from "./prices.js";

const CHECKPOINT_EVERY = 5_000;

/** What became of one history message between the previous iteration and this one. */
export type MessageChange =
  | "added"
  | "added-left-out"
  | "dropped-by-compression"
  | "dropped-by-assembler"
  | "restored";

export interface MessageDiff {
  readonly index: number;
  readonly role: Message["role"];
  readonly text: string;
  readonly change: MessageChange;
  /** The assembler's reason, or the compression strategy, for a message left out. */
  readonly reason?: string;
}

export interface SummaryDiff {
  readonly change: "added" | "dropped";
  readonly strategy: string;
  readonly text: string;
  /** The history messages it stands for: `[0, keepFrom)`. */
  readonly replaces?: readonly [number, number];
}

export interface ComponentText {
  readonly id: string;
  readonly kind: ContextComponentRecord["kind"];
  readonly hash: string;
  /** Undefined when the journal does not hold the text (a journal written before texts were journaled). */
  readonly text: string | undefined;
  readonly change: "same" | "changed" | "added";
  /** The text at the previous iteration, when it changed. */
  readonly before?: string;
}

export interface IterationChanges {
  readonly frameId: string;
  readonly iteration: number;
  readonly previous: number | undefined;
  /** The system message sent, rebuilt from `context.assembled.system` and the journaled texts. */
  readonly system: { readonly text: string | undefined; readonly changed: boolean; readonly before?: string };
  /** Every component sent with a text (system prompt, document, memory): what it said at this iteration. */
  readonly components: readonly ComponentText[];
  /** Components with a text at the previous iteration and none now. */
  readonly removed: readonly {
    readonly id: string;
    readonly kind: string;
    readonly text: string | undefined;
  }[];
  /** Messages added, dropped or restored since the previous iteration; messages sent both times are counted only. */
  readonly messages: readonly MessageDiff[];
  readonly unchanged: number;
  readonly summaries: readonly SummaryDiff[];
  /** US dollars of this iteration's model calls by the studio's `prices`; undefined when unknown. */
  readonly cost: number | undefined;
}

/** Everything the changes of one thread need, computed once per read of the thread. */
export class ThreadIndex {
  /** Component texts by hash: each is journaled once, the first time it is sent. */
  readonly contents = new Map<string, string>();
  private readonly costs = new Map<string, CostSum>();
  /** Folded roots at every `CHECKPOINT_EVERY`th seq reached so far, in seq order (seq n is at index n). */
  private readonly checkpoints: { seq: number; root: ExecutionFrame }[] = [];

  constructor(
    readonly threadId: string,
    readonly events: readonly StoredEvent[],
    private readonly prices: Prices | undefined,
  ) {
    const models = new ModelTracker();
    for (const event of events) {
      const model = models.see(event);
      if (event.type === "context.assembled") {
        for (const record of [...event.data.included, ...event.data.excluded])
          if (record.hash !== undefined && record.content !== undefined)
            this.contents.set(record.hash, record.content);
      } else {
        for (const call of modelCallsOf(event, model)) {
          const key = `${event.frameId}\u0000${event.iteration}`;
          let sum = this.costs.get(key);
          if (!sum) {
            sum = new CostSum();
            this.costs.set(key, sum);
          }
          sum.add(prices, call.ref, call.usage);
        }
      }
    }
  }

  cost(frameId: string, iteration: number): number | undefined {
    if (!this.prices) return undefined;
    return this.costs.get(`${frameId}\u0000${iteration}`)?.value ?? 0;
  }

  /**
   * The thread's root frame as it stood right after `seq`: folded from the nearest checkpoint before
   * it (one kept every `CHECKPOINT_EVERY` events as folds pass them), so the changes of any iteration
   * of a long thread fold at most that many events once its earlier checkpoints exist.
   */
  rootAt(seq: number): ExecutionFrame {
    let base: { seq: number; root: ExecutionFrame } | undefined;
    for (const checkpoint of this.checkpoints) {
      if (checkpoint.seq > seq) break;
      base = checkpoint;
    }
    let root = base?.root ?? emptyFrame(this.threadId);
    for (let i = base ? base.seq + 1 : 0; i <= seq && i < this.events.length; i++) {
      root = fold(root, this.events[i]!);
      if ((i + 1) % CHECKPOINT_EVERY === 0 && i > (this.checkpoints.at(-1)?.seq ?? -1)) {
        this.checkpoints.push({ seq: i, root });
      }
    }
    return root;
  }

  systemHashes(seq: number | undefined): readonly string[] | undefined {
    if (seq === undefined) return undefined;
    const event = this.events[seq];
    return event?.type === "context.assembled" ? event.data.system : undefined;
  }

  systemText(hashes: readonly string[] | undefined): string | undefined {
    if (!hashes) return undefined;
    const parts = hashes.map((hash) => this.contents.get(hash));
    return parts.every((p) => p !== undefined) ? parts.join("\n\n") : undefined;
  }
}

export function findFrame(frame: ExecutionFrame, frameId: string): ExecutionFrame | undefined {
  if (frame.frameId === frameId) return frame;
  for (const child of Object.values(frame.children)) {
    const found = findFrame(child, frameId);
    if (found) return found;
  }
  return undefined;
}

export function messageText(message: Message): string {
  if (message.role === "assistant" && message.toolCalls?.length) {
    const calls = message.toolCalls.map((c) => `${c.name}(${c.arguments})`).join(", ");
    return message.content ? `${message.content} ${calls}` : calls;
  }
  if (message.role === "tool") return `${message.name}: ${message.content}`;
  return message.content;
}

const covering = (records: readonly ContextComponentRecord[], i: number) =>
  records.find((c) => c.kind === "history" && c.range && i >= c.range[0] && i < c.range[1]);

/**
 * The context of iteration `now` against the one before it in the same frame, message by message:
 * which history messages were added, dropped by a compression (and the summary that replaced them)
 * or by the assembler, and which component texts changed. History is append-only, so a message keeps
 * its index from one iteration to the next.
 */
export function iterationChanges(
  index: ThreadIndex,
  now: IterationExplanation,
  before: IterationExplanation | undefined,
): IterationChanges {
  const frameId = now.frameId;
  let messages: readonly Message[] = [];
  let countBefore = 0;
  if (now.seq !== undefined) {
    if (before?.seq !== undefined)
      countBefore = findFrame(index.rootAt(before.seq), frameId)?.messages.length ?? 0;
    messages = findFrame(index.rootAt(now.seq), frameId)?.messages.toArray() ?? [];
  }

  const diffs: MessageDiff[] = [];
  let unchanged = 0;
  const keptFrom = now.compressions.reduce((max, c) => Math.max(max, c.keepFrom ?? 0), 0);
  messages.forEach((message, i) => {
    const sentNow = covering(now.included, i) !== undefined;
    const base = { index: i, role: message.role, text: messageText(message) };
    if (!before || i >= countBefore) {
      if (sentNow) diffs.push({ ...base, change: "added" });
      else {
        const reason = covering(now.excluded, i)?.reason;
        diffs.push({ ...base, change: "added-left-out", ...(reason ? { reason } : {}) });
      }
      return;
    }
    const sentBefore = covering(before.included, i) !== undefined;
    if (sentBefore && !sentNow) {
      if (i < keptFrom) {
        const strategy = now.compressions.find((c) => (c.keepFrom ?? 0) > i)?.strategy;
        diffs.push({ ...base, change: "dropped-by-compression", ...(strategy ? { reason: strategy } : {}) });
      } else {
        const reason = covering(now.excluded, i)?.reason;
        diffs.push({ ...base, change: "dropped-by-assembler", ...(reason ? { reason } : {}) });
      }
    } else if (!sentBefore && sentNow) diffs.push({ ...base, change: "restored" });
    else if (sentNow) unchanged++;
  });

  const summaryTexts = (e: IterationExplanation | undefined) =>
    (e?.compressions ?? []).flatMap((c) =>
      (c.prefix ?? []).map((m) => ({
        strategy: c.strategy,
        text: messageText(m as Message),
        ...(c.keepFrom !== undefined ? { replaces: [0, c.keepFrom] as const } : {}),
      })),
    );
  const nowSummaries = summaryTexts(now);
  const beforeSummaries = summaryTexts(before);
  const summaries: SummaryDiff[] = [
    ...nowSummaries
      .filter((s) => !beforeSummaries.some((b) => b.text === s.text))
      .map((s) => ({ ...s, change: "added" as const })),
    ...beforeSummaries
      .filter((b) => !nowSummaries.some((s) => s.text === b.text))
      .map((b) => ({ ...b, change: "dropped" as const })),
  ];

  const withText = (e: IterationExplanation | undefined) => {
    const map = new Map<string, ContextComponentRecord>();
    for (const c of [...(e?.included ?? []), ...(e?.excluded ?? [])])
      if (c.hash !== undefined && !map.has(c.id)) map.set(c.id, c);
    return map;
  };
  const componentsNow = withText(now);
  const componentsBefore = withText(before);
  const components: ComponentText[] = [...componentsNow.values()].map((c) => {
    const prior = componentsBefore.get(c.id);
    const text = index.contents.get(c.hash!);
    if (!before || !prior)
      return { id: c.id, kind: c.kind, hash: c.hash!, text, change: before ? "added" : "same" };
    if (prior.hash === c.hash) return { id: c.id, kind: c.kind, hash: c.hash!, text, change: "same" };
    const was = index.contents.get(prior.hash!);
    return {
      id: c.id,
      kind: c.kind,
      hash: c.hash!,
      text,
      change: "changed",
      ...(was !== undefined ? { before: was } : {}),
    };
  });
  const removed = [...componentsBefore.values()]
    .filter((c) => !componentsNow.has(c.id))
    .map((c) => ({ id: c.id, kind: c.kind, text: index.contents.get(c.hash!) }));

  const systemNow = index.systemHashes(now.seq);
  const systemBefore = index.systemHashes(before?.seq);
  const systemChanged = before !== undefined && (systemNow ?? []).join() !== (systemBefore ?? []).join();
  const beforeText = systemChanged ? index.systemText(systemBefore) : undefined;

  return {
    frameId,
    iteration: now.iteration,
    previous: before?.iteration,
    system: {
      text: index.systemText(systemNow),
      changed: systemChanged,
      ...(beforeText !== undefined ? { before: beforeText } : {}),
    },
    components,
    removed,
    messages: diffs,
    unchanged,
    summaries,
    cost: index.cost(frameId, now.iteration),
  };
}
