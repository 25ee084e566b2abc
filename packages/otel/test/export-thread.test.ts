import { createAgent, MemoryJournal, readAll, tool } from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { exportThread, tracedJournal, traceIdOf } from "../src/index.js";
import { describeSpan, memoryTracer, researcher, tree } from "./helpers.js";

describe("exportThread: the spans of a stored thread", () => {
  it("gives the same span tree, names, attributes, times and trace id as the live spans", async () => {
    const live = memoryTracer();
    const journal = tracedJournal(new MemoryJournal(), { tracer: live.tracer, captureContent: true });
    await researcher(journal).run("Research loom", { threadId: "stored" });

    const fromJournal = memoryTracer();
    const exported = await exportThread(journal, {
      tracer: fromJournal.tracer,
      threadId: "stored",
      captureContent: true,
    });
    const events = await readAll(journal, "stored");
    expect(exported).toEqual({ events: events.length, traceIds: [traceIdOf("stored", events[0]!.runId)] });
    expect(tree(fromJournal.spans(), describeSpan)).toEqual(tree(live.spans(), describeSpan));

    // From the events themselves (read from a file, say), the same again.
    const fromEvents = memoryTracer();
    await exportThread(JSON.parse(JSON.stringify(events)), {
      tracer: fromEvents.tracer,
      captureContent: true,
    });
    expect(tree(fromEvents.spans(), describeSpan)).toEqual(tree(live.spans(), describeSpan));
  });

  it("a thread whose journal stops mid-run: what was open ends at the last event, marked loom.open", async () => {
    const journal = new MemoryJournal();
    await researcher(journal).run("Research loom", { threadId: "cut" });
    const events = await readAll(journal, "cut");
    const cut = events.findIndex((e) => e.type === "tool.started");
    const otel = memoryTracer();
    await exportThread(events.slice(0, cut + 1), { tracer: otel.tracer });
    const open = otel.spans().filter((s) => s.attributes["loom.open"] === true);
    expect(open.map((s) => s.name).sort()).toEqual(["execute_tool fetch_page", "invoke_agent researcher"]);
    for (const span of open)
      expect(span.endTime).toEqual([Math.floor(events[cut]!.ts / 1000), (events[cut]!.ts % 1000) * 1e6]);
  });

  it("needs the thread id when given a journal", async () => {
    await expect(exportThread(new MemoryJournal(), { tracer: memoryTracer().tracer })).rejects.toThrow(
      /threadId/,
    );
  });
});

describe("errors set status ERROR with error.type", () => {
  it("a failed model attempt, a tool that throws, a failed run", async () => {
    const flaky = tool({
      name: "flaky",
      description: "Always fails",
      input: z.object({}),
      run: async () => {
        throw new Error("disk on fire");
      },
    });
    const otel = memoryTracer();
    const agent = createAgent({
      journal: tracedJournal(new MemoryJournal(), { tracer: otel.tracer }),
      tools: [flaky],
      retry: { maxRetries: 1, initialDelayMs: 0, maxDelayMs: 0 },
      provider: new ScriptedProvider({
        mode: "conversation",
        turns: [
          {
            failFirst: [{ code: "rate_limited", retryAfterMs: 0 }],
            toolCalls: [{ id: "f", name: "flaky", args: {} }],
          },
          { failFirst: [{ code: "auth", retryable: false }], text: "never" },
        ],
      }),
    });
    await expect(agent.run("go", { threadId: "errors" })).rejects.toThrow();
    expect(tree(otel.spans())).toEqual([
      "invoke_agent agent [ERROR provider_failed]",
      "  chat scripted-model [ERROR rate_limited]",
      "  chat scripted-model",
      "  execute_tool flaky [ERROR tool_error]",
      "  chat scripted-model [ERROR auth]",
    ]);
    const [rateLimited, retried] = otel.spans().filter((s) => s.name === "chat scripted-model");
    expect(rateLimited!.attributes["loom.llm.attempt"]).toBe(1);
    expect(retried!.attributes["loom.llm.attempt"]).toBe(2);
    const root = otel.spans().find((s) => s.name === "invoke_agent agent")!;
    expect(root.status.message).toMatch(/auth|failed/);
    expect(root.attributes["loom.run.status"]).toBe("failed");
  });

  it("a tracer that throws never fails the run; onError hears of it", async () => {
    const errors: unknown[] = [];
    const tracer = memoryTracer().tracer;
    const broken = {
      startSpan: () => {
        throw new Error("exporter down");
      },
      startActiveSpan: tracer.startActiveSpan.bind(tracer),
    } as unknown as typeof tracer;
    const result = await researcher(
      tracedJournal(new MemoryJournal(), { tracer: broken, onError: (e) => errors.push(e) }),
    ).run("Research loom", { threadId: "broken" });
    expect(result.status).toBe("completed");
    expect(errors.length).toBeGreaterThan(0);
  });
});
