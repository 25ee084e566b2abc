import {
  type AgentEvent,
  type ContextComponentRecord,
  type ExecutionFrame,
  type Hook,
  type Journal,
  loadThread,
  parseEvent,
  readAll,
  type StoredEvent,
} from "@loom/core";
import { DebuggerError } from "./errors.js";
import { type EventsInput, normalizeEvents } from "./events-input.js";
import { compactRanges } from "./ranges.js";
import { type Compression, type FrameInfo, type IterationRecord, Recording } from "./recording.js";
import { type DebugSummary, summarize } from "./summary.js";

export interface ContextDebuggerOptions {
  /** The frame to explain: "root" (default) or a sub-agent's frame id (see `frames()`). */
  readonly frameId?: string;
}

export interface FromJournalOptions extends ContextDebuggerOptions {
  /**
   * Explain at least the frame's last `n` iterations, reading the thread from the latest snapshot
   * before them instead of from its first event: a long thread's recent iterations cost what they
   * hold. Earlier iterations are not explained (and images only in older messages are not listed).
   */
  readonly lastIterations?: number;
}

export interface IterationExplanation extends IterationRecord {
  /** Tokens of the budget left unused. */
  readonly freeTokens: number;
}

export type ComponentFate = "included" | "excluded" | "partly-excluded" | "absent";

/** What happened to one component at one iteration. A history record can be partly kept and partly dropped. */
export interface ComponentAtIteration {
  readonly iteration: number;
  readonly fate: ComponentFate;
  readonly includedTokens: number;
  readonly excludedTokens: number;
  readonly priority: number | undefined;
  /** For history: the message ranges kept and dropped. */
  readonly includedRange: readonly [number, number] | undefined;
  readonly excludedRange: readonly [number, number] | undefined;
  readonly reason: string | undefined;
}

export interface ComponentExplanation {
  readonly id: string;
  readonly kind: ContextComponentRecord["kind"];
  readonly frameId: string;
  readonly iterations: readonly ComponentAtIteration[];
}

export interface DebugExport {
  readonly format: "loom.context-debugger";
  readonly version: 1;
  readonly threadId: string | undefined;
  readonly frameId: string;
  readonly frames: readonly FrameInfo[];
  readonly iterations: readonly IterationExplanation[];
  readonly summary: DebugSummary;
}

/**
 * Explains what the context assembler did, iteration by iteration, for one frame of one thread.
 * Offline from a journal or an array of events; live by passing `hook` to `createAgent` or by
 * feeding `observe` with the events of `agent.stream()`.
 */
export class ContextDebugger {
  readonly frameId: string;
  private recording = new Recording();

  /** A live debugger, empty until it observes events or its hook runs. */
  constructor(options: ContextDebuggerOptions = {}) {
    const frameId = options.frameId ?? "root";
    if (typeof frameId !== "string" || frameId === "") {
      throw new DebuggerError(
        "frame_not_found",
        `frameId must be a non-empty string, got ${String(frameId)}.`,
      );
    }
    this.frameId = frameId;
  }

  /** From the events of one thread: a journal's, a stream's, or parsed JSON. Transient events are skipped. */
  static fromEvents(events: EventsInput, options: ContextDebuggerOptions = {}): ContextDebugger {
    const debug = new ContextDebugger(options);
    for (const event of normalizeEvents(events)) debug.recording.add(event);
    return debug;
  }

  static async fromJournal(
    journal: Journal,
    threadId: string,
    options: FromJournalOptions = {},
  ): Promise<ContextDebugger> {
    const last = options.lastIterations;
    if (last !== undefined && (!Number.isInteger(last) || last < 1)) {
      throw new DebuggerError(
        "invalid_events",
        `lastIterations must be a positive integer, got ${String(last)}.`,
      );
    }
    const { events, base } =
      last !== undefined && journal.latestSnapshot
        ? await recentEvents(journal, threadId, options.frameId ?? "root", last)
        : { events: await readAll(journal, threadId), base: undefined };
    if (events.length === 0) {
      throw new DebuggerError(
        "invalid_events",
        `Thread "${threadId}" has no events in this journal; check the thread id (journal.threads() lists them).`,
      );
    }
    const debug = ContextDebugger.fromEvents(events, options.frameId ? { frameId: options.frameId } : {});
    debug.recording.base = base;
    return debug;
  }

  /** The same thread, explained for another frame (a sub-agent). Shares what was recorded. */
  forFrame(frameId: string): ContextDebugger {
    const known = this.frames().map((f) => f.frameId);
    if (!known.includes(frameId)) {
      throw new DebuggerError(
        "frame_not_found",
        `Frame "${frameId}" is not in this thread${known.length > 0 ? `; frames: ${known.join(", ")}` : " (no events seen yet)"}.`,
      );
    }
    const view = new ContextDebugger({ frameId });
    view.recording = this.recording;
    return view;
  }

  /** Feeds one event of a live run (from `agent.stream()`); transient events are ignored. */
  observe(event: AgentEvent | StoredEvent): void {
    if (event.type === "llm.delta" || event.type === "tool.progress") return;
    const stored = parseEvent(event);
    if (this.recording.threadId !== undefined && stored.threadId !== this.recording.threadId) {
      throw new DebuggerError(
        "mixed_threads",
        `This debugger follows thread "${this.recording.threadId}"; event of thread "${stored.threadId}" refused. Use one debugger per thread.`,
      );
    }
    this.recording.add(stored);
  }

  /**
   * A hook that records each context assembly and model usage as the agent runs. It sees what the
   * assembler decided even when nothing else is recorded; it follows the first thread it sees.
   */
  get hook(): Hook {
    const recording = this.recording;
    const follows = (threadId: string) => {
      recording.threadId ??= threadId;
      return recording.threadId === threadId;
    };
    return {
      name: "context-debugger",
      afterContextAssembly: ({ frame, assembly }) => {
        if (follows(frame.threadId))
          recording.sight(frame.frameId, frame.iteration, { ...where(frame), assembly });
      },
      afterLLMResponse: ({ frame, response }) => {
        if (follows(frame.threadId))
          recording.sight(frame.frameId, frame.iteration, { ...where(frame), usage: response.usage });
      },
    };
  }

  /** The validated events recorded so far, in seq order (all frames). */
  get events(): readonly StoredEvent[] {
    return this.recording.events;
  }

  get threadId(): string | undefined {
    return this.recording.threadId;
  }

  frames(): FrameInfo[] {
    return this.recording.frames();
  }

  /** Iteration numbers of this frame that have a context assembly. */
  iterations(): number[] {
    return this.recording.iterations(this.frameId).map((r) => r.iteration);
  }

  /** What was included, what was excluded and why, and the tokens, at iteration `n` of this frame. */
  explainIteration(n: number): IterationExplanation {
    const records = this.recording.iterations(this.frameId);
    const record = records.find((r) => r.iteration === n);
    if (!record) {
      const have = records.map((r) => r.iteration);
      throw new DebuggerError(
        "iteration_not_found",
        `Frame "${this.frameId}" has no context assembly at iteration ${n}; ${have.length > 0 ? `iterations with one: ${compactRanges(have)}` : "it has none yet"}.`,
      );
    }
    return explain(record);
  }

  /** The fate of component `id` ("system", "history", "tools", a document id...) at every iteration. */
  explainComponent(id: string): ComponentExplanation {
    const records = this.recording.iterations(this.frameId);
    let kind: ContextComponentRecord["kind"] | undefined;
    const iterations = records.map((r): ComponentAtIteration => {
      const kept = r.included.filter((c) => c.id === id);
      const dropped = r.excluded.filter((c) => c.id === id);
      kind ??= kept[0]?.kind ?? dropped[0]?.kind;
      const includedTokens = sum(kept.map((c) => c.tokens));
      const excludedTokens = sum(dropped.map((c) => c.tokens));
      const fate: ComponentFate =
        kept.length > 0
          ? dropped.length > 0
            ? "partly-excluded"
            : "included"
          : dropped.length > 0
            ? "excluded"
            : "absent";
      return {
        iteration: r.iteration,
        fate,
        includedTokens,
        excludedTokens,
        priority: kept[0]?.priority ?? dropped[0]?.priority,
        includedRange: kept.find((c) => c.range)?.range,
        excludedRange: dropped.find((c) => c.range)?.range,
        reason: dropped.find((c) => c.reason)?.reason,
      };
    });
    if (kind === undefined) {
      const ids = new Set(records.flatMap((r) => [...r.included, ...r.excluded].map((c) => c.id)));
      throw new DebuggerError(
        "component_not_found",
        `No component "${id}" in any context assembly of frame "${this.frameId}"${ids.size > 0 ? `; components: ${[...ids].join(", ")}` : ""}.`,
      );
    }
    return { id, kind, frameId: this.frameId, iterations };
  }

  /** Token use per iteration, compressions, the largest components, and what to change. */
  summary(): DebugSummary {
    return summarize(this.recording.threadId, this.frameId, this.recording.iterations(this.frameId));
  }

  /** Everything the debugger can say about this frame, as plain JSON (`JSON.stringify(debugger)` works). */
  toJSON(): DebugExport {
    return {
      format: "loom.context-debugger",
      version: 1,
      threadId: this.recording.threadId,
      frameId: this.frameId,
      frames: this.frames(),
      iterations: this.recording.iterations(this.frameId).map(explain),
      summary: this.summary(),
    };
  }
}

function where(frame: ExecutionFrame) {
  return { depth: frame.depth, parentFrameId: frame.parentFrameId };
}

function explain(record: IterationRecord): IterationExplanation {
  return { ...record, freeTokens: Math.max(0, record.budget - record.totalTokens) };
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

export type { Compression, FrameInfo };

/**
 * The events from the latest snapshot that has at least `count` assemblies of `frameId` after it
 * (stepping back one snapshot at a time), and the state that snapshot holds; every event when no
 * snapshot is far enough back.
 */
async function recentEvents(
  journal: Journal,
  threadId: string,
  frameId: string,
  count: number,
): Promise<{ events: StoredEvent[]; base: ExecutionFrame | undefined }> {
  let events: StoredEvent[] = [];
  let snapshot = await journal.latestSnapshot!(threadId);
  let end = Number.POSITIVE_INFINITY;
  for (;;) {
    const from = snapshot ? snapshot.seq + 1 : 0;
    const older = await readAll(journal, threadId, {
      from,
      ...(Number.isFinite(end) ? { to: end - 1 } : {}),
    });
    events = older.concat(events);
    end = from;
    const assemblies = events.filter((e) => e.type === "context.assembled" && e.frameId === frameId).length;
    if (!snapshot || assemblies >= count) break;
    snapshot = snapshot.seq > 0 ? await journal.latestSnapshot!(threadId, snapshot.seq - 1) : undefined;
  }
  const base = snapshot ? await loadThread(journal, threadId, { at: snapshot.seq }) : undefined;
  return { events, base };
}
