import {
  type Agent,
  createAgent,
  type Hook,
  type Journal,
  MemoryJournal,
  readAll,
  type StoredEvent,
  tool,
} from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { z } from "zod";

/** A tool whose results are long, so a small window overflows after a few turns. */
export const readChapter = tool({
  name: "read_chapter",
  description: "Reads a chapter",
  input: z.object({ n: z.number() }),
  idempotent: true,
  run: async ({ n }) => `Chapter ${n}. ${"The loom wove on and on through the night. ".repeat(12)}`,
});

export const MANUAL = `MANUAL-TEXT ${"Every rule of the house, written at length. ".repeat(150)}`;

/**
 * A reader that reads one chapter per run, run after run on one thread, with a 700-token window:
 * the history outgrows the budget, so later iterations drop the oldest turns; a long low-priority
 * manual never fits.
 */
export function readingAgent(journal: Journal, runs: number, extraHooks: readonly Hook[] = []) {
  const provider = new ScriptedProvider({
    turns: Array.from({ length: runs }, (_, i) => [
      {
        text: `Reading chapter ${i + 1}.`,
        toolCalls: [{ id: `read${i + 1}`, name: "read_chapter", args: { n: i + 1 } }],
      },
      { text: `Chapter ${i + 1} is about weaving.` },
    ]).flat(),
  });
  const agent = createAgent({
    journal,
    system: "You summarise books.",
    tools: [readChapter],
    context: { windowTokens: 700, reservedOutputTokens: 100 },
    hooks: [
      {
        name: "add-manual",
        beforeContextAssembly: ({ components }) => ({
          components: [...components, { id: "manual", kind: "document", priority: 10, content: MANUAL }],
        }),
      },
      ...extraHooks,
    ],
    provider,
  });
  return { agent, provider };
}

export async function readingThread(threadId = "reading", runs = 5) {
  const journal = new MemoryJournal();
  const { agent, provider } = readingAgent(journal, runs);
  for (let i = 1; i <= runs; i++) await agent.run(`Read chapter ${i}`, { threadId });
  // Found from what the model was sent, not from the events: the iterations whose request had
  // lost the thread's first message. Which ones they are depends on core's token counts.
  const droppedAt = provider.requests.flatMap((r, i) =>
    r.messages.some((m) => m.content === "Read chapter 1") ? [] : [i + 1],
  );
  if (droppedAt.length === 0 || droppedAt.length === runs * 2) {
    throw new Error(`readingThread: expected some but not all iterations to drop history, got ${droppedAt}`);
  }
  return { journal, provider, droppedAt, events: await readAll(journal, threadId) };
}

const search = tool({
  name: "search",
  description: "Search",
  input: z.object({ q: z.string() }),
  idempotent: true,
  run: async ({ q }) => {
    await new Promise((r) => setTimeout(r, 15));
    return `results for ${q}`;
  },
});
const flaky = tool({
  name: "flaky",
  description: "Always fails",
  input: z.object({}),
  idempotent: true,
  run: async () => {
    await new Promise((r) => setTimeout(r, 5));
    throw new Error("disk on fire");
  },
});

/**
 * A root agent that calls a researcher sub-agent and two tools in parallel (one fails), after a
 * rate-limited first model attempt. Model turns take a few ms so every bar has a width.
 */
export function delegatingAgent(journal: Journal): Agent {
  const researcher = createAgent({
    name: "researcher",
    journal,
    tools: [search],
    provider: new ScriptedProvider({
      mode: "conversation",
      turns: [
        { delayMs: 10, toolCalls: [{ name: "search", args: { q: "deep" } }] },
        { delayMs: 10, text: "Deep findings." },
      ],
    }),
  });
  return createAgent({
    journal,
    tools: [researcher.asTool({ description: "Delegates research" }), search, flaky],
    retry: { maxRetries: 2, initialDelayMs: 0, maxDelayMs: 0 },
    provider: new ScriptedProvider({
      mode: "conversation",
      turns: [
        {
          delayMs: 10,
          failFirst: [{ code: "rate_limited", retryAfterMs: 0 }],
          toolCalls: [
            { name: "researcher", args: { input: 'dig into <loom> & "friends"' } },
            { name: "search", args: { q: "shallow" } },
            { name: "flaky", args: {} },
          ],
        },
        { delayMs: 10, text: "Done: Deep findings." },
      ],
    }),
  });
}

export async function delegatingThread(threadId = "delegating") {
  const journal = new MemoryJournal();
  await delegatingAgent(journal).run("Research loom", { threadId });
  return { journal, events: await readAll(journal, threadId) };
}

export const countOf = (events: readonly StoredEvent[], type: StoredEvent["type"]) =>
  events.filter((e) => e.type === type).length;
