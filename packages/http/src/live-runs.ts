import { type AgentEvent, type AgentStream, type RunResult, ThreadBusyError } from "@loom/core";

/** The text of a model call in progress, as its deltas arrived. Keyed by frame and iteration. */
export interface PartialCall {
  readonly frameId: string;
  readonly iteration: number;
  text: string;
  reasoning: string;
}

/** A delta of a model call in progress, as sent to clients (never journaled). */
export interface LiveDelta {
  readonly frameId: string;
  readonly iteration: number;
  readonly kind: "text" | "reasoning" | "tool-call" | "refusal";
  readonly delta: string;
  readonly callId?: string;
}

type DeltaListener = (delta: LiveDelta) => void;

interface LiveRun {
  readonly controller: AbortController;
  /** Calls in progress, by `<frameId>#<iteration>`: dropped at their `llm.completed`. */
  readonly partial: Map<string, PartialCall>;
  readonly listeners: Set<DeltaListener>;
  readonly done: Promise<RunResult | undefined>;
}

/**
 * The runs this process drives for the handler: their AbortControllers (a cancel is not a
 * disconnect) and the text of the model calls they have in progress, kept in memory so a client that
 * connects mid-call gets what was said so far. The journal holds everything else.
 */
export class LiveRuns {
  private readonly runs = new Map<string, LiveRun>();

  has(threadId: string): boolean {
    return this.runs.has(threadId);
  }

  /**
   * Drives `start(signal)` to its end in the background. Resolves once the run has taken its thread
   * (its first event) or failed before that, so the caller can answer "started" or the error.
   */
  async start(threadId: string, start: (signal: AbortSignal) => AgentStream): Promise<void> {
    if (this.runs.has(threadId)) throw ThreadBusyError.owned(threadId, "another run started by this handler");
    const controller = new AbortController();
    const stream = start(controller.signal);
    let started = false;
    const partial = new Map<string, PartialCall>();
    const listeners = new Set<DeltaListener>();
    let onFirst!: () => void;
    const first = new Promise<void>((resolve) => (onFirst = resolve));
    const done = (async () => {
      try {
        for await (const event of stream) {
          this.observe(event, partial, listeners);
          started = true;
          onFirst();
        }
        return await stream.result;
      } catch {
        // The run journaled why it ended (run.failed, run.cancelled); clients read it there.
        return undefined;
      } finally {
        if (this.runs.get(threadId)?.controller === controller) this.runs.delete(threadId);
        onFirst();
      }
    })();
    this.runs.set(threadId, { controller, partial, listeners, done });
    await first;
    // A run that ended before its first event (busy, unknown thread): the caller reports why.
    if (!started) await stream.result;
  }

  /** Aborts this process's run of the thread, if it has one; the run journals `run.cancelled`. */
  async cancel(threadId: string, reason: string): Promise<boolean> {
    const run = this.runs.get(threadId);
    if (!run) return false;
    run.controller.abort(new Error(reason));
    await run.done;
    return true;
  }

  /** The model calls in progress now, and every delta from here on until `stop`. */
  follow(threadId: string, listener: DeltaListener): { partial: PartialCall[]; stop: () => void } {
    const run = this.runs.get(threadId);
    if (!run) return { partial: [], stop: () => undefined };
    run.listeners.add(listener);
    return {
      partial: [...run.partial.values()].map((p) => ({ ...p })),
      stop: () => run.listeners.delete(listener),
    };
  }

  /** Aborts every run and waits for each to journal how it ended. */
  async close(reason: string): Promise<void> {
    const runs = [...this.runs.values()];
    for (const run of runs) run.controller.abort(new Error(reason));
    await Promise.all(runs.map((run) => run.done));
  }

  private observe(event: AgentEvent, partial: Map<string, PartialCall>, listeners: Set<DeltaListener>): void {
    const key = `${event.frameId}#${event.iteration}`;
    if (event.type === "llm.delta") {
      const call = partial.get(key) ?? {
        frameId: event.frameId,
        iteration: event.iteration,
        text: "",
        reasoning: "",
      };
      partial.set(key, call);
      if (event.data.kind === "text") call.text += event.data.delta;
      if (event.data.kind === "reasoning") call.reasoning += event.data.delta;
      const delta: LiveDelta = {
        frameId: event.frameId,
        iteration: event.iteration,
        kind: event.data.kind,
        delta: event.data.delta,
        ...(event.data.callId !== undefined ? { callId: event.data.callId } : {}),
      };
      for (const listener of listeners) listener(delta);
    } else if (
      event.type === "llm.completed" ||
      event.type === "llm.failed" ||
      event.type === "llm.requested"
    ) {
      partial.delete(key);
    }
  }
}
