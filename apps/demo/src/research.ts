import { type Agent, createAgent, type Journal, tool } from "@loom/core";
import { ScriptedProvider, type ScriptedTurn } from "@loom/testing";
import { z } from "zod";

/** A tiny offline corpus the demo's tools search and read. */
const PAGES: Record<string, { title: string; text: string }> = {
  "https://example.org/event-sourcing": {
    title: "Event sourcing",
    text: "Event sourcing stores every change as an event; the current state is a fold over the events. A crashed process rebuilds its state by reading them back.",
  },
  "https://example.org/write-ahead-log": {
    title: "Write-ahead logging",
    text: "A write-ahead log makes a change durable before it takes effect, so a crash never leaves an effect without its record.",
  },
  "https://example.org/idempotency": {
    title: "Idempotency keys",
    text: "An idempotency key lets a retried request be recognised, so running it twice has the effect of running it once.",
  },
};

export function researchTools() {
  const search = tool({
    name: "search",
    description: "Search the offline corpus; returns matching page URLs and titles.",
    input: z.object({ query: z.string().min(1) }),
    idempotent: true,
    run: ({ query }) => {
      const words = query.toLowerCase().split(/\W+/).filter(Boolean);
      return Object.entries(PAGES)
        .filter(([, page]) => words.some((w) => `${page.title} ${page.text}`.toLowerCase().includes(w)))
        .map(([url, page]) => ({ url, title: page.title }));
    },
  });
  const readPage = tool({
    name: "read_page",
    description: "Read one page of the corpus by URL.",
    input: z.object({ url: z.string().url() }),
    idempotent: true,
    run: ({ url }) => {
      const page = PAGES[url];
      if (!page) throw new Error(`no page at ${url}; use a URL that search returned`);
      return page.text;
    },
  });
  return { search, readPage };
}

/** What the scripted model says: search, read two pages in parallel, then answer. */
export function researchScript(paceMs: number): ScriptedTurn[] {
  return RESEARCH_TURNS.map((turn) => ({ ...turn, chunkSize: 6, chunkDelayMs: paceMs }));
}

const RESEARCH_TURNS: ScriptedTurn[] = [
  {
    text: "I'll look for material on how agents survive crashes.",
    toolCalls: [{ id: "call_search", name: "search", args: { query: "crash event log" } }],
  },
  {
    text: "Two pages look relevant; reading both at once.",
    toolCalls: [
      { id: "call_read_1", name: "read_page", args: { url: "https://example.org/event-sourcing" } },
      { id: "call_read_2", name: "read_page", args: { url: "https://example.org/write-ahead-log" } },
    ],
  },
  {
    text: "Agents survive crashes by journaling each step before it takes effect (a write-ahead log) and rebuilding their state as a fold over those events (event sourcing). After a crash the process reads the journal back and continues where it stopped.",
  },
];

export function researchAgent(journal: Journal, paceMs = 0): Agent {
  const { search, readPage } = researchTools();
  return createAgent({
    name: "researcher",
    journal,
    system: "You are a careful research assistant. Cite what you read.",
    tools: [search, readPage],
    provider: new ScriptedProvider({ turns: researchScript(paceMs), mode: "conversation" }),
  });
}
