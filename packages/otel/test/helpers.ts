import { type Agent, createAgent, type Journal, tool } from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import type { Tracer } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  type IdGenerator,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { z } from "zod";

/** A tracer whose finished spans land in memory; with `idGenerator`, that generator gives its ids. */
export function memoryTracer(idGenerator?: IdGenerator): {
  tracer: Tracer;
  spans: () => ReadableSpan[];
  reset: () => void;
} {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    ...(idGenerator ? { idGenerator } : {}),
  });
  return {
    tracer: provider.getTracer("loom-test"),
    spans: () => exporter.getFinishedSpans(),
    reset: () => exporter.reset(),
  };
}

const ms = (time: [number, number]) => time[0] * 1000 + time[1] / 1e6;

/** Children sorted by start time, then name, then call id: parallel calls often start in the same ms. */
function order(a: ReadableSpan, b: ReadableSpan): number {
  return (
    ms(a.startTime) - ms(b.startTime) ||
    Number(a.attributes["loom.seq"]) - Number(b.attributes["loom.seq"]) ||
    a.name.localeCompare(b.name) ||
    String(a.attributes["gen_ai.tool.call.id"] ?? "").localeCompare(
      String(b.attributes["gen_ai.tool.call.id"] ?? ""),
    )
  );
}

/** The span tree as indented lines: `name [ERROR error.type]`. Spans whose parent is not among them are roots. */
export function tree(spans: readonly ReadableSpan[], line = (s: ReadableSpan) => label(s)): string[] {
  const ids = new Set(spans.map((s) => s.spanContext().spanId));
  const children = new Map<string | undefined, ReadableSpan[]>();
  for (const span of spans) {
    const parent = span.parentSpanContext?.spanId;
    const key = parent !== undefined && ids.has(parent) ? parent : undefined;
    children.set(key, [...(children.get(key) ?? []), span]);
  }
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    for (const span of [...(children.get(parent) ?? [])].sort(order)) {
      lines.push(`${"  ".repeat(depth)}${line(span)}`);
      walk(span.spanContext().spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines;
}

export function label(span: ReadableSpan): string {
  const error = span.status.code === 2 ? ` [ERROR ${String(span.attributes["error.type"])}]` : "";
  return `${span.name}${error}`;
}

/** Everything about a span but its random span id: what live and exported spans must agree on. */
export function describeSpan(span: ReadableSpan): string {
  return JSON.stringify({
    name: span.name,
    kind: span.kind,
    traceId: span.spanContext().traceId,
    start: span.startTime,
    end: span.endTime,
    status: span.status,
    attributes: Object.fromEntries(Object.entries(span.attributes).sort(([a], [b]) => a.localeCompare(b))),
  });
}

/**
 * A researcher that fetches two pages and asks a helper sub-agent at once (three parallel calls);
 * the helper searches, then answers. Conversation mode: a fresh agent resumes a thread with the
 * same answers.
 */
export function researcher(journal: Journal): Agent {
  const search = tool({
    name: "search",
    description: "Search the web",
    input: z.object({ q: z.string() }),
    idempotent: true,
    run: async ({ q }) => ({ hits: [`${q}: first hit`] }),
  });
  const fetchPage = tool({
    name: "fetch_page",
    description: "Fetch a page",
    input: z.object({ url: z.string() }),
    idempotent: true,
    run: async ({ url }) => {
      await new Promise((resolve) => setTimeout(resolve, url.length % 3));
      return `contents of ${url}`;
    },
  });
  const helper = createAgent({
    name: "helper",
    journal,
    tools: [search],
    provider: new ScriptedProvider({
      mode: "conversation",
      modelId: "helper-model",
      turns: [
        { toolCalls: [{ id: "s1", name: "search", args: { q: "secret-query" } }] },
        { text: "helper answer" },
      ],
    }),
  });
  return createAgent({
    name: "researcher",
    journal,
    tools: [fetchPage, helper.asTool({ description: "Asks the helper" })],
    provider: new ScriptedProvider({
      mode: "conversation",
      modelId: "research-model",
      turns: [
        {
          text: "Looking.",
          toolCalls: [
            { id: "a", name: "fetch_page", args: { url: "https://a.example" } },
            { id: "b", name: "fetch_page", args: { url: "https://bb.example" } },
            { id: "h", name: "helper", args: { input: "look up the secret-query" } },
          ],
          usage: { inputTokens: 120, outputTokens: 30 },
        },
        { text: "All done: private-answer.", usage: { inputTokens: 200, outputTokens: 12 } },
      ],
    }),
  });
}
