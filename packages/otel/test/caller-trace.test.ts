import { MemoryJournal, type NewEvent, readAll } from "@loom/core";
import { describe, expect, it } from "vitest";
import { exportThread, loomIdGenerator, tracedJournal, traceIdOf } from "../src/index.js";
import { memoryTracer, researcher } from "./helpers.js";

// A run started inside a caller's trace (an HTTP request's traceparent) journals that context in
// run.started; every process that writes the run, and a later export, puts its spans in that trace.

const CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN = "00f067aa0ba902b7";
const TRACEPARENT = `00-${CALLER_TRACE}-${CALLER_SPAN}-01`;

describe("a run started in a caller's trace", () => {
  it("puts every span in the caller's trace, the run's root under the caller's span", async () => {
    const { tracer, spans } = memoryTracer();
    const journal = tracedJournal(new MemoryJournal(), { tracer });
    await researcher(journal).run("Research loom", {
      threadId: "t",
      traceparent: TRACEPARENT,
      tracestate: "k=v",
    });
    const all = spans();
    expect(all.length).toBeGreaterThan(5);
    expect(new Set(all.map((s) => s.spanContext().traceId))).toEqual(new Set([CALLER_TRACE]));
    const root = all.find((s) => s.name === "invoke_agent researcher")!;
    expect(root.parentSpanContext?.spanId).toBe(CALLER_SPAN);
    expect(root.parentSpanContext?.traceState?.get("k")).toBe("v");
  });

  it("keeps the trace when another process resumes the run after a crash, at every cut", async () => {
    const full = new MemoryJournal();
    await researcher(full).run("Research loom", { threadId: "t", traceparent: TRACEPARENT });
    const events = await readAll(full, "t");
    expect(traceIdOf("t", events[0]!.runId)).not.toBe(CALLER_TRACE);
    for (let cut = 1; cut < events.length; cut += 3) {
      const store = new MemoryJournal();
      const first = memoryTracer();
      const dying = tracedJournal(store, { tracer: first.tracer });
      for (const event of events.slice(0, cut)) await dying.append("t", [event as NewEvent], event.seq - 1);
      const second = memoryTracer();
      await researcher(tracedJournal(store, { tracer: second.tracer })).resume("t");
      const traces = new Set([...first.spans(), ...second.spans()].map((s) => s.spanContext().traceId));
      expect({ cut, traces: [...traces] }).toEqual({ cut, traces: [CALLER_TRACE] });
    }
  });

  it("with loomIdGenerator, the root is still the caller's child, and exportThread names the caller's trace", async () => {
    const ids = loomIdGenerator();
    const { tracer, spans } = memoryTracer(ids);
    const store = new MemoryJournal();
    await researcher(tracedJournal(store, { tracer, ids })).run("Research loom", {
      threadId: "t",
      traceparent: TRACEPARENT,
    });
    const root = spans().find((s) => s.name === "invoke_agent researcher")!;
    expect(root.spanContext().traceId).toBe(CALLER_TRACE);
    expect(root.parentSpanContext?.spanId).toBe(CALLER_SPAN);

    const again = memoryTracer(ids);
    const exported = await exportThread(store, { tracer: again.tracer, threadId: "t", ids });
    expect(exported.traceIds).toEqual([CALLER_TRACE]);
    const live = spans()
      .map((s) => s.spanContext().spanId)
      .sort();
    expect(
      again
        .spans()
        .map((s) => s.spanContext().spanId)
        .sort(),
    ).toEqual(live);
  });
});
