import { MemoryJournal, type NewEvent, readAll, type StoredEvent } from "@loom/core";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { exportThread, runParentSpanIdOf, tracedJournal, traceIdOf } from "../src/index.js";
import { describeSpan, memoryTracer, researcher, tree } from "./helpers.js";

/** The thread of a whole run of the researcher, never cut. */
async function uncut(): Promise<StoredEvent[]> {
  const journal = new MemoryJournal();
  await researcher(journal).run("Research loom", { threadId: "crash" });
  return readAll(journal, "crash");
}

/**
 * Process 1 appends the first `cut` events through its traced journal, then dies; process 2, with a
 * fresh agent and a traced journal of its own over the same journal, resumes the thread.
 */
async function crashAndResume(events: readonly StoredEvent[], cut: number) {
  const store = new MemoryJournal();
  const first = memoryTracer();
  const dying = tracedJournal(store, { tracer: first.tracer });
  for (const event of events.slice(0, cut)) await dying.append("crash", [event as NewEvent], event.seq - 1);
  const second = memoryTracer();
  const result = await researcher(tracedJournal(store, { tracer: second.tracer })).resume("crash");
  return {
    before: first.spans(),
    after: second.spans(),
    result,
    store,
    journal: await readAll(store, "crash"),
  };
}

const okTools = (spans: readonly ReadableSpan[]) =>
  spans
    .filter((s) => s.attributes["gen_ai.operation.name"] === "execute_tool" && s.status.code !== 2)
    .map((s) => `${s.attributes["loom.frame.depth"]}:${s.attributes["gen_ai.tool.call.id"]}`)
    .sort();

describe("a crash and a resume in another process", () => {
  it("after the first tool result: the resumed spans continue the trace of the first part", async () => {
    const events = await uncut();
    const cut = events.findIndex((e) => e.type === "tool.completed" && e.depth === 0) + 1;
    const { before, after, result, journal } = await crashAndResume(events, cut);
    expect(result.status).toBe("completed");
    const runId = events[0]!.runId;
    const traceId = traceIdOf("crash", runId);
    expect(new Set([...before, ...after].map((s) => s.spanContext().traceId))).toEqual(new Set([traceId]));

    // Process 1 emitted what ended before it died: the first model call and the helper (its
    // calls finish before the fetches, which wait for a timer). Their parent, the run's
    // invoke_agent, was still open at the crash: it is emitted by process 2, with another span id.
    expect(tree(before)).toEqual([
      "chat research-model",
      "execute_tool helper",
      "  invoke_agent helper",
      "    chat helper-model",
      "    execute_tool search",
      "    chat helper-model",
    ]);
    // Process 2 emitted the run's root (from its run.started), the fetches that were in flight at
    // the stop (ended there: process_stopped), their runs again (from the resume), and the rest.
    expect(tree(after)).toEqual([
      "invoke_agent researcher",
      "  execute_tool fetch_page [ERROR loom.process_stopped]",
      "  execute_tool fetch_page [ERROR loom.process_stopped]",
      "  execute_tool fetch_page",
      "  execute_tool fetch_page",
      "  chat research-model",
    ]);
    const root = after.find((s) => s.name === "invoke_agent researcher")!;
    expect(root.parentSpanContext?.spanId).toBe(runParentSpanIdOf("crash", runId));
    expect(root.startTime[0]).toBe(Math.floor(events[0]!.ts / 1000));
    const resumed = journal.find((e) => e.type === "run.resumed")!;
    const stopped = after.find((s) => s.status.code === 2)!;
    const lastBefore = journal[resumed.seq - 1]!;
    expect(stopped.endTime).toEqual([Math.floor(lastBefore.ts / 1000), (lastBefore.ts % 1000) * 1e6]);
  });

  it("at every cut, every span is in the run's trace and each finished call has one successful span", async () => {
    const events = await uncut();
    const traceId = traceIdOf("crash", events[0]!.runId);
    const expected = okTools(await liveSpans());
    for (let cut = 1; cut < events.length; cut++) {
      const { before, after, result, store } = await crashAndResume(events, cut);
      const journal = store;
      expect(result.status, `cut ${cut}`).toBe("completed");
      const all = [...before, ...after];
      expect(new Set(all.map((s) => s.spanContext().traceId)), `cut ${cut}`).toEqual(new Set([traceId]));
      // A call re-run after the stop shows twice: stopped, then done. Each succeeded once.
      expect(okTools(all), `cut ${cut}`).toEqual(expected);
      // Both processes together emitted exactly what exportThread makes of the thread afterwards.
      const exported = memoryTracer();
      await exportThread(journal, { tracer: exported.tracer, threadId: "crash" });
      expect(exported.spans().map(describeSpan).sort(), `cut ${cut}`).toEqual(all.map(describeSpan).sort());
      // Process 2's spans form one tree under the run's root invoke_agent.
      expect(
        tree(after).filter((line) => !line.startsWith(" ")),
        `cut ${cut}`,
      ).toEqual(["invoke_agent researcher"]);
    }
  });
});

describe("a resume in the same process, through the same traced journal", () => {
  it("continues the spans it holds: one tree, nothing orphaned, at every cut", async () => {
    const events = await uncut();
    const expected = okTools(await liveSpans());
    for (let cut = 1; cut < events.length; cut++) {
      const otel = memoryTracer();
      const journal = tracedJournal(new MemoryJournal(), { tracer: otel.tracer });
      for (const event of events.slice(0, cut))
        await journal.append("crash", [event as NewEvent], event.seq - 1);
      const result = await researcher(journal).resume("crash");
      expect(result.status, `cut ${cut}`).toBe("completed");
      expect(
        tree(otel.spans()).filter((line) => !line.startsWith(" ")),
        `cut ${cut}`,
      ).toEqual(["invoke_agent researcher"]);
      expect(okTools(otel.spans()), `cut ${cut}`).toEqual(expected);
    }
  });
});

async function liveSpans(): Promise<ReadableSpan[]> {
  const otel = memoryTracer();
  await researcher(tracedJournal(new MemoryJournal(), { tracer: otel.tracer })).run("Research loom", {
    threadId: "crash",
  });
  return otel.spans();
}
