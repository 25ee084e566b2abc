import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { MemoryJournal, readAll } from "@loom/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { BasicTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, expect, it } from "vitest";
import { tracedJournal, traceIdOf } from "../src/index.js";
import { researcher } from "./helpers.js";

interface Received {
  readonly path: string;
  readonly contentType: string;
  readonly body: Buffer;
}

/** A tiny OTLP/HTTP receiver: accepts POSTs to /v1/traces (JSON or protobuf) and keeps them. */
function startReceiver(): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/v1/traces") {
        res.writeHead(404).end();
        return;
      }
      const contentType = req.headers["content-type"] ?? "";
      received.push({ path: req.url, contentType, body: Buffer.concat(chunks) });
      if (contentType.includes("json")) res.writeHead(200, { "content-type": "application/json" }).end("{}");
      else res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received }),
    ),
  );
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  arrayValue?: { values: OtlpValue[] };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: { key: string; value: OtlpValue }[];
  status?: { code?: number };
}

let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => new Promise<void>((resolve) => receiver.server.close(() => resolve())));

it("spans arrive at a real OTLP/HTTP receiver with their names and GenAI attributes", async () => {
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${receiver.url}/v1/traces` }))],
  });
  const journal = tracedJournal(new MemoryJournal(), { tracer: provider.getTracer("loom") });
  await researcher(journal).run("Research loom", { threadId: "otlp" });
  await provider.forceFlush();
  await provider.shutdown();

  expect(receiver.received.length).toBeGreaterThan(0);
  const spans: OtlpSpan[] = [];
  for (const request of receiver.received) {
    expect(request.path).toBe("/v1/traces");
    if (request.contentType.includes("json")) {
      const body = JSON.parse(request.body.toString("utf8"));
      for (const resource of body.resourceSpans ?? [])
        for (const scope of resource.scopeSpans ?? []) spans.push(...scope.spans);
    } else {
      // protobuf: strings travel as UTF-8 bytes; enough to see a span's name arrived
      expect(request.body.includes("invoke_agent")).toBe(true);
    }
  }
  expect(spans.map((s) => s.name).sort()).toEqual([
    "chat helper-model",
    "chat helper-model",
    "chat research-model",
    "chat research-model",
    "execute_tool fetch_page",
    "execute_tool fetch_page",
    "execute_tool helper",
    "execute_tool search",
    "invoke_agent helper",
    "invoke_agent researcher",
  ]);
  const value = (v: OtlpValue) =>
    v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.boolValue ?? v.arrayValue));
  const attrs = (span: OtlpSpan) => Object.fromEntries(span.attributes.map((a) => [a.key, value(a.value)]));
  const runId = (await readAll(journal, "otlp"))[0]!.runId;
  for (const span of spans) {
    expect(span.traceId.toLowerCase()).toBe(traceIdOf("otlp", runId));
    expect(attrs(span)).toMatchObject({ "gen_ai.conversation.id": "otlp", "loom.thread.id": "otlp" });
  }
  const chat = spans.find((s) => s.name === "chat research-model")!;
  expect(attrs(chat)).toMatchObject({
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "scripted",
    "gen_ai.request.model": "research-model",
    "gen_ai.usage.input_tokens": 120,
    "gen_ai.usage.output_tokens": 30,
    "loom.frame.depth": 0,
  });
  const search = spans.find((s) => s.name === "execute_tool search")!;
  expect(attrs(search)).toMatchObject({
    "gen_ai.tool.name": "search",
    "gen_ai.tool.call.id": "s1",
    "loom.frame.depth": 1,
  });
  const bySpanId = new Map(spans.map((s) => [s.spanId, s]));
  expect(bySpanId.get(search.parentSpanId ?? "")?.name).toBe("invoke_agent helper");
});
