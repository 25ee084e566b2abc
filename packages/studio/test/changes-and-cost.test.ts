import { ConfigError, createAgent, fallbackProviders, type Journal, MemoryJournal, tool } from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type IterationChanges, type Studio, startStudio } from "../src/index.js";
import { researchThread } from "./helpers.ts";

const journal = new MemoryJournal();
let studio: Studio;
let plain: Studio;

// Dollars per million tokens, as a user would copy them from the providers' pricing pages.
const prices = {
  scripted: { "scripted-model": { input: 3, output: 15, cached: 0.3 } },
  "backup-co": { small: { input: 0.5, output: 1.5 } },
  // The primary's price must not be used for a turn the backup answered.
  "primary-co": { big: { input: 100, output: 100 } },
};

/** Two runs of one thread with a different system prompt each: the text the model saw changed. */
async function systemChangedThread(j: Journal, threadId: string): Promise<void> {
  const first = createAgent({
    name: "terse",
    journal: j,
    system: "Answer in one word.",
    provider: new ScriptedProvider([{ text: "Warp.", usage: { inputTokens: 20, outputTokens: 2 } }]),
  });
  await first.run("What holds the threads taut?", { threadId });
  const second = createAgent({
    name: "verbose",
    journal: j,
    system: "Answer at length, citing sources.",
    provider: new ScriptedProvider([
      {
        text: "The warp beam keeps the warp threads under tension.",
        usage: { inputTokens: 1_000, outputTokens: 100, cachedInputTokens: 400 },
      },
    ]),
  });
  await second.run("Explain it properly.", { threadId });
}

beforeAll(async () => {
  await researchThread(journal, "research");
  await systemChangedThread(journal, "prompt-changed");
  const fallback = createAgent({
    name: "fallback",
    journal,
    provider: fallbackProviders([
      new ScriptedProvider({
        provider: "primary-co",
        modelId: "big",
        turns: [
          {
            text: "never",
            failFirst: [{ code: "overloaded" }, { code: "overloaded" }, { code: "overloaded" }],
          },
        ],
      }),
      new ScriptedProvider({
        provider: "backup-co",
        modelId: "small",
        turns: [{ text: "From the backup.", usage: { inputTokens: 2_000, outputTokens: 1_000 } }],
      }),
    ]),
  });
  await fallback.run("Anyone there?", { threadId: "fallback" });
  const unpriced = createAgent({
    name: "unpriced",
    journal,
    provider: new ScriptedProvider({ provider: "elsewhere", modelId: "m-9", turns: [{ text: "Hi." }] }),
  });
  await unpriced.run("Hello", { threadId: "unpriced" });
  // A tool that calls a model itself (a summarizer) and reports its tokens.
  const summarize = tool({
    name: "summarize",
    description: "summarizes",
    input: z.object({}),
    run: (_args, context) => {
      context.reportUsage(
        { inputTokens: 4_000, outputTokens: 200 },
        { provider: "backup-co", model: "small" },
      );
      return "short";
    },
  });
  await createAgent({
    name: "summarizer",
    journal,
    tools: [summarize],
    provider: new ScriptedProvider([
      { toolCalls: [{ name: "summarize", args: {} }], usage: { inputTokens: 10, outputTokens: 1 } },
      { text: "Done.", usage: { inputTokens: 20, outputTokens: 2 } },
    ]),
  }).run("Summarize", { threadId: "tool-model" });
  studio = await startStudio({ journal, prices });
  plain = await startStudio({ journal });
});
afterAll(async () => {
  await studio?.close();
  await plain?.close();
});

async function api<T>(s: Studio, path: string): Promise<T> {
  const response = await fetch(`${s.origin}${path}`, { headers: { authorization: `Bearer ${s.token}` } });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

describe("the context, message by message, against the previous iteration", () => {
  it("names the messages a compression dropped, the summary sent instead, and the messages added", async () => {
    const changes = await api<IterationChanges>(studio, "/api/threads/research/changes?iteration=3");
    expect(changes).toMatchObject({ frameId: "root", iteration: 3, previous: 2, unchanged: 0 });
    const byChange = (change: string) =>
      changes.messages.filter((m) => m.change === change).map((m) => m.index);
    expect(byChange("dropped-by-compression")).toEqual([0, 1, 2, 3]);
    expect(changes.messages[0]).toMatchObject({ role: "user", reason: "drop-oldest" });
    expect(byChange("added")).toEqual([4, 5]);
    expect(changes.messages.at(-1)).toMatchObject({ role: "user", text: "And the shuttle?" });
    expect(changes.summaries).toEqual([
      expect.objectContaining({ change: "added", strategy: "drop-oldest", replaces: [0, 4] }),
    ]);
    // The system prompt did not change: shown with its text, not as a change.
    expect(changes.system).toEqual({ text: "You research textile history.", changed: false });
    expect(changes.components).toEqual([
      expect.objectContaining({ id: "system", change: "same", text: "You research textile history." }),
    ]);
  });

  it("at the iteration before, only the new turn was added; the question was sent both times", async () => {
    const changes = await api<IterationChanges>(studio, "/api/threads/research/changes?iteration=2");
    expect(changes.messages.map((m) => [m.index, m.change])).toEqual([
      [1, "added"],
      [2, "added"],
      [3, "added"],
    ]);
    expect(changes.unchanged).toBe(1);
    expect(changes.summaries).toEqual([]);
  });

  it("shows the system prompt as it was at each iteration, and which text changed", async () => {
    const second = await api<IterationChanges>(studio, "/api/threads/prompt-changed/changes");
    expect(second).toMatchObject({ iteration: 2, previous: 1 });
    expect(second.system).toEqual({
      text: "Answer at length, citing sources.",
      changed: true,
      before: "Answer in one word.",
    });
    expect(second.components).toEqual([
      expect.objectContaining({
        id: "system",
        change: "changed",
        text: "Answer at length, citing sources.",
        before: "Answer in one word.",
      }),
    ]);
    const first = await api<IterationChanges>(studio, "/api/threads/prompt-changed/changes?iteration=1");
    expect(first.system).toEqual({ text: "Answer in one word.", changed: false });
    expect(first.previous).toBeUndefined();
  });

  it("diffs a sub-agent's frame on its own, and names an unknown frame", async () => {
    const changes = await api<IterationChanges>(studio, "/api/threads/research/changes?frame=root.1.call_m");
    expect(changes).toMatchObject({ frameId: "root.1.call_m", iteration: 1 });
    expect(changes.messages).toEqual([
      expect.objectContaining({ index: 0, role: "user", text: "How does a loom work?", change: "added" }),
    ]);
    const response = await fetch(`${studio.origin}/api/threads/research/changes?frame=root.9`, {
      headers: { authorization: `Bearer ${studio.token}` },
    });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("frame_not_found");
  });

  it("answers 404 for an iteration that does not exist", async () => {
    const response = await fetch(`${studio.origin}/api/threads/research/changes?iteration=99`, {
      headers: { authorization: `Bearer ${studio.token}` },
    });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("iteration_not_found");
  });
});

describe("cost by the prices the studio was given", () => {
  it("sums a thread's calls, cached input at its own price", async () => {
    const summary = await api<{ cost?: number; unpriced: string[] }>(
      studio,
      "/api/threads/prompt-changed/summary",
    );
    // (20 × 3 + 2 × 15) + (600 × 3 + 400 × 0.3 + 100 × 15), per million
    expect(summary.cost).toBeCloseTo((20 * 3 + 2 * 15 + 600 * 3 + 400 * 0.3 + 100 * 15) / 1e6, 12);
    expect(summary.unpriced).toEqual([]);
  });

  it("prices a turn a fallback answered by the model that answered", async () => {
    const summary = await api<{ cost?: number }>(studio, "/api/threads/fallback/summary");
    expect(summary.cost).toBeCloseTo((2_000 * 0.5 + 1_000 * 1.5) / 1e6, 12);
  });

  it("shows each iteration's cost", async () => {
    const second = await api<{ cost?: number }>(studio, "/api/threads/prompt-changed/context?iteration=2");
    expect(second.cost).toBeCloseTo((600 * 3 + 400 * 0.3 + 100 * 15) / 1e6, 12);
    const changes = await api<IterationChanges>(studio, "/api/threads/prompt-changed/changes?iteration=1");
    expect(changes.cost).toBeCloseTo((20 * 3 + 2 * 15) / 1e6, 12);
  });

  it("counts the tokens and cost of the model calls a tool reported, at their model's price", async () => {
    const summary = await api<{ cost?: number; inputTokens: number; outputTokens: number }>(
      studio,
      "/api/threads/tool-model/summary",
    );
    expect(summary).toMatchObject({ inputTokens: 4_030, outputTokens: 203 });
    const agentCalls = (30 * 3 + 3 * 15) / 1e6;
    const toolCalls = (4_000 * 0.5 + 200 * 1.5) / 1e6;
    expect(summary.cost).toBeCloseTo(agentCalls + toolCalls, 12);
    const first = await api<{ cost?: number }>(studio, "/api/threads/tool-model/context?iteration=1");
    expect(first.cost).toBeCloseTo((10 * 3 + 1 * 15) / 1e6 + toolCalls, 12);
  });

  it("a model without a price makes the cost unknown rather than too low", async () => {
    const summary = await api<{ cost?: number; unpriced: string[] }>(studio, "/api/threads/unpriced/summary");
    expect(summary.cost).toBeUndefined();
    expect(summary.unpriced).toEqual(["elsewhere/m-9"]);
  });

  it("without prices, no cost at all", async () => {
    const summary = await api<{ cost?: number }>(plain, "/api/threads/prompt-changed/summary");
    expect(summary.cost).toBeUndefined();
    expect(await api<{ prices: boolean }>(plain, "/api/info")).toMatchObject({ prices: false });
    expect(await api<{ prices: boolean }>(studio, "/api/info")).toMatchObject({ prices: true });
  });

  it("refuses prices that are not dollars per million tokens", async () => {
    await expect(
      startStudio({ journal, prices: { openai: { "gpt-x": { input: -1, output: 2 } } } }),
    ).rejects.toThrow(ConfigError);
    await expect(
      // @ts-expect-error: a price needs input and output
      startStudio({ journal, prices: { openai: { "gpt-x": { input: 1 } } } }),
    ).rejects.toThrow(/prices at "openai.gpt-x.output"/);
  });
});
