import { type FrameStatus, type Journal, threadStatusAfter } from "@loom/core";

/** What the thread list shows of a thread beyond `ThreadInfo`: counted once, then only from new events. */
export interface ThreadSummary {
  readonly threadId: string;
  readonly lastSeq: number;
  readonly status: FrameStatus | undefined;
  /** Iterations of the root frame. */
  readonly iterations: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
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
  errors: 0,
  lastActivity: undefined,
  agent: undefined,
  input: undefined,
});

/** Per-thread counts, kept per journal and brought up to date by reading only the events after the last count. */
export class ThreadSummaries {
  private readonly cache = new Map<string, ThreadSummary>();

  constructor(private readonly journal: Journal) {}

  async get(threadId: string): Promise<ThreadSummary> {
    let summary = this.cache.get(threadId) ?? EMPTY(threadId);
    const head = await this.journal.head(threadId);
    if (head <= summary.lastSeq) return summary;
    let { status, iterations, inputTokens, outputTokens, errors, lastActivity, agent, input } = summary;
    let lastSeq = summary.lastSeq;
    for await (const event of this.journal.read(threadId, { from: lastSeq + 1, to: head })) {
      lastSeq = event.seq;
      lastActivity = event.ts;
      status = threadStatusAfter(status, event);
      if (event.type === "iteration.started" && event.depth === 0) iterations++;
      else if (event.type === "llm.completed") {
        inputTokens += event.data.usage.inputTokens;
        outputTokens += event.data.usage.outputTokens;
      } else if (event.type === "run.failed" || event.type === "llm.failed") errors++;
      else if (event.type === "tool.completed" && event.data.error) errors++;
      else if (event.type === "run.started" && event.depth === 0) {
        agent = event.data.agent ?? agent;
        input = event.data.input;
      }
    }
    summary = {
      threadId,
      lastSeq,
      status,
      iterations,
      inputTokens,
      outputTokens,
      errors,
      lastActivity,
      agent,
      input,
    };
    this.cache.set(threadId, summary);
    return summary;
  }
}
