import { createAgent, fallbackProviders, MemoryJournal } from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { SpanStatusCode } from "@opentelemetry/api";
import { expect, it } from "vitest";
import { tracedJournal } from "../src/index.js";
import { memoryTracer, tree } from "./helpers.js";

it("with fallbackProviders, each chat span names the provider and model that failed or answered", async () => {
  const otel = memoryTracer();
  const journal = tracedJournal(new MemoryJournal(), { tracer: otel.tracer });
  const primary = new ScriptedProvider({
    provider: "openai",
    modelId: "gpt-main",
    turns: [{ failFirst: [{ code: "overloaded", message: "busy" }] }],
  });
  const backup = new ScriptedProvider({
    turns: [{ text: "Hi." }],
    provider: "anthropic",
    modelId: "claude-backup",
  });
  const agent = createAgent({ name: "greeter", journal, provider: fallbackProviders([primary, backup]) });
  expect(await agent.run("Hello", { threadId: "t" })).toMatchObject({ status: "completed" });

  expect(tree(otel.spans())).toEqual([
    "invoke_agent greeter",
    "  chat gpt-main [ERROR overloaded]",
    "  chat claude-backup",
  ]);
  const [failed, answered] = otel.spans().filter((s) => s.name.startsWith("chat"));
  expect(failed!.attributes).toMatchObject({
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-main",
    "loom.llm.attempt": 1,
  });
  expect(failed!.status.code).toBe(SpanStatusCode.ERROR);
  expect(answered!.attributes).toMatchObject({
    "gen_ai.provider.name": "anthropic",
    "gen_ai.request.model": "claude-backup",
    "loom.llm.attempt": 2,
  });
});
