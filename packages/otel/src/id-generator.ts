import { randomBytes } from "node:crypto";

/**
 * An `IdGenerator` for the SDK's tracer provider (`new BasicTracerProvider({ idGenerator })`, the
 * same for `NodeTracerProvider`) that lets `tracedJournal` and `exportThread` give every span an id
 * derived from its thread and the event that started it. Then a run resumed in another process
 * emits the spans the crashed process left open with the ids their children already point at (no
 * span is orphaned), and a run's root `invoke_agent` needs no made-up parent for its trace id.
 * Spans that are not Loom's get random ids, as with the SDK's own generator.
 *
 * Structural: it matches the SDK's `IdGenerator` interface without depending on the SDK.
 */
export interface LoomIdGenerator {
  generateTraceId(): string;
  generateSpanId(): string;
  /** @internal Runs `start` with the ids the next span must get; true when they were used. */
  withIds<T>(ids: { traceId: string; spanId: string }, start: () => T): { value: T; used: boolean };
}

export function loomIdGenerator(): LoomIdGenerator {
  let next: { traceId: string; spanId: string; used: boolean } | undefined;
  return {
    generateTraceId: () => {
      if (next) return next.traceId;
      return randomBytes(16).toString("hex");
    },
    generateSpanId: () => {
      if (next) {
        next.used = true;
        return next.spanId;
      }
      return randomBytes(8).toString("hex");
    },
    withIds(ids, start) {
      // The SDK asks for ids synchronously inside startSpan, so a slot set around the call is enough.
      const slot = { ...ids, used: false };
      next = slot;
      try {
        return { value: start(), used: slot.used };
      } finally {
        next = undefined;
      }
    },
  };
}
