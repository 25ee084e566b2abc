import {
  ConfigError,
  createAgent,
  MemoryJournal,
  RunFailedError,
  readAll,
  stateAt,
  threadUsage,
  tool,
} from "@loom/core";
import { CostLimitHook, TokenBudgetHook, threadCost, WallTimeHook } from "@loom/hooks";
import { ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";

const step = tool({
  name: "step",
  description: "a step",
  input: z.object({ n: z.number() }),
  run: ({ n }) => n,
});
const turns = Array.from({ length: 6 }, (_, n) => ({
  toolCalls: [{ name: "step", args: { n } }],
  usage: { inputTokens: 1000, outputTokens: 100 },
}));

async function runWith(hook: ReturnType<typeof TokenBudgetHook>, now?: () => number) {
  const journal = new MemoryJournal();
  const agent = createAgent({
    journal,
    hooks: [hook],
    tools: [step],
    provider: new ScriptedProvider(turns),
    ...(now ? { now } : {}),
  });
  const error = await agent.run("go", { threadId: "lim" }).catch((e) => e);
  return { error, events: await readAll(journal, "lim") };
}

describe("limits", () => {
  it("TokenBudgetHook ends the run with a journaled reason once the budget is spent", async () => {
    const { error, events } = await runWith(TokenBudgetHook({ maxTokens: 2500 }));
    expect(RunFailedError.isInstance(error)).toBe(true);
    expect(error.message).toContain("token budget spent: 3300 tokens used, limit 2500");
    expect(events.filter((e) => e.type === "llm.completed")).toHaveLength(3);
    expect(events.at(-1)).toMatchObject({ type: "run.failed", data: { error: { code: "denied_by_hook" } } });
  });

  it("CostLimitHook prices input and output tokens", async () => {
    const pricing = { inputPerMillion: 2, outputPerMillion: 10 };
    // Each turn costs 1000*2/1e6 + 100*10/1e6 = $0.003.
    const { error, events } = await runWith(CostLimitHook({ maxUsd: 0.005, pricing }));
    expect(error.message).toContain("cost limit reached: $0.0060 spent, limit $0.005");
    expect(events.filter((e) => e.type === "llm.completed")).toHaveLength(2);
  });

  it("CostLimitHook with prices by model: each model at its price, sub-agents' and tools' own calls included", async () => {
    const journal = new MemoryJournal();
    // A cheap sub-agent model and an expensive main one; a tool's own calls on a third model.
    const helper = createAgent({
      name: "helper",
      journal,
      provider: new ScriptedProvider({
        provider: "anthropic",
        modelId: "small",
        turns: [{ text: "ok", usage: { inputTokens: 100_000, outputTokens: 0 } }],
      }),
    }).asTool({ description: "helps" });
    const summarize = tool({
      name: "summarize",
      description: "summarizes with a model",
      input: z.object({}),
      run: (_args, { reportUsage }) => {
        reportUsage({ inputTokens: 0, outputTokens: 10_000 }, { provider: "openai", model: "mini" });
        return "short";
      },
    });
    const prices = {
      scripted: { "scripted-model": { input: 10, output: 10 } },
      anthropic: { small: { input: 1, output: 1 } },
      openai: { mini: { input: 2, output: 2 } },
    };
    const agent = createAgent({
      journal,
      hooks: [CostLimitHook({ maxUsd: 0.3, prices })],
      tools: [helper, summarize],
      provider: new ScriptedProvider({
        mode: "conversation",
        turns: Array.from({ length: 6 }, (_, n) => ({
          toolCalls: [
            { id: `h${n}`, name: "helper", args: { input: "help" } },
            { id: `s${n}`, name: "summarize", args: {} },
          ],
          usage: { inputTokens: 10_000, outputTokens: 0 },
        })),
      }),
    });
    const error = await agent.run("go", { threadId: "priced" }).catch((e) => e);
    // A turn: main 10,000 × $10 + helper 100,000 × $1 + tool 10,000 × $2 per million = $0.22. The
    // second turn's model call ($0.32) leaves the helper's iteration no room: it stops there, the
    // tool beside it having spent $0.02 more, and the parent stops at its next iteration.
    expect(error.message).toContain("cost limit reached: $0.3400 spent, limit $0.3");
    const root = await stateAt(journal, "priced", (await readAll(journal, "priced")).at(-1)!.seq);
    expect(threadCost(root, { prices }).usd).toBeCloseTo(0.34, 10);
    // At one price for every model, the same 140,000 tokens would count as $1.40.
    const flat = { pricing: { inputPerMillion: 10, outputPerMillion: 10 } };
    expect(threadCost(root, flat).usd).toBeCloseTo(1.4, 10);
  });

  it("CostLimitHook ends the run when a model has no price, naming it, unless pricing covers the rest", async () => {
    const prices = { openai: { "gpt-4.1": { input: 2, output: 8 } } };
    const { error } = await runWith(CostLimitHook({ maxUsd: 100, prices }));
    expect(error.message).toContain(
      'cost limit cannot be checked: no price for scripted/scripted-model; add it to "prices", or give "pricing" for any model',
    );
    const covered = await runWith(
      CostLimitHook({ maxUsd: 0.005, prices, pricing: { inputPerMillion: 2, outputPerMillion: 10 } }),
    );
    expect(covered.error.message).toContain("cost limit reached: $0.0060 spent, limit $0.005");
  });

  it("WallTimeHook counts from run.started", async () => {
    let now = 1_000;
    const clock = () => (now += 10);
    const hook = WallTimeHook({ maxMs: 250, now: clock });
    const { error, events } = await runWith(hook, clock);
    expect(events.filter((e) => e.type === "llm.completed").length).toBeLessThan(6);
    expect(error.message).toMatch(/wall-time limit reached: \d+ ms since the run started, limit 250 ms/);
  });

  it("TokenBudgetHook counts what sub-agents spent: the whole thread, not the frame it runs in", async () => {
    const journal = new MemoryJournal();
    // Each researcher run makes three model calls of 1,100 tokens before it answers.
    const researcher = createAgent({
      name: "researcher",
      journal,
      tools: [step],
      provider: new ScriptedProvider({
        mode: "conversation",
        turns: [...turns.slice(0, 2), { text: "found", usage: { inputTokens: 1000, outputTokens: 100 } }],
      }),
    }).asTool({ description: "researches" });
    const parent = createAgent({
      journal,
      hooks: [TokenBudgetHook({ maxTokens: 5000 })],
      tools: [researcher],
      provider: new ScriptedProvider({
        mode: "conversation",
        turns: Array.from({ length: 6 }, () => ({
          toolCalls: [{ name: "researcher", args: { input: "dig" } }],
          usage: { inputTokens: 10, outputTokens: 10 },
        })),
      }),
    });
    const error = await parent.run("go", { threadId: "tree" }).catch((e) => e);
    expect(RunFailedError.isInstance(error)).toBe(true);
    const events = await readAll(journal, "tree");
    const spent = events
      .filter((e) => e.type === "llm.completed")
      .reduce((sum, e) => sum + e.data.usage.inputTokens + e.data.usage.outputTokens, 0);
    // Two researcher runs (6,600 tokens) pass the budget; a third model call anywhere would not start.
    expect(spent).toBeLessThan(5000 + 3300 + 20);
    expect(error.message).toMatch(/token budget spent: \d+ tokens used, limit 5000/);
    const root = await stateAt(journal, "tree", events.at(-1)!.seq);
    const used = threadUsage(root);
    expect(used.inputTokens + used.outputTokens).toBe(spent);
    expect(root.usage.inputTokens + root.usage.outputTokens).toBeLessThan(100);
  });

  it("WallTimeHook counts from the thread's run.started, also inside a sub-agent started later", async () => {
    let now = 1_000;
    let waits = 0;
    const wait = tool({
      name: "wait",
      description: "takes 100 ms",
      input: z.object({}),
      run: () => {
        waits++;
        now += 100;
        return "waited";
      },
    });
    const journal = new MemoryJournal();
    const clock = () => now;
    const waiter = createAgent({
      name: "waiter",
      journal,
      now: clock,
      tools: [wait],
      provider: new ScriptedProvider({
        mode: "conversation",
        turns: Array.from({ length: 6 }, (_, n) => ({
          toolCalls: [{ name: "wait", args: {} }],
          text: `${n}`,
        })),
      }),
    }).asTool({ description: "waits" });
    const parent = createAgent({
      journal,
      now: clock,
      hooks: [WallTimeHook({ maxMs: 250, now: clock })],
      tools: [wait, waiter],
      provider: new ScriptedProvider({
        mode: "conversation",
        turns: [
          { toolCalls: [{ name: "wait", args: {} }] },
          { toolCalls: [{ name: "wait", args: {} }] },
          { toolCalls: [{ name: "waiter", args: { input: "go" } }] },
          { text: "done" },
        ],
      }),
    });
    const error = await parent.run("go", { threadId: "late" }).catch((e) => e);
    expect(error.message).toMatch(/wall-time limit reached: \d+ ms since the run started, limit 250 ms/);
    // The parent waited 200 ms; the sub-agent, started then, may begin one iteration (at 200 ms)
    // and not a second (at 300 ms since the run started, though 100 ms since its own start).
    expect(waits).toBe(3);
  });

  it("refuses nonsense limits", () => {
    expect(() => TokenBudgetHook({ maxTokens: 0 })).toThrow(ConfigError);
    expect(() => CostLimitHook({ maxUsd: 1, pricing: {} as never })).toThrow(/pricing/);
    expect(() => CostLimitHook({ maxUsd: 1 })).toThrow(/needs "prices" .* or "pricing"/);
    expect(() =>
      CostLimitHook({ maxUsd: 1, prices: { openai: { "gpt-4.1": { input: -1, output: 2 } } } }),
    ).toThrow(/"prices" at openai\.gpt-4\.1\.input/);
    expect(() => WallTimeHook({ maxMs: Number.NaN })).toThrow(ConfigError);
  });
});
