import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type Agent,
  createAgent,
  type Hook,
  type Journal,
  type Provider,
  type Tokenizer,
  tool,
} from "@loom/core";
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

export const QUESTION = "How do AI agents survive a crash without losing work? Publish a short report.";

export interface ResearchSetup {
  readonly journal: Journal;
  /** Where `publish_report` writes. */
  readonly reportsDir: string;
  readonly hooks?: readonly Hook[];
  /** A real model; default: the scripted one. */
  readonly provider?: Provider;
  /** The model's tokenizer, when there is a real one. */
  readonly tokenizer?: Tokenizer;
  /** Milliseconds between streamed pieces of the scripted model's text. */
  readonly paceMs?: number;
  /** How long `read_page` takes (the demo crashes while pages are being read). */
  readonly readDelayMs?: number;
}

export function researchTools(setup: Pick<ResearchSetup, "reportsDir" | "readDelayMs">) {
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
    run: async ({ url }, { signal }) => {
      await new Promise((resolve) => setTimeout(resolve, setup.readDelayMs ?? 0));
      signal.throwIfAborted();
      const page = PAGES[url];
      if (!page) throw new Error(`no page at ${url}; use a URL that search returned`);
      return page.text;
    },
  });
  const publishReport = tool({
    name: "publish_report",
    description: "Publish a report (writes a file others will read). Dangerous: needs a human's approval.",
    input: z.object({ title: z.string().min(1), body: z.string().min(1) }),
    run: ({ title, body }, { idempotencyKey }) => {
      mkdirSync(setup.reportsDir, { recursive: true });
      const file = join(setup.reportsDir, `${idempotencyKey.replace(/[^A-Za-z0-9._-]/g, "_")}.md`);
      writeFileSync(file, `# ${title}\n\n${body}\n`);
      return `published to ${file}`;
    },
  });
  return { search, readPage, publishReport };
}

const TURNS: ScriptedTurn[] = [
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
    text: "I have what I need; publishing the report.",
    toolCalls: [
      {
        id: "call_publish",
        name: "publish_report",
        args: {
          title: "Surviving crashes",
          body: "Journal each step before it takes effect (write-ahead log), and rebuild state as a fold over the events (event sourcing).",
        },
      },
    ],
  },
  {
    text: "Agents survive crashes by journaling each step before it takes effect (a write-ahead log) and rebuilding their state as a fold over those events (event sourcing). After a crash the process reads the journal back and continues where it stopped.",
  },
];

/** What the scripted model says: search, read two pages in parallel, publish (after approval), answer. */
export function researchScript(paceMs: number): ScriptedTurn[] {
  return TURNS.map((turn) => ({ ...turn, chunkSize: 6, chunkDelayMs: paceMs }));
}

export function researchAgent(setup: ResearchSetup): Agent {
  const { search, readPage, publishReport } = researchTools(setup);
  return createAgent({
    name: "researcher",
    journal: setup.journal,
    system: "You are a careful research assistant. Read sources before you write, and cite them.",
    tools: [search, readPage, publishReport],
    hooks: setup.hooks ?? [],
    maxIterations: 8,
    ...(setup.tokenizer ? { tokenizer: setup.tokenizer } : {}),
    provider:
      setup.provider ??
      new ScriptedProvider({ turns: researchScript(setup.paceMs ?? 0), mode: "conversation" }),
  });
}
