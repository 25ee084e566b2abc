import { createHash } from "node:crypto";
import { type Context, ROOT_CONTEXT, TraceFlags, trace } from "@opentelemetry/api";

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

/** The context a run's root `invoke_agent` spans start in: a remote, sampled, non-recording parent. */
export function runContextOf(threadId: string, runId: string): Context {
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: traceIdOf(threadId, runId),
    spanId: runParentSpanIdOf(threadId, runId),
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
}
