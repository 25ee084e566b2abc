import { createHash } from "node:crypto";
import type { TraceContext } from "@loom/core";
import { type Context, createTraceState, ROOT_CONTEXT, TraceFlags, trace } from "@opentelemetry/api";

const hex = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * The trace id of a run: the first 16 bytes of SHA-256 of `loom:<threadId>:<runId>`, as 32 hex
 * digits. The same in every process, so a resumed run (which keeps its run id) continues its trace,
 * and a thread exported later with `exportThread` lands in the same trace as its live spans.
 */
export function traceIdOf(threadId: string, runId: string): string {
  return hex(`loom:${threadId}:${runId}`).slice(0, 32);
}

/**
 * The span id every root `invoke_agent` span of a run has as its parent: 8 bytes of SHA-256 of
 * `loom:<threadId>:<runId>:root`. No span with this id is ever emitted; it exists so that the
 * trace id can be chosen through `@opentelemetry/api` alone (a span takes its parent's trace id).
 */
export function runParentSpanIdOf(threadId: string, runId: string): string {
  return hex(`loom:${threadId}:${runId}:root`).slice(0, 16);
}

/** A span id derived from `seed` (8 bytes of SHA-256 of `loom:span:<seed>`). */
export function spanIdOf(seed: string): string {
  return hex(`loom:span:${seed}`).slice(0, 16);
}

/** The ids of a W3C `traceparent` (version 00), or undefined for anything else. */
export function parseTraceparent(
  traceparent: string,
): { traceId: string; spanId: string; traceFlags: number } | undefined {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(traceparent);
  if (!match || /^0+$/.test(match[1]!) || /^0+$/.test(match[2]!)) return undefined;
  return { traceId: match[1]!, spanId: match[2]!, traceFlags: Number.parseInt(match[3]!, 16) };
}

/**
 * The trace id of a run: the caller's, when the run was started in a trace context journaled in its
 * `run.started` (`run(input, { traceparent })`), else derived from the thread and run (`traceIdOf`).
 */
export function runTraceIdOf(threadId: string, runId: string, context?: TraceContext): string {
  return (context && parseTraceparent(context.traceparent)?.traceId) ?? traceIdOf(threadId, runId);
}

/**
 * The context a run's root `invoke_agent` spans start in: the caller's span (from the journaled
 * trace context), or a remote, sampled, non-recording parent derived from the run.
 */
export function runContextOf(threadId: string, runId: string, context?: TraceContext): Context {
  const caller = context && parseTraceparent(context.traceparent);
  if (caller) {
    return trace.setSpanContext(ROOT_CONTEXT, {
      ...caller,
      isRemote: true,
      ...(context.tracestate ? { traceState: createTraceState(context.tracestate) } : {}),
    });
  }
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: traceIdOf(threadId, runId),
    spanId: runParentSpanIdOf(threadId, runId),
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
}
