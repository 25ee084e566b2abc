import { CallRefs, type StoredEvent } from "@loom/core";
import { formatDuration } from "./duration.js";

/**
 * `wait`: a call waiting for a human's decision, from `approval.requested` (or `run.interrupted`)
 * to its `approval.resolved`. `resume`: a process took up the run (`run.resumed`), from the last
 * event before it (where the previous process stopped) to the resume.
 */
export type SpanKind = "frame" | "run" | "iteration" | "llm" | "tool" | "wait" | "resume";
export type SpanStatus = "ok" | "error" | "interrupted" | "cancelled" | "open";

/** One bar of the flame graph: something with a start and an end in a frame of the thread. */
export interface Span {
  readonly id: string;
  readonly kind: SpanKind;
  readonly name: string;
  readonly frameId: string;
  readonly depth: number;
  readonly iteration: number;
  /** Epoch ms, from the events' `ts`. */
  readonly start: number;
  readonly end: number;
  readonly startSeq: number;
  readonly endSeq: number;
  /** "open" when the thread's events stop before it ended (a crash, or a slice of a thread). */
  readonly status: SpanStatus;
  /** Shown on hover: tokens, model, arguments, error... */
  readonly details: Readonly<Record<string, string | number>>;
}

interface OpenSpan {
  id: string;
  kind: SpanKind;
  name: string;
  frameId: string;
  depth: number;
  iteration: number;
  start: number;
  startSeq: number;
  details: Record<string, string | number>;
}

const short = (text: string, max = 120) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const json = (value: unknown) => short(JSON.stringify(value) ?? "undefined");

/**
 * Pairs the events of a thread into spans: runs (run.started → run.completed / failed / cancelled),
 * iterations, model calls (llm.requested → llm.completed / failed, one span per attempt), tool calls
 * (tool.started → tool.completed), sub-agent frames (frame.spawned → the child's run end) and
 * waits for a human (approval.requested → approval.resolved, one per call) and resumes (the last
 * event before a run.resumed → the run.resumed: the time no process ran the thread).
 */
export function buildSpans(events: readonly StoredEvent[]): Span[] {
  const spans: Span[] = [];
  const open = new Map<string, OpenSpan>();
  let counter = 0;
  // The last event before the latest run.resumed: where the previous process stopped.
  let stoppedAt: StoredEvent | undefined;
  let previous: StoredEvent | undefined;
  const begin = (
    key: string,
    e: StoredEvent,
    span: Omit<OpenSpan, "id" | "start" | "startSeq" | "frameId" | "depth" | "iteration"> & Partial<OpenSpan>,
  ) => {
    // A call started again after a resume: the first attempt ended when its process stopped.
    const earlier = open.get(key);
    if (earlier) {
      const end = stoppedAt && stoppedAt.seq >= earlier.startSeq ? stoppedAt : e;
      open.delete(key);
      spans.push({ ...earlier, end: end.ts, endSeq: end.seq, status: "open" });
    }
    open.set(key, {
      id: `s${counter++}`,
      start: e.ts,
      startSeq: e.seq,
      frameId: e.frameId,
      depth: e.depth,
      iteration: e.iteration,
      ...span,
    });
  };
  const finish = (
    key: string,
    e: StoredEvent,
    status: SpanStatus,
    more: Record<string, string | number> = {},
    name?: string,
  ) => {
    const span = open.get(key);
    if (!span) return undefined;
    open.delete(key);
    const done: Span = {
      ...span,
      ...(name !== undefined ? { name } : {}),
      end: e.ts,
      endSeq: e.seq,
      status,
      details: { ...span.details, ...more },
    };
    spans.push(done);
    return done;
  };
  /** Closes every open span of a frame (its run ended). */
  const finishFrame = (e: StoredEvent, status: SpanStatus, more: Record<string, string | number>) => {
    for (const [key, span] of open) {
      if (span.frameId === e.frameId && span.kind !== "frame" && span.kind !== "run") finish(key, e, status);
    }
    finish(`run:${e.frameId}`, e, status, more);
    finish(`frame:${e.frameId}`, e, status, more);
  };

  const refs = new CallRefs();
  for (const e of events) {
    const f = e.frameId;
    const before = previous;
    previous = e;
    switch (e.type) {
      case "run.started":
        finish(`run:${f}`, e, "open");
        begin(`run:${f}`, e, {
          kind: "run",
          name: e.data.agent ?? "run",
          details: { input: short(e.data.input), runId: e.runId },
        });
        break;
      case "iteration.started":
        begin(`iteration:${f}`, e, { kind: "iteration", name: `iteration ${e.iteration}`, details: {} });
        break;
      case "context.assembled": {
        const span = open.get(`iteration:${f}`);
        if (span) {
          span.details.contextTokens = e.data.totalTokens;
          span.details.budget = e.data.budget;
          if (e.data.excluded.length > 0) span.details.excluded = e.data.excluded.map((c) => c.id).join(", ");
        }
        break;
      }
      case "compression.applied": {
        const span = open.get(`iteration:${f}`);
        if (span)
          span.details.compression = `${e.data.strategy}: ${e.data.tokensBefore} → ${e.data.tokensAfter} tokens`;
        break;
      }
      case "llm.requested":
        begin(`llm:${f}`, e, {
          kind: "llm",
          name: `${e.data.provider}/${e.data.model}`,
          details: { messages: e.data.messageCount, attempt: 1 },
        });
        break;
      case "llm.failed": {
        const failed = finish(
          `llm:${f}`,
          e,
          "error",
          { error: `${e.data.error.code}: ${short(e.data.error.message)}` },
          answeredBy(e.data),
        );
        if (e.data.willRetry && failed) {
          begin(`llm:${f}`, e, {
            kind: "llm",
            name: failed.name,
            details: { messages: failed.details.messages ?? 0, attempt: e.data.attempt + 1 },
          });
        }
        break;
      }
      case "llm.completed":
        refs.see(e);
        finish(
          `llm:${f}`,
          e,
          "ok",
          {
            attempt: e.data.attempt,
            inputTokens: e.data.usage.inputTokens,
            outputTokens: e.data.usage.outputTokens,
            finishReason: e.data.finishReason.unified,
            ...(e.data.message.toolCalls?.length
              ? { toolCalls: e.data.message.toolCalls.map((c) => c.name).join(", ") }
              : {}),
          },
          answeredBy(e.data),
        );
        break;
      case "tool.started":
        begin(`tool:${f}:${e.data.callId}`, e, {
          kind: "tool",
          name: e.data.name,
          details: { call: refs.of(f, e.data.callId), args: json(e.data.args) },
        });
        break;
      case "tool.completed": {
        const key = `tool:${f}:${e.data.callId}`;
        // A call that never started (denied, rejected, bad arguments) is an instant.
        if (!open.has(key)) {
          begin(key, e, {
            kind: "tool",
            name: e.data.name,
            details: { call: refs.of(f, e.data.callId), started: "never" },
          });
        }
        const error = e.data.error;
        finish(key, e, error ? "error" : "ok", {
          result: short(e.data.content),
          ...(error ? { error: `${error.code}: ${short(error.message)}` } : {}),
        });
        break;
      }
      case "frame.spawned":
        open.set(`frame:${e.data.childFrameId}`, {
          id: `s${counter++}`,
          kind: "frame",
          name: e.data.name,
          frameId: e.data.childFrameId,
          depth: e.depth + 1,
          iteration: 0,
          start: e.ts,
          startSeq: e.seq,
          details: { input: short(e.data.input), parentFrameId: f, call: refs.of(f, e.data.callId) },
        });
        break;
      case "approval.requested":
        for (const call of e.data.calls) {
          begin(`wait:${f}:${call.callId}`, e, {
            kind: "wait",
            name: `waiting: ${call.name}`,
            details: { call: refs.of(f, call.callId), reason: short(call.reason), args: json(call.args) },
          });
        }
        break;
      case "run.interrupted":
        // A pause without approval.requested (an older journal, a hook that interrupts) waits too.
        for (const callId of e.data.pendingCallIds) {
          if (!open.has(`wait:${f}:${callId}`)) {
            begin(`wait:${f}:${callId}`, e, {
              kind: "wait",
              name: "waiting",
              details: { call: refs.of(f, callId), reason: short(e.data.reason) },
            });
          }
        }
        break;
      case "approval.resolved":
        finish(`wait:${f}:${e.data.callId}`, e, "ok", {
          decision: e.data.reason ? `${e.data.decision}: ${short(e.data.reason)}` : e.data.decision,
        });
        break;
      case "run.resumed": {
        const from = before ?? e;
        stoppedAt = from;
        spans.push({
          id: `s${counter++}`,
          kind: "resume",
          name: e.data.reason === "unfinished" ? "resumed after a stop mid-run" : "resumed with decisions",
          frameId: f,
          depth: e.depth,
          iteration: e.iteration,
          start: from.ts,
          end: e.ts,
          startSeq: from.seq,
          endSeq: e.seq,
          status: "ok",
          details: {
            reason: e.data.reason,
            stopped: `after seq ${from.seq} (${from.type})`,
            "not running for": formatDuration(e.ts - from.ts),
            runId: e.runId,
          },
        });
        break;
      }
      case "iteration.completed":
        finish(`iteration:${f}`, e, "ok");
        break;
      case "run.completed":
        finishFrame(e, "ok", { result: short(e.data.text) });
        break;
      case "run.failed":
        finishFrame(e, "error", { error: `${e.data.error.code}: ${short(e.data.error.message)}` });
        break;
      case "run.cancelled":
        finishFrame(e, "cancelled", { reason: short(e.data.reason) });
        break;
    }
  }
  const last = events.at(-1);
  if (last) {
    // A thread that stopped on run.interrupted waits for a human: its open spans are paused, not lost.
    const status: SpanStatus = last.type === "run.interrupted" ? "interrupted" : "open";
    for (const span of open.values()) {
      spans.push({
        ...span,
        end: last.ts,
        endSeq: last.seq,
        status,
      });
    }
  }
  return spans.sort(
    (a, b) => a.start - b.start || a.startSeq - b.startSeq || KIND_ORDER[a.kind] - KIND_ORDER[b.kind],
  );
}

export const KIND_ORDER: Readonly<Record<SpanKind, number>> = {
  frame: 0,
  run: 1,
  iteration: 2,
  llm: 3,
  tool: 3,
  wait: 4,
  resume: 1,
};

/** With `fallbackProviders`, the provider and model a model call went to, as a span name. */
function answeredBy(data: { provider?: string; model?: string }): string | undefined {
  return data.provider !== undefined && data.model !== undefined
    ? `${data.provider}/${data.model}`
    : undefined;
}
