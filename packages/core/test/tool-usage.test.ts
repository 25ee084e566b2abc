import {
  ConfigError,
  createAgent,
  fallbackProviders,
  MemoryJournal,
  readAll,
  stateAt,
  type Tool,
  type ToolContext,
  threadUsage,
  threadUsageByModel,
  tool,
} from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";

const modelTurn = { inputTokens: 10, outputTokens: 5 };

/** A tool that calls "a model" twice and reports each call, as a summarizer or MCP sampling would. */
const summarize = tool({
  name: "summarize",
  description: "summarizes with a model",
  input: z.object({ text: z.string() }),
  run: async ({ text }, context) => {
    context.reportUsage(
      { inputTokens: 100, outputTokens: 20, cachedInputTokens: 40 },
      { provider: "openai", model: "gpt-mini" },
    );
    await new Promise((resolve) => setTimeout(resolve, 1));
    context.reportUsage({ inputTokens: 50, outputTokens: 10 }, { provider: "openai", model: "gpt-mini" });
    context.reportUsage({ inputTokens: 7, outputTokens: 3 });
    return `summary of ${text}`;
  },
});

function agentWith(tools: Tool[], journal = new MemoryJournal()) {
  return createAgent({
    journal,
    tools,
    provider: new ScriptedProvider({
      mode: "conversation",
      turns: [
        { toolCalls: [{ id: "s", name: tools[0]!.name, args: { text: "x" } }], usage: modelTurn },
        { text: "done", usage: modelTurn },
      ],
    }),
  });
}

describe("a tool that calls a model itself (reportUsage)", () => {
  it("journals what it reported, by model, with the call's tool.completed, and counts it in the frame's usage", async () => {
    const journal = new MemoryJournal();
    const result = await agentWith([summarize], journal).run("go", { threadId: "u" });
    expect(result.status).toBe("completed");
    const completed = (await readAll(journal, "u")).find((e) => e.type === "tool.completed");
    expect(completed?.type === "tool.completed" && completed.data.modelUsage).toEqual([
      {
        provider: "openai",
        model: "gpt-mini",
        usage: { inputTokens: 150, outputTokens: 30, cachedInputTokens: 40 },
      },
      { usage: { inputTokens: 7, outputTokens: 3 } },
    ]);
    // The agent's two model calls and the tool's three.
    expect(result.frame.usage).toEqual({ inputTokens: 177, outputTokens: 43, cachedInputTokens: 40 });
    expect(threadUsage(result.frame)).toEqual(result.frame.usage);
    // Folded from the journal alone, as a resume or Studio sees it.
    const events = await readAll(journal, "u");
    expect((await stateAt(journal, "u", events.at(-1)!.seq)).usage).toEqual(result.frame.usage);
  });

  it("keeps the tokens by model too: the agent's model and each model a tool named, across sub-agents", async () => {
    const journal = new MemoryJournal();
    const helper = createAgent({
      name: "helper",
      journal,
      provider: new ScriptedProvider({
        provider: "anthropic",
        modelId: "claude-small",
        turns: [{ text: "ok", usage: { inputTokens: 3, outputTokens: 1 } }],
      }),
    }).asTool({ description: "helps" });
    const result = await createAgent({
      journal,
      tools: [summarize, helper],
      provider: new ScriptedProvider({
        mode: "conversation",
        turns: [
          {
            toolCalls: [
              { id: "s", name: "summarize", args: { text: "x" } },
              { id: "h", name: "helper", args: { input: "help" } },
            ],
            usage: modelTurn,
          },
          { text: "done", usage: modelTurn },
        ],
      }),
    }).run("go", { threadId: "by-model" });
    expect(result.frame.usageByModel).toEqual([
      { provider: "scripted", model: "scripted-model", usage: { inputTokens: 20, outputTokens: 10 } },
      {
        provider: "openai",
        model: "gpt-mini",
        usage: { inputTokens: 150, outputTokens: 30, cachedInputTokens: 40 },
      },
      { usage: { inputTokens: 7, outputTokens: 3 } },
    ]);
    expect(threadUsageByModel(result.frame)).toEqual([
      ...result.frame.usageByModel,
      { provider: "anthropic", model: "claude-small", usage: { inputTokens: 3, outputTokens: 1 } },
    ]);
    const events = await readAll(journal, "by-model");
    expect((await stateAt(journal, "by-model", events.at(-1)!.seq)).usageByModel).toEqual(
      result.frame.usageByModel,
    );
  });

  it("counts a turn a fallback answered under the model that answered", async () => {
    const down = new ScriptedProvider({
      provider: "openai",
      modelId: "gpt-big",
      turns: [
        {
          text: "never",
          failFirst: [{ code: "overloaded" }, { code: "overloaded" }, { code: "overloaded" }],
        },
      ],
    });
    const backup = new ScriptedProvider({
      provider: "anthropic",
      modelId: "claude-small",
      turns: [{ text: "from the backup", usage: { inputTokens: 9, outputTokens: 2 } }],
    });
    const result = await createAgent({
      provider: fallbackProviders([down, backup]),
      retry: { maxRetries: 0, initialDelayMs: 1, maxDelayMs: 1 },
    }).run("hi");
    expect(result.frame.usageByModel).toEqual([
      { provider: "anthropic", model: "claude-small", usage: { inputTokens: 9, outputTokens: 2 } },
    ]);
  });

  it("counts what a failing tool reported before it threw; not what a tool reports after it returned", async () => {
    let late: ToolContext | undefined;
    const failing = tool({
      name: "flaky",
      description: "calls a model, then fails",
      input: z.object({ text: z.string() }),
      run: (_args, context) => {
        context.reportUsage({ inputTokens: 30, outputTokens: 6 });
        late = context;
        throw new Error("the summary was empty");
      },
    });
    const journal = new MemoryJournal();
    const result = await agentWith([failing], journal).run("go", { threadId: "f" });
    late!.reportUsage({ inputTokens: 1000, outputTokens: 1000 });
    const completed = (await readAll(journal, "f")).find((e) => e.type === "tool.completed");
    expect(completed?.type === "tool.completed" && completed.data.error?.code).toBe("tool_error");
    expect(completed?.type === "tool.completed" && completed.data.modelUsage).toEqual([
      { usage: { inputTokens: 30, outputTokens: 6 } },
    ]);
    expect(result.frame.usage).toEqual({ inputTokens: 50, outputTokens: 16 });
  });

  it("a tool that reports nothing journals no modelUsage", async () => {
    const plain = tool({
      name: "plain",
      description: "p",
      input: z.object({ text: z.string() }),
      run: () => "ok",
    });
    const journal = new MemoryJournal();
    await agentWith([plain], journal).run("go", { threadId: "p" });
    const completed = (await readAll(journal, "p")).find((e) => e.type === "tool.completed");
    expect(completed?.type === "tool.completed" && "modelUsage" in completed.data).toBe(false);
  });

  it("refuses a usage that is not token counts, with a ConfigError the model is told of", async () => {
    const errors: unknown[] = [];
    const bad = tool({
      name: "bad",
      description: "reports nonsense",
      input: z.object({ text: z.string() }),
      run: (_args, context) => {
        for (const usage of [
          { inputTokens: -1, outputTokens: 0 },
          { inputTokens: 1.5, outputTokens: 0 },
          {},
        ]) {
          try {
            context.reportUsage(usage as never);
          } catch (error) {
            errors.push(error);
          }
        }
        try {
          context.reportUsage({ inputTokens: 1, outputTokens: 1 }, { provider: "openai" } as never);
        } catch (error) {
          errors.push(error);
        }
        return "ok";
      },
    });
    const result = await agentWith([bad]).run("go", { threadId: "b" });
    expect(errors).toHaveLength(4);
    for (const error of errors) expect(ConfigError.isInstance(error)).toBe(true);
    expect(String((errors[0] as Error).message)).toMatch(
      /whole number of tokens >= 0; got \{"inputTokens":-1/,
    );
    expect(String((errors[3] as Error).message)).toMatch(/\{ provider, model \}, both strings/);
    expect(result.frame.usage).toEqual({ inputTokens: 20, outputTokens: 10 });
  });
});
