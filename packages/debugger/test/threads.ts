import {
  type Agent,
  type CompressionStrategy,
  createAgent,
  type Hook,
  type Journal,
  MemoryJournal,
  readAll,
  type StoredEvent,
  stateAt,
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
export function readingAgent(
  journal: Journal,
  runs: number,
  options: { hooks?: readonly Hook[]; compression?: CompressionStrategy } = {},
) {
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
      ...(options.hooks ?? []),
    ],
    provider,
    ...(options.compression ? { compression: options.compression } : {}),
  });
  return { agent, provider };
}

export async function readingThread(threadId = "reading", runs = 5, compression?: CompressionStrategy) {
  const journal = new MemoryJournal();
  const { agent, provider } = readingAgent(journal, runs, compression ? { compression } : {});
  for (let i = 1; i <= runs; i++) await agent.run(`Read chapter ${i}`, { threadId });
  // Found from what the model was sent, not from the debugger: the iterations whose request did
  // not carry the whole history. Which ones they are depends on core's token counts.
  const events = await readAll(journal, threadId);
  const droppedAt: number[] = [];
  for (const assembled of events.filter((e) => e.type === "context.assembled")) {
    const history = (await stateAt(journal, threadId, assembled.seq)).messages.toArray();
    const sent = provider.requests[assembled.iteration - 1]!.messages.filter((m) => m.role !== "system");
    if (JSON.stringify(sent) !== JSON.stringify(history)) droppedAt.push(assembled.iteration);
  }
  if (droppedAt.length === 0 || droppedAt.length === runs * 2) {
    throw new Error(`readingThread: expected some but not all iterations to drop history, got ${droppedAt}`);
  }
  return { journal, provider, droppedAt, events };
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
export function delegatingAgent(journal: Journal, hooks: readonly Hook[] = []): Agent {
  const researcher = createAgent({
    name: "researcher",
    journal,
    hooks,
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
    hooks,
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

export interface SyntheticThreadOptions {
  /** Iterations that call one tool; one more iteration answers in text. */
  readonly iterations: number;
  readonly llmMs?: number;
  /** Iterations (1-based) whose model call takes this long instead of `llmMs`. */
  readonly llmMsAt?: ReadonlyMap<number, number>;
  readonly toolMs?: number;
  readonly threadId?: string;
  /** Iterations (1-based) whose tool call fails. */
  readonly failingToolAt?: readonly number[];
  /** Iterations (1-based) whose tool call waits this long for a human's approval first. */
  readonly approvalAt?: ReadonlyMap<number, number>;
  /** Runs one after another on the thread, each of `iterations` + 1 iterations. Default 1. */
  readonly runs?: number;
}

/**
 * A thread written event by event, as the executor writes it (fold accepts it; see
 * long-threads.test.ts), with exact timestamps: a run of `iterations` iterations, each a model
 * call that asks for one "search" tool call and the call, then a last model call that answers;
 * `runs` such runs one after another.
 * Fast enough for 200,000 events.
 */
export function syntheticThread(options: SyntheticThreadOptions): StoredEvent[] {
  const { iterations, llmMs = 12, toolMs = 3, threadId = "synthetic" } = options;
  const failing = new Set(options.failingToolAt ?? []);
  const events: StoredEvent[] = [];
  let ts = 1_700_000_000_000;
  let iteration = 0;
  let runId = "run-1";
  const push = (type: StoredEvent["type"], data: unknown) =>
    events.push({
      v: 1,
      threadId,
      seq: events.length,
      runId,
      ts,
      frameId: "root",
      depth: 0,
      iteration,
      type,
      data,
    } as StoredEvent);
  let messages = 0;
  for (let run = 0; run < (options.runs ?? 1); run++) {
    runId = `run-${run + 1}`;
    push("run.started", { input: "Search until done", agent: "searcher" });
    messages++;
    const first = iteration + 1;
    for (let i = first; i <= first + iterations; i++) {
      iteration = i;
      const last = i === first + iterations;
      push("iteration.started", {});
      push("context.assembled", {
        budget: 100_000,
        totalTokens: 20 + messages * 10,
        included: [{ id: "history", kind: "history", tokens: messages * 10, priority: 100 }],
        excluded: [],
      });
      push("llm.requested", {
        provider: "scripted",
        model: "scripted-model",
        messageCount: messages,
        tools: ["search"],
      });
      ts += options.llmMsAt?.get(i) ?? llmMs;
      const callId = `call_${i}`;
      push("llm.completed", {
        message: last
          ? { role: "assistant", content: "Found it." }
          : {
              role: "assistant",
              content: "",
              toolCalls: [{ id: callId, name: "search", arguments: `{"q":"q${i}"}` }],
            },
        usage: { inputTokens: messages * 10, outputTokens: 5 },
        finishReason: last ? { unified: "stop", raw: "stop" } : { unified: "tool-calls", raw: "tool_calls" },
        attempt: 1,
      });
      const llmSeq = events.length - 1;
      messages++;
      if (!last) {
        const wait = options.approvalAt?.get(i);
        if (wait !== undefined) {
          const call = { callId, name: "search", args: { q: `q${i}` }, reason: "ask" };
          push("approval.requested", { calls: [call] });
          push("run.interrupted", { reason: "approval", pendingCallIds: [callId] });
          ts += wait;
          // What core journals when a human's decisions resume the run.
          push("run.resumed", { reason: "decisions" });
          push("approval.resolved", { callId, decision: "approve" });
        }
        const ref = `${callId}@${llmSeq}`;
        push("tool.started", {
          callId,
          name: "search",
          args: { q: `q${i}` },
          idempotencyKey: `${threadId}/${ref}`,
        });
        ts += toolMs;
        push(
          "tool.completed",
          failing.has(i)
            ? {
                callId,
                name: "search",
                content: "Error: index offline",
                error: { code: "tool_error", message: "index offline", retryable: false },
              }
            : { callId, name: "search", content: `results for q${i}` },
        );
        messages++;
      }
      push("iteration.completed", {});
    }
    push("run.completed", { text: "Found it." });
  }
  return events;
}

/** 28,570 iterations of 7 events, a last one of 5, the run's start and end: 199,997 events. */
export const LONG_THREAD: SyntheticThreadOptions = { iterations: 28_570, failingToolAt: [20_000] };

export const DAY_MS = 86_400_000;
/** 12 iterations of 12 ms + 3 ms; iteration 4's call waits a day for a human, iteration 9's 45 s. */
export const WAITED_A_DAY: SyntheticThreadOptions = {
  iterations: 12,
  approvalAt: new Map([
    [4, DAY_MS],
    [9, 45_000],
  ]),
  threadId: "day",
};
