import {
  type Agent,
  type AgentOptions,
  createAgent,
  type ExecutionFrame,
  type Hook,
  type Journal,
  summarizeOlderTurns,
  tool,
} from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { z } from "zod";

/** Counts real executions of tool calls by idempotency key: the side effects a crash must not repeat. */
export type Ledger = Map<string, number>;

export interface Scenario {
  readonly name: string;
  readonly input: string;
  /** `extra`: agent options every agent of the scenario gets (snapshots, say). */
  make(journal: Journal, ledger: Ledger, extra?: Extra): Agent;
}

export type Extra = Pick<AgentOptions, "snapshots">;

const record = (ledger: Ledger, key: string) => ledger.set(key, (ledger.get(key) ?? 0) + 1);

function tools(ledger: Ledger) {
  return {
    search: tool({
      name: "search",
      description: "Search the web",
      input: z.object({ q: z.string() }),
      idempotent: true,
      run: async ({ q }, { idempotencyKey }) => {
        record(ledger, idempotencyKey);
        return { hits: [`${q}: first hit`, `${q}: second hit`] };
      },
    }),
    fetchPage: tool({
      name: "fetch_page",
      description: "Fetch a page",
      input: z.object({ url: z.string().url() }),
      idempotent: true,
      run: async ({ url }, { idempotencyKey }) => {
        record(ledger, idempotencyKey);
        // Different delays so parallel calls finish out of order.
        await new Promise((r) => setTimeout(r, url.length % 3));
        return `contents of ${url}`;
      },
    }),
    flaky: tool({
      name: "flaky",
      description: "Always fails",
      input: z.object({}),
      idempotent: true,
      run: async (_args, { idempotencyKey }) => {
        record(ledger, idempotencyKey);
        throw new Error("disk on fire");
      },
    }),
    readFile: tool({
      name: "read_file",
      description: "Read a file (read-only: runs while its start is written, ADR 0015)",
      input: z.object({ path: z.string() }),
      readOnly: true,
      run: async ({ path }, { idempotencyKey }) => {
        record(ledger, idempotencyKey);
        await new Promise((r) => setTimeout(r, path.length % 2));
        return `contents of ${path}`;
      },
    }),
    deleteFile: tool({
      name: "delete_file",
      description: "Delete a file (dangerous)",
      input: z.object({ path: z.string() }),
      idempotent: true,
      run: async ({ path }, { idempotencyKey }) => {
        record(ledger, idempotencyKey);
        return `deleted ${path}`;
      },
    }),
  };
}

export const approveDangerous: Hook = {
  name: "approve-dangerous",
  beforeToolExecution: ({ call, approved }) =>
    call.name === "delete_file" && !approved ? { interrupt: "deleting files needs a human" } : undefined,
};

export const scenarios: Scenario[] = [
  {
    name: "sequential tools",
    input: "Research loom",
    make: (journal, ledger, extra = {}) => {
      const t = tools(ledger);
      return createAgent({
        ...extra,
        journal,
        system: "You are a researcher.",
        tools: [t.search, t.fetchPage],
        provider: new ScriptedProvider({
          mode: "conversation",
          turns: [
            { text: "Searching.", toolCalls: [{ name: "search", args: { q: "loom" } }] },
            { toolCalls: [{ name: "fetch_page", args: { url: "https://loom.dev" } }] },
            { text: "Loom is an agent framework." },
          ],
        }),
      });
    },
  },
  {
    name: "parallel tools",
    input: "Compare three pages",
    make: (journal, ledger, extra = {}) => {
      const t = tools(ledger);
      return createAgent({
        ...extra,
        journal,
        tools: [t.search, t.fetchPage],
        provider: new ScriptedProvider({
          mode: "conversation",
          turns: [
            {
              toolCalls: [
                { name: "fetch_page", args: { url: "https://a.example" } },
                { name: "fetch_page", args: { url: "https://bb.example" } },
                { name: "search", args: { q: "ccc" } },
              ],
            },
            { text: "All three compared." },
          ],
        }),
      });
    },
  },
  {
    name: "errors: rate limit, bad arguments, unknown tool, throwing tool",
    input: "Try things",
    make: (journal, ledger, extra = {}) => {
      const t = tools(ledger);
      return createAgent({
        ...extra,
        journal,
        tools: [t.search, t.flaky],
        retry: { maxRetries: 3, initialDelayMs: 0, maxDelayMs: 0 },
        provider: new ScriptedProvider({
          mode: "conversation",
          turns: [
            {
              failFirst: [{ code: "rate_limited", retryAfterMs: 0 }],
              toolCalls: [
                { name: "search", args: "{not json" },
                { name: "search", args: { q: 42 } },
                { name: "no_such_tool", args: {} },
                { name: "flaky", args: {} },
              ],
            },
            { toolCalls: [{ name: "search", args: { q: "fixed" } }] },
            { text: "Recovered." },
          ],
        }),
      });
    },
  },
  {
    name: "sub-agent",
    input: "Delegate research",
    make: (journal, ledger, extra = {}) => {
      const t = tools(ledger);
      const researcher = createAgent({
        ...extra,
        name: "researcher",
        journal,
        tools: [t.search],
        provider: new ScriptedProvider({
          mode: "conversation",
          turns: [{ toolCalls: [{ name: "search", args: { q: "deep" } }] }, { text: "Deep findings." }],
        }),
      });
      return createAgent({
        ...extra,
        journal,
        tools: [researcher.asTool({ description: "Delegates research" }), t.fetchPage],
        provider: new ScriptedProvider({
          mode: "conversation",
          turns: [
            {
              toolCalls: [
                { name: "researcher", args: { input: "dig into loom" } },
                { name: "fetch_page", args: { url: "https://x.example" } },
              ],
            },
            { text: "The researcher found: Deep findings." },
          ],
        }),
      });
    },
  },
  {
    name: "approval",
    input: "Clean up",
    make: (journal, ledger, extra = {}) => {
      const t = tools(ledger);
      return createAgent({
        ...extra,
        journal,
        tools: [t.search, t.deleteFile],
        hooks: [approveDangerous],
        provider: new ScriptedProvider({
          mode: "conversation",
          turns: [
            {
              toolCalls: [
                { name: "search", args: { q: "tmp files" } },
                { name: "delete_file", args: { path: "/tmp/a" } },
              ],
            },
            { toolCalls: [{ name: "delete_file", args: { path: "/tmp/b" } }] },
            { text: "Cleaned." },
          ],
        }),
      });
    },
  },
  {
    name: "read-only tools",
    input: "Read, then clean up",
    make: (journal, ledger, extra = {}) => {
      const t = tools(ledger);
      return createAgent({
        ...extra,
        journal,
        tools: [t.readFile, t.deleteFile],
        hooks: [approveDangerous],
        provider: new ScriptedProvider({
          mode: "conversation",
          turns: [
            {
              toolCalls: [
                { name: "read_file", args: { path: "a.txt" } },
                { name: "read_file", args: { path: "bb.txt" } },
              ],
            },
            { toolCalls: [{ name: "read_file", args: { path: "c.txt" } }] },
            {
              toolCalls: [
                { name: "delete_file", args: { path: "/tmp/a" } },
                { name: "read_file", args: { path: "d.txt" } },
              ],
            },
            { toolCalls: [{ name: "read_file", args: { path: "e.txt" } }] },
            { text: "Read and cleaned." },
          ],
        }),
      });
    },
  },
];

scenarios.push({
  name: "compression by a summarizing model",
  input: `Read everything ${"please ".repeat(30)}`,
  make: (journal, ledger, extra = {}) => {
    const t = tools(ledger);
    return createAgent({
      ...extra,
      journal,
      tools: [t.search],
      context: { windowTokens: 190, reservedOutputTokens: 20 },
      compression: summarizeOlderTurns({
        provider: new ScriptedProvider({
          mode: "conversation",
          turns: [{ text: "Searched a and b so far." }],
        }),
        keepTurns: 1,
      }),
      provider: new ScriptedProvider({
        // Compression hides earlier answers, so pick the turn from the last tool result.
        select: (request) => {
          const last = request.messages.at(-1)!;
          return last.role !== "tool" ? 0 : last.content.includes('"a: ') ? 1 : 2;
        },
        turns: [
          { text: "a ".repeat(60), toolCalls: [{ name: "search", args: { q: "a" } }] },
          { text: "b ".repeat(60), toolCalls: [{ name: "search", args: { q: "b" } }] },
          { text: "Done reading." },
        ],
      }),
    });
  },
});

/** Messages of every frame of a thread, by frame id. */
export function transcripts(root: ExecutionFrame): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = { [root.frameId]: root.messages.toArray() };
  for (const child of Object.values(root.children)) Object.assign(out, transcripts(child));
  return out;
}
