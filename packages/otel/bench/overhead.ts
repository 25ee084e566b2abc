// The cost of tracing per journaled event: the same thread appended, one event per append, to a
// MemoryJournal, to tracedJournal over it with the API's no-op tracer (no SDK registered: the
// wrapper's own work), and with an SDK tracer (BasicTracerProvider, SimpleSpanProcessor,
// InMemorySpanExporter: span objects made and exported). Median CPU time per event over rounds
// interleaved between the variants, after a warm-up. `pnpm --filter @loom/otel bench` (after a build).
import { createAgent, type Journal, MemoryJournal, type NewEvent, readAll, tool } from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { trace } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { z } from "zod";
import { loomIdGenerator, tracedJournal } from "../dist/index.js";

const ROUNDS = Number(process.env.ROUNDS ?? 400);
const WARMUP = Number(process.env.WARMUP ?? 200);

async function sampleThread() {
  const journal = new MemoryJournal();
  const echo = tool({
    name: "echo",
    description: "echo",
    input: z.object({ s: z.string() }),
    run: ({ s }) => s,
  });
  const helper = createAgent({
    name: "helper",
    journal,
    tools: [echo],
    provider: new ScriptedProvider({
      mode: "conversation",
      turns: [{ toolCalls: [{ name: "echo", args: { s: "x" } }] }, { text: "helped" }],
    }),
  });
  const agent = createAgent({
    journal,
    tools: [echo, helper.asTool({ description: "helper" })],
    provider: new ScriptedProvider({
      mode: "conversation",
      turns: [
        {
          toolCalls: [
            { name: "echo", args: { s: "a" } },
            { name: "echo", args: { s: "b" } },
            { name: "helper", args: { input: "go" } },
          ],
        },
        { text: "done" },
      ],
    }),
  });
  await agent.run("bench", { threadId: "sample" });
  return readAll(journal, "sample");
}

const events = await sampleThread();
const exporter = new InMemorySpanExporter();
const sdk = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer(
  "bench",
);
const ids = loomIdGenerator();
const derived = new BasicTracerProvider({
  idGenerator: ids,
  spanProcessors: [new SimpleSpanProcessor(exporter)],
}).getTracer("bench");
const variants: Record<string, () => Journal> = {
  MemoryJournal: () => new MemoryJournal(),
  "tracedJournal, no-op tracer": () =>
    tracedJournal(new MemoryJournal(), { tracer: trace.getTracer("bench") }),
  "tracedJournal, SDK tracer": () => tracedJournal(new MemoryJournal(), { tracer: sdk }),
  "tracedJournal, SDK + derived ids": () => tracedJournal(new MemoryJournal(), { tracer: derived, ids }),
};

async function round(make: () => Journal): Promise<number> {
  const journal = make();
  const start = process.cpuUsage();
  for (const event of events) await journal.append("bench", [event as NewEvent], event.seq - 1);
  const used = process.cpuUsage(start);
  exporter.reset();
  return (used.user + used.system) / events.length;
}

const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let i = 0; i < WARMUP + ROUNDS; i++) {
  for (const [name, make] of Object.entries(variants)) {
    const us = await round(make);
    if (i >= WARMUP) samples[name]!.push(us);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(samples.MemoryJournal!);
console.log(`${events.length} events per thread, ${ROUNDS} rounds, median CPU µs per event:`);
for (const [name, xs] of Object.entries(samples)) {
  const m = median(xs);
  console.log(`${name.padEnd(34)} ${m.toFixed(2).padStart(7)} µs  (+${(m - base).toFixed(2)} µs)`);
}
