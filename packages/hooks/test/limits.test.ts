import { ConfigError, createAgent, MemoryJournal, RunFailedError, readAll, tool } from "@loom/core";
import { CostLimitHook, TokenBudgetHook, WallTimeHook } from "@loom/hooks";
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

  it("WallTimeHook counts from run.started", async () => {
    let now = 1_000;
    const clock = () => (now += 10);
    const hook = WallTimeHook({ maxMs: 250, now: clock });
    const { error, events } = await runWith(hook, clock);
    expect(events.filter((e) => e.type === "llm.completed").length).toBeLessThan(6);
    expect(error.message).toMatch(/wall-time limit reached: \d+ ms since the run started, limit 250 ms/);
  });

  it("refuses nonsense limits", () => {
    expect(() => TokenBudgetHook({ maxTokens: 0 })).toThrow(ConfigError);
    expect(() => CostLimitHook({ maxUsd: 1, pricing: {} as never })).toThrow(/pricing/);
    expect(() => WallTimeHook({ maxMs: Number.NaN })).toThrow(ConfigError);
  });
});
