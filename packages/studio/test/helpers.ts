import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  type Agent,
  createAgent,
  type Journal,
  MemoryJournal,
  type NewEvent,
  type StoredEvent,
  type ThreadInfo,
  type ThreadQuery,
  type Tool,
  type ToolSet,
  tool,
} from "@loom/core";
import { HITLHook } from "@loom/hooks";
import { FsJournal } from "@loom/journal-fs";
import { ScriptedProvider } from "@loom/testing";
import { z } from "zod";
import type { Studio, ThreadRow } from "../src/index.js";

export function tempDir(name: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `loom-studio-${name}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function fsJournal(dir: string): FsJournal {
  return new FsJournal({ dir, onRecovery: () => {} });
}

/** A key a provider would hold: it must never reach the page. */
export const PROVIDER_SECRET = "sk-studio-test-0123456789abcdef";

/**
 * An agent with a dangerous tool behind a HITLHook: its thread pauses at `delete_file` until a
 * human decides. `deleted` lists every path the tool really deleted.
 */
export function deletingAgent(
  journal: Journal,
  options: { toolSet?: ToolSet } = {},
): { agent: Agent; deleted: string[]; tools: Tool[] } {
  const deleted: string[] = [];
  const deleteFile = tool({
    name: "delete_file",
    description: "Deletes a file",
    input: z.object({ path: z.string() }),
    run: async ({ path }) => {
      deleted.push(path);
      return `deleted ${path}`;
    },
  });
  const provider = Object.assign(
    new ScriptedProvider({
      mode: "conversation",
      turns: [
        {
          text: "I will delete it.",
          toolCalls: [{ id: "call_1", name: "delete_file", args: { path: "notes.txt" } }],
        },
        { text: "Done: the file is handled." },
      ],
    }),
    { apiKey: PROVIDER_SECRET },
  );
  const agent = createAgent({
    name: "cleaner",
    journal,
    provider,
    // With a ToolSet, the agent offers what the set holds (the test adds delete_file when it likes).
    tools: options.toolSet ? [options.toolSet] : [deleteFile],
    hooks: [HITLHook({ tools: ["delete_file"], reason: (call) => `${call.name} deletes files` })],
  });
  return { agent, deleted, tools: [deleteFile] };
}

/** Runs `agent` on a new thread until it pauses for approval. */
export async function pausedThread(agent: Agent, threadId: string): Promise<void> {
  const result = await agent.run("Please delete notes.txt", { threadId });
  if (result.status !== "interrupted") throw new Error(`expected a paused thread, got ${result.status}`);
}

const appendChild = fileURLToPath(new URL("./fixtures/append-event.mjs", import.meta.url));

/** Appends a `run.started` with `text` to a thread from another Node process; resolves to its seq. */
export async function appendFromAnotherProcess(dir: string, threadId: string, text: string): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, [appendChild, dir, threadId, text]);
  return Number(stdout.trim());
}

/** Reads Server-Sent Events from `url` until `until` returns true for a parsed event. */
export async function readLive(
  url: string,
  headers: Record<string, string>,
  until: (event: StoredEvent) => boolean,
): Promise<StoredEvent[]> {
  const stop = new AbortController();
  const response = await fetch(url, { headers, signal: stop.signal });
  if (!response.ok || !response.body) throw new Error(`live: HTTP ${response.status}`);
  const seen: StoredEvent[] = [];
  let buffer = "";
  const decoder = new TextDecoder();
  try {
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk, { stream: true });
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split("\n").find((line) => line.startsWith("data: "));
        if (data) {
          const event = JSON.parse(data.slice("data: ".length)) as StoredEvent;
          seen.push(event);
          if (until(event)) return seen;
        }
        end = buffer.indexOf("\n\n");
      }
    }
  } finally {
    stop.abort();
  }
  return seen;
}

/**
 * A finished thread worth reading: a tool that fails, a sub-agent that answers, two iterations with
 * a small context window so the history is partly left out at the second.
 */
export async function researchThread(journal: Journal, threadId: string): Promise<void> {
  const search = tool({
    name: "search",
    description: "Searches the archive",
    input: z.object({ q: z.string() }),
    run: async () => {
      throw new Error("the archive is offline");
    },
  });
  const summarizer = createAgent({
    name: "summarizer",
    journal,
    provider: new ScriptedProvider([{ text: "Looms interlace warp and weft threads to make cloth." }]),
  });
  const researcher = createAgent({
    name: "researcher",
    journal,
    system: "You research textile history.",
    context: { windowTokens: 260, reservedOutputTokens: 40 },
    tools: [search, summarizer.asTool({ name: "summarize", description: "Summarises a topic" })],
    provider: new ScriptedProvider([
      {
        text: "Let me look that up.",
        toolCalls: [
          { id: "call_s", name: "search", args: { q: "how does a loom work" } },
          { id: "call_m", name: "summarize", args: { input: "How does a loom work?" } },
        ],
      },
      { text: "A loom holds the warp threads taut while the weft is woven through them. ".repeat(3) },
      { text: "Yes: the shuttle carries the weft across." },
    ]),
  });
  await researcher.run("How does a loom work? ".repeat(6), { threadId });
  await researcher.run("And the shuttle?", { threadId });
}

/**
 * `count` events of one long run, as a busy agent journals them: per iteration a context, a model
 * call with a tool call, the tool's start and result.
 */
export function longRunEvents(count: number, start = 0): NewEvent[] {
  const base = { v: 1, runId: "run-long", frameId: "root", depth: 0 } as const;
  const events: NewEvent[] = [];
  for (let n = start; n < start + count; n++) {
    const ts = 1_700_000_000_000 + n * 10;
    const iteration = Math.floor((n - 1) / 6) + 1;
    const step = (n - 1) % 6;
    if (n === 0) {
      events.push({
        ...base,
        ts,
        iteration: 0,
        type: "run.started",
        data: { input: "Index the archive", agent: "indexer" },
      });
    } else if (step === 0) {
      events.push({ ...base, ts, iteration, type: "iteration.started", data: {} });
    } else if (step === 1) {
      events.push({
        ...base,
        ts,
        iteration,
        type: "context.assembled",
        data: {
          budget: 100_000,
          totalTokens: 900,
          included: [{ id: "history", kind: "history", tokens: 900, priority: 50, range: [0, 12] }],
          excluded: [],
        },
      });
    } else if (step === 2) {
      events.push({
        ...base,
        ts,
        iteration,
        type: "llm.completed",
        data: {
          message: {
            role: "assistant",
            content: `Indexing page ${iteration}.`,
            toolCalls: [{ id: `call_${iteration}`, name: "index_page", arguments: `{"page":${iteration}}` }],
          },
          usage: { inputTokens: 900, outputTokens: 12 },
          finishReason: { unified: "tool-calls", raw: "tool_calls" },
          attempt: 1,
        },
      });
    } else if (step === 3) {
      events.push({
        ...base,
        ts,
        iteration,
        type: "tool.started",
        data: {
          callId: `call_${iteration}`,
          name: "index_page",
          args: { page: iteration },
          idempotencyKey: `long/call_${iteration}@${n - 1}`,
        },
      });
    } else if (step === 4) {
      events.push({
        ...base,
        ts,
        iteration,
        type: "tool.completed",
        data: {
          callId: `call_${iteration}`,
          name: "index_page",
          content: `page ${iteration}: 42 terms`,
          durationMs: 3,
        },
      });
    } else {
      events.push({ ...base, ts, iteration, type: "iteration.completed", data: {} });
    }
  }
  return events;
}

/** A MemoryJournal that counts what the studio asks of `threads()`: the list must not re-read the journal. */
export class CountingJournal extends MemoryJournal {
  listCalls = 0;
  rowsListed = 0;
  override async *threads(query?: ThreadQuery): AsyncIterable<ThreadInfo> {
    this.listCalls++;
    for await (const info of super.threads(query)) {
      this.rowsListed++;
      yield info;
    }
  }
}

type ThreadPage = { threads: ThreadRow[]; next?: string };

/** Pages of the thread list as the studio sends them, until `stop()`. */
export function followThreadList(
  studio: Studio,
  query: string,
): { pages: ThreadPage[]; next: () => Promise<ThreadPage>; stop: () => void } {
  const abort = new AbortController();
  const pages: ThreadPage[] = [];
  const waiters: ((page: ThreadPage) => void)[] = [];
  let taken = 0;
  void (async () => {
    const response = await fetch(`${studio.origin}/api/threads/live?${query}`, {
      headers: { authorization: `Bearer ${studio.token}` },
      signal: abort.signal,
    });
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of response.body!) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split("\n").find((line) => line.startsWith("data: "));
        if (!block.includes("event: threads") || !data) continue;
        const page = JSON.parse(data.slice("data: ".length)) as ThreadPage;
        pages.push(page);
        waiters.shift()?.(page);
      }
    }
  })().catch(() => undefined);
  return {
    pages,
    next: () =>
      taken < pages.length
        ? Promise.resolve(pages[taken++]!)
        : new Promise<ThreadPage>((resolve) => {
            waiters.push((page) => {
              taken++;
              resolve(page);
            });
          }),
    stop: () => abort.abort(),
  };
}
