import { createAgent, MemoryJournal, type NewEvent, type Provider, readAll, tool } from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { collect, types } from "./helpers.js";

const search = tool({
  name: "search",
  description: "Search the web",
  input: z.object({ q: z.string() }),
  idempotent: true,
  run: async ({ q }) => ({ hits: [`result for ${q}`] }),
});

describe("the executor", () => {
  it("runs a tool loop to a final answer and journals every step", async () => {
    const journal = new MemoryJournal();
    const provider = new ScriptedProvider([
      { toolCalls: [{ name: "search", args: { q: "loom" } }] },
      { text: "Loom journals every step." },
    ]);
    const agent = createAgent({ provider, tools: [search], journal, system: "Be brief." });
    const result = await agent.run("What is Loom?", { threadId: "t1" });
    expect(result.status).toBe("completed");
    if (result.status !== "completed") return;
    expect(result.text).toBe("Loom journals every step.");
    expect(await types(journal, "t1")).toEqual([
      "run.started",
      "iteration.started",
      "context.assembled",
      "llm.requested",
      "llm.completed",
      "tool.started",
      "tool.completed",
      "iteration.completed",
      "iteration.started",
      "context.assembled",
      "llm.requested",
      "llm.completed",
      "iteration.completed",
      "run.completed",
    ]);
    expect(provider.requests[1]!.messages.map((m) => m.role)).toEqual([
      "system",
      "user",
      "assistant",
      "tool",
    ]);
    expect(provider.requests[1]!.messages[3]).toMatchObject({
      role: "tool",
      content: '{"hits":["result for loom"]}',
    });
    expect(provider.requests[0]!.tools[0]).toMatchObject({
      name: "search",
      inputSchema: { type: "object", properties: { q: { type: "string" } } },
    });
    provider.assertComplete();
  });

  it("writes an iteration in one append when the model answers at once (ADR 0010)", async () => {
    const batches: string[][] = [];
    class RecordingJournal extends MemoryJournal {
      override append(threadId: string, events: readonly NewEvent[], expectedSeq: number) {
        batches.push(events.map((e) => e.type));
        return super.append(threadId, events, expectedSeq);
      }
    }
    const provider = new ScriptedProvider([
      { toolCalls: [{ name: "search", args: { q: "a" } }] },
      { toolCalls: [{ name: "search", args: { q: "b" } }] },
      { text: "done" },
    ]);
    const agent = createAgent({ provider, tools: [search], journal: new RecordingJournal() });
    expect((await agent.run("go", { threadId: "t-batches" })).status).toBe("completed");
    const request = ["iteration.started", "context.assembled", "llm.requested", "llm.completed"];
    expect(batches).toEqual([
      ["run.started", ...request, "tool.started"],
      ["tool.completed", "iteration.completed", ...request, "tool.started"],
      ["tool.completed", "iteration.completed", ...request, "iteration.completed", "run.completed"],
    ]);
  });

  it("writes llm.requested and the last tool result while a slow model call is in flight", async () => {
    const journal = new MemoryJournal();
    const seenDuringCall: string[][] = [];
    const scripted = new ScriptedProvider([
      { toolCalls: [{ name: "search", args: { q: "a" } }] },
      { text: "done" },
    ]);
    const slow: Provider = {
      specificationVersion: "v1",
      provider: "slow",
      modelId: "slow-model",
      async *doStream(request, options) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        seenDuringCall.push((await readAll(journal, "t-slow")).map((e) => e.type));
        yield* scripted.doStream(request, options);
      },
    };
    const agent = createAgent({ provider: slow, tools: [search], journal });
    expect((await agent.run("go", { threadId: "t-slow" })).status).toBe("completed");
    expect(seenDuringCall[0]!.at(-1)).toBe("llm.requested");
    expect(seenDuringCall[1]!.slice(-5)).toEqual([
      "tool.completed",
      "iteration.completed",
      "iteration.started",
      "context.assembled",
      "llm.requested",
    ]);
  });

  it("streams durable events in journal order with text deltas between them", async () => {
    const journal = new MemoryJournal();
    const provider = new ScriptedProvider([{ text: "Hello there, streaming world", chunkSize: 5 }]);
    const agent = createAgent({ provider, journal });
    const stream = agent.stream("hi", { threadId: "s1" });
    const events = await collect(stream);
    const deltas = events.filter((e) => e.type === "llm.delta");
    expect(deltas.map((d) => (d.data as { delta: string }).delta).join("")).toBe(
      "Hello there, streaming world",
    );
    const durable = events.filter((e) => e.type !== "llm.delta" && e.type !== "tool.progress");
    expect(durable).toEqual(await readAll(journal, "s1"));
    expect((await stream.result).status).toBe("completed");
  });
});
