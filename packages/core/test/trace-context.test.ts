import { ConfigError, createAgent, MemoryJournal, parseEvent } from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { eventsOf } from "./helpers.js";

const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

function agent(journal: MemoryJournal) {
  return createAgent({ journal, provider: new ScriptedProvider([{ text: "hi" }]) });
}

describe("a caller's trace context", () => {
  it("is journaled in run.started, as given", async () => {
    const journal = new MemoryJournal();
    await agent(journal).run("hello", { threadId: "t", traceparent: TRACEPARENT, tracestate: "vendor=1" });
    const [started] = await eventsOf(journal, "t", "run.started");
    expect(started!.data.trace).toEqual({ traceparent: TRACEPARENT, tracestate: "vendor=1" });
  });

  it("is left out when not given", async () => {
    const journal = new MemoryJournal();
    await agent(journal).run("hello", { threadId: "t" });
    const [started] = await eventsOf(journal, "t", "run.started");
    expect(started!.data).not.toHaveProperty("trace");
  });

  it("refuses a malformed traceparent, or a tracestate alone, before anything is journaled", async () => {
    const journal = new MemoryJournal();
    for (const options of [
      { traceparent: "not-a-traceparent" },
      { traceparent: TRACEPARENT.toUpperCase() },
      { traceparent: "00-00000000000000000000000000000000-00f067aa0ba902b7-01" },
      { traceparent: "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" },
      { tracestate: "vendor=1" },
      { traceparent: TRACEPARENT, tracestate: "x".repeat(600) },
    ]) {
      const error = await agent(journal)
        .run("hello", { threadId: "t", ...options })
        .catch((e: unknown) => e);
      expect(ConfigError.isInstance(error), JSON.stringify(options)).toBe(true);
    }
    expect(await journal.head("t")).toBe(-1);
  });

  it("a stored run.started with a malformed trace context is a schema error, not a silent pass", () => {
    const event = {
      v: 1,
      threadId: "t",
      seq: 0,
      runId: "r",
      ts: 1,
      frameId: "root",
      depth: 0,
      iteration: 0,
      type: "run.started",
      data: { input: "x", trace: { traceparent: "bogus" } },
    };
    expect(() => parseEvent(event)).toThrow(/trace\.traceparent/);
    expect(parseEvent({ ...event, data: { input: "x", trace: { traceparent: TRACEPARENT } } }).type).toBe(
      "run.started",
    );
  });
});
