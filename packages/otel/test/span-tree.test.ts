import { createAgent, MemoryJournal, readAll, tool } from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { SpanKind } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { tracedJournal, traceIdOf } from "../src/index.js";
import { memoryTracer, researcher, tree } from "./helpers.js";

describe("live spans from a traced journal", () => {
  it("a run with parallel tools and a sub-agent: invoke_agent > chat, execute_tool > invoke_agent", async () => {
    const otel = memoryTracer();
    const journal = tracedJournal(new MemoryJournal(), { tracer: otel.tracer });
    const result = await researcher(journal).run("Research loom", { threadId: "t1" });
    expect(result.status).toBe("completed");

    expect(tree(otel.spans())).toEqual([
      "invoke_agent researcher",
      "  chat research-model",
      "  execute_tool fetch_page",
      "  execute_tool fetch_page",
      "  execute_tool helper",
      "    invoke_agent helper",
      "      chat helper-model",
      "      execute_tool search",
      "      chat helper-model",
      "  chat research-model",
    ]);

    const spans = otel.spans();
    const [root] = spans.filter((s) => s.name === "invoke_agent researcher");
    const events = await readAll(journal, "t1");
    const runId = events[0]!.runId;
    // One trace, derived from the thread and run; the root's parent is the run's synthetic context.
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([traceIdOf("t1", runId)]));
    expect(root!.parentSpanContext?.isRemote).toBe(true);
    expect(root!.attributes).toMatchObject({
      "gen_ai.operation.name": "invoke_agent",
      "gen_ai.agent.name": "researcher",
      "gen_ai.conversation.id": "t1",
      "loom.thread.id": "t1",
      "loom.run.id": runId,
      "loom.frame.depth": 0,
      "loom.seq": 0,
      "loom.run.status": "completed",
    });
    // Times are the events' ts.
    expect(root!.startTime).toEqual([Math.floor(events[0]!.ts / 1000), (events[0]!.ts % 1000) * 1e6]);

    const chat = spans.find((s) => s.name === "chat research-model")!;
    expect(chat.kind).toBe(SpanKind.CLIENT);
    expect(chat.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "scripted",
      "gen_ai.request.model": "research-model",
      "gen_ai.usage.input_tokens": 120,
      "gen_ai.usage.output_tokens": 30,
      "gen_ai.response.finish_reasons": ["tool_call"],
      "gen_ai.conversation.id": "t1",
      "loom.iteration": 1,
    });

    const fetchB = spans.find((s) => s.attributes["gen_ai.tool.call.id"] === "b")!;
    const completed = events.find((e) => e.type === "llm.completed")!;
    expect(fetchB.attributes).toMatchObject({
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": "fetch_page",
      "gen_ai.tool.call.id": "b",
      "gen_ai.tool.type": "function",
      "loom.tool.call.ref": `b@${completed.seq}`,
      "loom.frame.depth": 0,
    });

    const child = spans.find((s) => s.name === "invoke_agent helper")!;
    expect(child.attributes).toMatchObject({ "loom.frame.depth": 1, "gen_ai.tool.call.id": "h" });
    expect(spans.find((s) => s.name === "execute_tool search")!.attributes["loom.frame.depth"]).toBe(1);
    expect(spans.every((s) => s.status.code !== 2)).toBe(true);
  });

  it("a tool that called a model itself carries the tokens it reported", async () => {
    const otel = memoryTracer();
    const journal = tracedJournal(new MemoryJournal(), { tracer: otel.tracer });
    const summarize = tool({
      name: "summarize",
      description: "summarizes with a model",
      input: z.object({}),
      run: (_args, context) => {
        context.reportUsage({ inputTokens: 300, outputTokens: 40 }, { provider: "openai", model: "mini" });
        context.reportUsage({ inputTokens: 5, outputTokens: 1 });
        return "short";
      },
    });
    const steps = tool({
      name: "steps",
      description: "two steps",
      input: z.object({}),
      run: async (_args, context) => {
        await context.step("fetch", () => 1);
        await context.step("store", () => undefined);
        return "stored";
      },
    });
    const plain = tool({ name: "plain", description: "plain", input: z.object({}), run: () => "ok" });
    await createAgent({
      journal,
      tools: [summarize, plain, steps],
      provider: new ScriptedProvider([
        {
          toolCalls: [
            { id: "s", name: "summarize", args: {} },
            { id: "p", name: "plain", args: {} },
            { id: "st", name: "steps", args: {} },
          ],
        },
        { text: "Done." },
      ]),
    }).run("go", { threadId: "tu" });
    const call = (id: string) => otel.spans().find((s) => s.attributes["gen_ai.tool.call.id"] === id)!;
    expect(call("s").attributes).toMatchObject({
      "loom.tool.usage.input_tokens": 305,
      "loom.tool.usage.output_tokens": 41,
    });
    expect(call("p").attributes["loom.tool.usage.input_tokens"]).toBeUndefined();
    // The steps a call journaled (ToolContext.step), by name.
    expect(call("st").attributes["loom.tool.steps"]).toEqual(["fetch", "store"]);
    expect(call("p").attributes["loom.tool.steps"]).toBeUndefined();
  });

  it("message contents are off by default, and on with captureContent", async () => {
    const secrets = ["Research loom", "secret-query", "https://a.example", "contents of", "private-answer"];
    const contentKeys = [
      "gen_ai.input.messages",
      "gen_ai.output.messages",
      "gen_ai.tool.call.arguments",
      "gen_ai.tool.call.result",
    ];

    const off = memoryTracer();
    await researcher(tracedJournal(new MemoryJournal(), { tracer: off.tracer })).run("Research loom", {
      threadId: "t",
    });
    const offText = JSON.stringify(off.spans().map((s) => s.attributes));
    for (const secret of secrets) expect(offText).not.toContain(secret);
    for (const span of off.spans())
      for (const key of contentKeys) expect(span.attributes).not.toHaveProperty(key);

    const on = memoryTracer();
    await researcher(tracedJournal(new MemoryJournal(), { tracer: on.tracer, captureContent: true })).run(
      "Research loom",
      { threadId: "t" },
    );
    const onText = JSON.stringify(on.spans().map((s) => s.attributes));
    for (const secret of secrets) expect(onText).toContain(secret);
    const root = on.spans().find((s) => s.name === "invoke_agent researcher")!;
    expect(JSON.parse(String(root.attributes["gen_ai.input.messages"]))).toEqual([
      { role: "user", parts: [{ type: "text", content: "Research loom" }] },
    ]);
    const firstChat = on.spans().find((s) => s.name === "chat research-model")!;
    expect(JSON.parse(String(firstChat.attributes["gen_ai.output.messages"]))).toEqual([
      {
        role: "assistant",
        finish_reason: "tool_call",
        parts: [
          { type: "text", content: "Looking." },
          { type: "tool_call", id: "a", name: "fetch_page", arguments: { url: "https://a.example" } },
          { type: "tool_call", id: "b", name: "fetch_page", arguments: { url: "https://bb.example" } },
          { type: "tool_call", id: "h", name: "helper", arguments: { input: "look up the secret-query" } },
        ],
      },
    ]);
    const fetchA = on.spans().find((s) => s.attributes["gen_ai.tool.call.id"] === "a")!;
    expect(fetchA.attributes["gen_ai.tool.call.arguments"]).toBe('{"url":"https://a.example"}');
    expect(fetchA.attributes["gen_ai.tool.call.result"]).toBe("contents of https://a.example");
  });

  it("a second run on the thread is a trace of its own, in the same conversation", async () => {
    const otel = memoryTracer();
    const journal = tracedJournal(new MemoryJournal(), { tracer: otel.tracer });
    await researcher(journal).run("first", { threadId: "conv" });
    const first = otel.spans().length;
    const { createAgent } = await import("@loom/core");
    const { ScriptedProvider } = await import("@loom/testing");
    await createAgent({ journal, provider: new ScriptedProvider([{ text: "again" }]) }).run("second", {
      threadId: "conv",
    });
    const second = otel.spans().slice(first);
    expect(tree(second)).toEqual(["invoke_agent agent", "  chat scripted-model"]);
    const runs = new Set(otel.spans().map((s) => s.spanContext().traceId));
    expect(runs.size).toBe(2);
    expect(new Set(otel.spans().map((s) => s.attributes["gen_ai.conversation.id"]))).toEqual(
      new Set(["conv"]),
    );
  });
});
