import { createAgent, MemoryJournal, readAll, tool } from "@loom/core";
import { LoggingHook, MetricsHook, RedactionHook, redactText } from "@loom/hooks";
import { ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";

const KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789";

const readEnv = tool({
  name: "read_env",
  description: "reads configuration",
  input: z.object({ name: z.string() }),
  run: ({ name }) => ({ name, value: KEY }),
});
const broken = tool({
  name: "broken",
  description: "fails",
  input: z.object({}),
  run: () => {
    throw new Error("nope");
  },
});

const script = () =>
  new ScriptedProvider([
    {
      toolCalls: [
        { id: "e1", name: "read_env", args: { name: "OPENAI_API_KEY" } },
        { id: "b1", name: "broken", args: {} },
      ],
      usage: { inputTokens: 100, outputTokens: 20 },
    },
    { text: `The key is ${KEY}.`, usage: { inputTokens: 150, outputTokens: 30 } },
  ]);

describe("RedactionHook", () => {
  it("masks API-key shapes in tool results and model answers before they are journaled", async () => {
    const journal = new MemoryJournal();
    const provider = script();
    const agent = createAgent({ journal, provider, tools: [readEnv, broken], hooks: [RedactionHook()] });
    const result = await agent.run("show config", { threadId: "r" });
    const journaled = JSON.stringify(await readAll(journal, "r"));
    expect(journaled).not.toContain(KEY);
    expect(journaled).toContain("[REDACTED]");
    expect(result.status === "completed" && result.text).toBe("The key is [REDACTED].");
    // The model never saw it either.
    expect(JSON.stringify(provider.requests[1]!.messages)).not.toContain(KEY);
  });

  it("masks configured patterns and literal strings", () => {
    expect(redactText("card 4111-1111-1111-1111, pin 9876", { patterns: [/\d{4}(-\d{4}){3}/, "9876"] })).toBe(
      "card [REDACTED], pin [REDACTED]",
    );
    expect(redactText("Authorization: Bearer abcdefghijklmnopqrstu")).toBe("Authorization: [REDACTED]");
    expect(redactText("plain words stay")).toBe("plain words stay");
  });
});

describe("LoggingHook", () => {
  it("writes structured lines for each step, masking secrets", async () => {
    const lines: { level: string; fields: Record<string, unknown>; message?: string }[] = [];
    const logger = {
      info: (fields: Record<string, unknown>, message?: string) =>
        lines.push({ level: "info", fields, message }),
      warn: (fields: Record<string, unknown>, message?: string) =>
        lines.push({ level: "warn", fields, message }),
      error: (fields: Record<string, unknown>, message?: string) =>
        lines.push({ level: "error", fields, message }),
    };
    await createAgent({ provider: script(), tools: [readEnv, broken], hooks: [LoggingHook({ logger })] }).run(
      "go",
      {
        threadId: "l",
      },
    );
    expect(lines.map((l) => l.message)).toEqual([
      "iteration started",
      "model call",
      "model answered",
      "tool call",
      "tool call",
      "tool done",
      "tool failed",
      "iteration ended",
      "iteration started",
      "model call",
      "model answered",
      "iteration ended",
    ]);
    expect(lines.find((l) => l.level === "warn")?.fields).toMatchObject({ tool: "broken", threadId: "l" });
    expect(JSON.stringify(lines)).not.toContain(KEY);
    expect(lines[2]!.fields).toMatchObject({
      inputTokens: 100,
      outputTokens: 20,
      toolCalls: ["read_env", "broken"],
    });
  });
});

describe("MetricsHook", () => {
  it("counts model calls, tool calls per tool, tokens and errors", async () => {
    let clock = 0;
    const metrics = MetricsHook({ now: () => (clock += 5) });
    await createAgent({ provider: script(), tools: [readEnv, broken], hooks: [metrics] }).run("go");
    const snapshot = metrics.snapshot();
    expect(snapshot).toMatchObject({
      iterations: 2,
      inputTokens: 250,
      outputTokens: 50,
      errors: 1,
      llmCalls: { count: 2 },
      toolCalls: { read_env: { count: 1, errors: 0 }, broken: { count: 1, errors: 1 } },
    });
    expect(snapshot.llmCalls.totalMs).toBeGreaterThan(0);
    metrics.reset();
    expect(metrics.snapshot().iterations).toBe(0);
  });

  it("counts the tokens of the model calls a tool reported", async () => {
    const metrics = MetricsHook();
    const summarize = tool({
      name: "summarize",
      description: "summarizes with a model",
      input: z.object({}),
      run: (_args, { reportUsage }) => {
        reportUsage({ inputTokens: 1_000, outputTokens: 80 }, { provider: "openai", model: "mini" });
        return "short";
      },
    });
    await createAgent({
      provider: new ScriptedProvider([
        { toolCalls: [{ name: "summarize", args: {} }], usage: { inputTokens: 10, outputTokens: 2 } },
        { text: "done", usage: { inputTokens: 20, outputTokens: 3 } },
      ]),
      tools: [summarize],
      hooks: [metrics],
    }).run("go");
    expect(metrics.snapshot()).toMatchObject({ inputTokens: 1_030, outputTokens: 85 });
  });

  it("times each call on its own when sub-agents running at once use the same call id", async () => {
    let clock = 0;
    const metrics = MetricsHook({ now: () => clock });
    const journal = new MemoryJournal();
    const wait = tool({
      name: "wait",
      description: "waits",
      input: z.object({ ms: z.number() }),
      run: async ({ ms }) => {
        await new Promise((r) => setTimeout(r, 1));
        clock += ms;
        return "waited";
      },
    });
    const child = (name: string, ms: number) =>
      createAgent({
        name,
        journal,
        tools: [wait],
        provider: new ScriptedProvider({
          mode: "conversation",
          turns: [{ toolCalls: [{ id: "call_1", name: "wait", args: { ms } }] }, { text: "ok" }],
        }),
      }).asTool({ description: name });
    await createAgent({
      journal,
      hooks: [metrics],
      tools: [child("a", 100), child("b", 100)],
      provider: new ScriptedProvider({
        mode: "conversation",
        turns: [
          {
            toolCalls: [
              { id: "x", name: "a", args: { input: "go" } },
              { id: "y", name: "b", args: { input: "go" } },
            ],
          },
          { text: "done" },
        ],
      }),
    }).run("go");
    // Both waits started at clock 0; the clock then moved 100 for each: 100 and 200.
    expect(metrics.snapshot().toolCalls.wait).toMatchObject({ count: 2, totalMs: 300, maxMs: 200 });
  });
});
