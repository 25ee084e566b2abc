import { type FrameStatus, type Journal, threadStatusAfter } from "@loom/core";
import { CostSum, ModelTracker, modelCallsOf, type Prices } from "./prices.js";

/** What the thread list shows of a thread beyond `ThreadInfo`: counted once, then only from new events. */
export interface ThreadSummary {
  readonly threadId: string;
  readonly lastSeq: number;
  readonly status: FrameStatus | undefined;
  /** Iterations of the root frame. */
  readonly iterations: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** US dollars by the studio's `prices`; undefined when some model call of the thread has no price. */
  readonly cost: number | undefined;
  /** The `provider/model` of calls without a price. */
  readonly unpriced: readonly string[];
  readonly errors: number;
  readonly lastActivity: number | undefined;
  readonly agent: string | undefined;
  readonly input: string | undefined;
}

const EMPTY = (threadId: string): ThreadSummary => ({
  threadId,
  lastSeq: -1,
  status: undefined,
  iterations: 0,
  inputTokens: 0,
  outputTokens: 0,
  cost: 0,
  unpriced: [],
  errors: 0,
  lastActivity: undefined,
  agent: undefined,
  input: undefined,
});

/** Per-thread counts, kept per journal and brought up to date by reading only the events after the last count. */
interface Counting {
  summary: ThreadSummary;
  readonly cost: CostSum;
  readonly models: ModelTracker;
}

export class ThreadSummaries {
  private readonly cache = new Map<string, Counting>();

  constructor(
    private readonly journal: Journal,
    private readonly prices: Prices | undefined,
  ) {}

  private readonly inflight = new Map<string, Promise<ThreadSummary>>();

  /** Two requests for the same thread share one count: the running cost must not take events twice. */
  get(threadId: string): Promise<ThreadSummary> {
    let pending = this.inflight.get(threadId);
    if (!pending) {
      pending = this.count(threadId).finally(() => this.inflight.delete(threadId));
      this.inflight.set(threadId, pending);
    }
    return pending;
  }

  private async count(threadId: string): Promise<ThreadSummary> {
    const counting = this.cache.get(threadId) ?? {
      summary: EMPTY(threadId),
      cost: new CostSum(),
      models: new ModelTracker(),
    };
    let summary = counting.summary;
    const head = await this.journal.head(threadId);
    if (head <= summary.lastSeq) return summary;
    let { status, iterations, inputTokens, outputTokens, errors, lastActivity, agent, input } = summary;
    let lastSeq = summary.lastSeq;
    try {
      for await (const event of this.journal.read(threadId, { from: lastSeq + 1, to: head })) {
        lastSeq = event.seq;
        lastActivity = event.ts;
        status = threadStatusAfter(status, event);
        const model = counting.models.see(event);
        for (const call of modelCallsOf(event, model)) {
          inputTokens += call.usage.inputTokens;
          outputTokens += call.usage.outputTokens;
          counting.cost.add(this.prices, call.ref, call.usage);
        }
        if (event.type === "iteration.started" && event.depth === 0) iterations++;
        else if (event.type === "run.failed" || event.type === "llm.failed") errors++;
        else if (event.type === "tool.completed" && event.data.error) errors++;
        else if (event.type === "run.started" && event.depth === 0) {
          agent = event.data.agent ?? agent;
          input = event.data.input;
        }
      }
    } catch (error) {
      // The running cost took some of these events: count the thread again from 0 next time.
      this.cache.delete(threadId);
      throw error;
    }
    summary = {
      threadId,
      lastSeq,
      status,
      iterations,
      inputTokens,
      outputTokens,
      cost: this.prices ? counting.cost.value : undefined,
      unpriced: [...counting.cost.unpriced],
      errors,
      lastActivity,
      agent,
      input,
    };
    counting.summary = summary;
    this.cache.set(threadId, counting);
    return summary;
  }
}
