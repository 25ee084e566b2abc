import { MemoryJournal, type NewEvent, readAll } from "@loom/core";
import { describe, expect, it } from "vitest";
import { exportThread, loomIdGenerator, tracedJournal, traceIdOf } from "../src/index.js";
import { memoryTracer, researcher, tree } from "./helpers.js";

describe("loomIdGenerator: span ids derived from the thread", () => {
  it("a crash and a resume in another process orphan nothing, at every cut; the root has no parent", async () => {
    const journal = new MemoryJournal();
    await researcher(journal).run("Research loom", { threadId: "crash" });
    const events = await readAll(journal, "crash");
    const traceId = traceIdOf("crash", events[0]!.runId);
    for (let cut = 1; cut < events.length; cut++) {
      const store = new MemoryJournal();
      const firstIds = loomIdGenerator();
      const first = memoryTracer(firstIds);
      const dying = tracedJournal(store, { tracer: first.tracer, ids: firstIds });
      for (const event of events.slice(0, cut))
        await dying.append("crash", [event as NewEvent], event.seq - 1);
      const secondIds = loomIdGenerator();
      const second = memoryTracer(secondIds);
      const result = await researcher(tracedJournal(store, { tracer: second.tracer, ids: secondIds })).resume(
        "crash",
      );
      expect(result.status, `cut ${cut}`).toBe("completed");
      const all = [...first.spans(), ...second.spans()];
      expect(new Set(all.map((s) => s.spanContext().traceId)), `cut ${cut}`).toEqual(new Set([traceId]));
      // One tree across both processes: every parent is a span that was emitted, but the root's.
      expect(
        tree(all).filter((line) => !line.startsWith(" ")),
        `cut ${cut}`,
      ).toEqual(["invoke_agent researcher"]);
      const root = all.find((s) => s.name === "invoke_agent researcher")!;
      expect(root.parentSpanContext, `cut ${cut}`).toBeUndefined();
      // No span id twice: a span is emitted by one process only.
      expect(new Set(all.map((s) => s.spanContext().spanId)).size, `cut ${cut}`).toBe(all.length);
    }
  });

  it("exportThread gives the live spans with the same span ids", async () => {
    const liveIds = loomIdGenerator();
    const live = memoryTracer(liveIds);
    const journal = tracedJournal(new MemoryJournal(), { tracer: live.tracer, ids: liveIds });
    await researcher(journal).run("Research loom", { threadId: "same-ids" });
    const laterIds = loomIdGenerator();
    const later = memoryTracer(laterIds);
    await exportThread(journal, { tracer: later.tracer, ids: laterIds, threadId: "same-ids" });
    const ids = (spans: ReturnType<typeof live.spans>) =>
      spans.map((s) => `${s.name} ${s.spanContext().spanId} ${s.parentSpanContext?.spanId}`).sort();
    expect(ids(later.spans())).toEqual(ids(live.spans()));
  });

  it("`ids` without the provider using it is reported, and the run goes on", async () => {
    const errors: unknown[] = [];
    const otel = memoryTracer();
    const result = await researcher(
      tracedJournal(new MemoryJournal(), {
        tracer: otel.tracer,
        ids: loomIdGenerator(),
        onError: (e) => errors.push(e),
      }),
    ).run("Research loom", { threadId: "misconfigured" });
    expect(result.status).toBe("completed");
    expect(String(errors[0])).toMatch(/idGenerator: ids/);
  });
});
