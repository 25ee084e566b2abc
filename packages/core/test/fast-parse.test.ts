import { readdirSync, readFileSync } from "node:fs";
import { parseEvent, StoredEventSchema } from "@loom/core";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { compileParser, UNSURE } from "../src/fast-parse.js";

// The fast parser must agree with zod: whatever it accepts, zod accepts, with an equal result.
// Everything else it leaves to zod (UNSURE). These tests hold it to that over every event in the
// frozen journals and every event type, each mutated at every path in many ways.

const fast = compileParser(StoredEventSchema);
const dir = new URL("./fixtures/journals/", import.meta.url);
const frozen = readdirSync(dir)
  .filter((f) => f.endsWith(".jsonl"))
  .flatMap((f) =>
    readFileSync(new URL(f, dir), "utf8")
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>),
  );

const envelope = { v: 1, threadId: "t", seq: 0, runId: "r", ts: 1, frameId: "root", depth: 0, iteration: 1 };
const handMade: Record<string, unknown>[] = [
  { type: "run.started", data: { input: "hi", agent: "a" } },
  {
    type: "compression.applied",
    data: {
      strategy: "s",
      tokensBefore: 9,
      tokensAfter: 3,
      keepFrom: 2,
      prefix: [
        { role: "user", content: "sum" },
        { role: "tool", callId: "c", name: "n", content: "x", isError: true },
      ],
    },
  },
  {
    type: "llm.requested",
    data: {
      provider: "p",
      model: "m",
      messageCount: 1,
      tools: [],
      replacedMessages: [{ role: "system", content: "s" }],
      settings: { temperature: 0.2, stop: ["x"], nested: { a: null } },
    },
  },
  {
    type: "llm.completed",
    data: {
      message: {
        role: "assistant",
        content: "",
        toolCalls: [{ id: "1", name: "n", arguments: "{}" }],
        reasoning: [{ text: "t", signature: "s" }],
        refusal: "no",
      },
      usage: {
        inputTokens: 1,
        outputTokens: 2,
        reasoningTokens: 0,
        cachedInputTokens: 1,
        cacheWriteTokens: 0,
      },
      finishReason: { unified: "tool-calls", raw: "tool_use" },
      attempt: 2,
      requestId: "req",
      warnings: ["w"],
    },
  },
  {
    type: "llm.failed",
    data: {
      error: { code: "rate_limited", message: "m", retryable: true },
      attempt: 1,
      status: 429,
      requestId: "r",
      willRetry: true,
      retryInMs: 10,
    },
  },
  {
    type: "tool.started",
    data: { callId: "c", name: "n", args: { a: [1, "x", null] }, originalArgs: "raw", idempotencyKey: "k" },
  },
  {
    type: "tool.completed",
    data: {
      callId: "c",
      name: "n",
      content: "x",
      output: { deep: { er: [true] } },
      error: { code: "tool_error", message: "x" },
      durationMs: 0.5,
    },
  },
  { type: "approval.requested", data: { calls: [{ callId: "c", name: "n", args: null, reason: "r" }] } },
  { type: "approval.resolved", data: { callId: "c", decision: "edit", reason: "r", args: { x: 1 } } },
  { type: "run.interrupted", data: { reason: "approval", pendingCallIds: ["c"] } },
  { type: "frame.spawned", data: { childFrameId: "root.1.c", callId: "c", name: "n", input: "i" } },
  { type: "run.failed", data: { error: { code: "c", message: "m" } } },
  { type: "run.cancelled", data: { reason: "r" } },
  { type: "snapshot", data: { state: { any: ["json"] } } },
].map((e) => ({ ...envelope, parentFrameId: "p", ...e }));
const corpus = [...frozen, ...handMade];

const replacements: unknown[] = [
  undefined,
  null,
  "",
  "x",
  0,
  -1,
  1.5,
  2 ** 60,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  true,
  [],
  [1],
  {},
  { extra: 1 },
  new Date(0),
  Object.create(null),
  "assistant",
  "tool-calls",
  1,
];

function* paths(value: unknown, path: (string | number)[] = []): Generator<(string | number)[]> {
  if (typeof value !== "object" || value === null) return;
  for (const key of Object.keys(value)) {
    const next = [...path, Array.isArray(value) ? Number(key) : key];
    yield next;
    yield* paths((value as Record<string, unknown>)[key], next);
  }
}

function mutate(
  value: unknown,
  path: (string | number)[],
  change: (parent: Record<string | number, unknown>, key: string | number) => void,
): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  change(parent, path[path.length - 1]!);
  return copy;
}

function agrees(value: unknown): "fast" | "zod" {
  const zod = StoredEventSchema.safeParse(value);
  const ours = fast(value);
  if (ours === UNSURE) return "zod";
  expect(zod.success, `fast parser accepted what zod rejects: ${JSON.stringify(value)}`).toBe(true);
  expect(ours).toStrictEqual(zod.data);
  return "fast";
}

describe("fast event parser", () => {
  it("parses every valid event itself, into a copy equal to zod's", () => {
    expect(frozen.length).toBeGreaterThan(40);
    for (const event of corpus) {
      expect(agrees(event), JSON.stringify(event)).toBe("fast");
      const parsed = fast(event) as Record<string, unknown>;
      expect(parsed).not.toBe(event);
      expect(parsed.data).not.toBe(event.data);
    }
  });

  it("never accepts what zod rejects, and never returns other than zod, under mutation", () => {
    let checked = 0;
    let rejected = 0;
    for (const event of corpus) {
      for (const path of paths(event)) {
        const variants = [
          mutate(event, path, (parent, key) => {
            delete parent[key];
          }),
          mutate(event, path, (parent) => {
            if (!Array.isArray(parent)) parent.unexpected = "stripped by zod";
          }),
          ...replacements.map((r) =>
            mutate(event, path, (parent, key) => {
              parent[key] = r;
            }),
          ),
        ];
        for (const variant of variants) {
          if (!StoredEventSchema.safeParse(variant).success) rejected++;
          agrees(variant);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(10_000);
    expect(rejected).toBeGreaterThan(checked / 2);
  });

  it("strips unknown keys like zod, and keeps a present optional key that is undefined", () => {
    const event = {
      ...envelope,
      type: "run.started",
      data: { input: "x", extra: 1 },
      agent: undefined,
      more: 2,
    };
    expect(agrees(event)).toBe("fast");
    expect(
      fast({ ...envelope, parentFrameId: undefined, type: "run.cancelled", data: { reason: "r" } }),
    ).toStrictEqual({
      ...envelope,
      parentFrameId: undefined,
      type: "run.cancelled",
      data: { reason: "r" },
    });
  });

  it("agrees with zod on tuples, records, literals and enums outside the event schema", () => {
    const schema = z.object({
      k: z.literal("X-ray"),
      e: z.enum(["A", "B"]),
      r: z.record(z.string(), z.number().int()),
      t: z.tuple([z.string(), z.number().nonnegative()]),
      o: z.object({ flag: z.boolean() }).optional(),
    });
    const parse = compileParser(schema);
    const good = { k: "X-ray", e: "B", r: { a: 1, b: 2 }, t: ["x", 0], o: { flag: true, extra: 1 } };
    expect(parse(good)).toStrictEqual(schema.parse(good));
    for (const bad of [
      { ...good, k: "x-ray" },
      { ...good, e: "C" },
      { ...good, r: { a: 1.5 } },
      { ...good, t: ["x", -1] },
      { ...good, t: ["x", 0, 1] },
      { ...good, o: { flag: "yes" } },
    ]) {
      expect(schema.safeParse(bad).success).toBe(false);
      expect(parse(bad)).toBe(UNSURE);
    }
  });

  it("leaves schemas it does not know to zod", () => {
    expect(compileParser(z.string().regex(/a/))("a")).toBe(UNSURE);
    expect(compileParser(z.email())("a@b.co")).toBe(UNSURE);
    expect(compileParser(z.number().default(1))(2)).toBe(UNSURE);
    expect(compileParser(z.object({ a: z.string() }).strict())({ a: "x" })).toBe(UNSURE);
    expect(compileParser(z.union([z.string(), z.number()]))("x")).toBe(UNSURE);
    expect(compileParser(z.object({ a: z.string().transform((s) => s.length) }))({ a: "x" })).toBe(UNSURE);
  });

  it("parseEvent still names the field zod names when an event is bad", () => {
    const bad = { ...envelope, type: "tool.completed", data: { callId: "c", name: "n", content: 3 } };
    expect(() => parseEvent(bad)).toThrow(/"t" seq 0 is malformed at "data.content"/);
  });
});
