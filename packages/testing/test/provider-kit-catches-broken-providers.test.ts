// The provider kit measured: each deliberately broken provider must fail it, for the reason it is
// broken; providers that differ only in what carries no meaning (how deltas are cut, key order, the
// wording around the API's own message) must pass it, and so must the shipped ones. The broken
// providers wrap the shipped OpenAI and Anthropic providers (imported through the workspace's
// source aliases: a package dependency on them would be a cycle), each changing one thing.
import { type ModelRequest, type Provider, ProviderError, type ProviderStreamPart } from "@loom/core";
import { createAnthropicProvider } from "@loom/providers-anthropic";
import { createOpenAIProvider } from "@loom/providers-openai";
import { describe, expect, it } from "vitest";
import {
  anthropicMessagesCases,
  type ConformanceProviderFactory,
  checkProvider,
  openaiChatCases,
  openaiResponsesCases,
} from "../src/index.js";

const openaiChat: ConformanceProviderFactory = ({ baseURL, modelId, stream, apiKey, timeoutMs }) =>
  createOpenAIProvider({ model: modelId, baseURL, stream, apiKey, timeoutMs });
const anthropic: ConformanceProviderFactory = ({ baseURL, modelId, stream, apiKey, timeoutMs }) =>
  createAnthropicProvider({ model: modelId, baseURL, stream, apiKey, timeoutMs });

/** A provider that changes each request before the real one sends it, and each part it yields. */
function wrap(
  factory: ConformanceProviderFactory,
  change: {
    request?: (request: ModelRequest) => ModelRequest;
    /** Called per part as it arrives (the parts stay streamed), then with `undefined` at the end. */
    parts?: () => (part: ProviderStreamPart | undefined) => ProviderStreamPart[];
    error?: (error: ProviderError) => ProviderError;
  },
): ConformanceProviderFactory {
  return (options) => {
    const real = factory(options);
    return {
      specificationVersion: real.specificationVersion,
      provider: real.provider,
      modelId: real.modelId,
      async *doStream(request, { signal }) {
        const next = change.parts?.() ?? ((part) => (part ? [part] : []));
        try {
          for await (const part of real.doStream(change.request?.(request) ?? request, { signal }))
            yield* next(part);
        } catch (error) {
          throw change.error && ProviderError.isInstance(error) ? change.error(error) : error;
        }
        yield* next(undefined);
      },
    } satisfies Provider;
  };
}

/**
 * A provider made while `fetch` changes what it sends (the SDKs take the global `fetch` when they
 * are made): the shipped provider, with its request body or headers changed on the wire.
 */
function sending(
  factory: ConformanceProviderFactory,
  change: { body?: (body: Record<string, unknown>) => void; headers?: (headers: Headers) => void },
): ConformanceProviderFactory {
  return (options) => {
    const original = globalThis.fetch;
    globalThis.fetch = (input, init) => {
      const headers = new Headers(init?.headers);
      change.headers?.(headers);
      let body = init?.body;
      if (typeof body === "string" && change.body) {
        const json = JSON.parse(body) as Record<string, unknown>;
        change.body(json);
        body = JSON.stringify(json);
      }
      return original(input, { ...init, headers, body });
    };
    try {
      return factory(options);
    } finally {
      globalThis.fetch = original;
    }
  };
}

const settings = (
  request: ModelRequest,
  change: (s: ModelRequest["settings"]) => ModelRequest["settings"],
) => ({
  ...request,
  settings: change(request.settings),
});

/** Text and reasoning deltas cut into one-character deltas, tool arguments into 3-character pieces. */
const recut =
  () =>
  (part: ProviderStreamPart | undefined): ProviderStreamPart[] => {
    if (!part) return [];
    if (part.type === "text-delta" || part.type === "reasoning-delta")
      return [...part.delta].map((delta) => ({ type: part.type, delta }));
    if (part.type !== "tool-call-delta" || part.argsDelta.length <= 3) return [part];
    const pieces = part.argsDelta.match(/[\s\S]{1,3}/g) ?? [];
    return pieces.map((argsDelta, i) =>
      i === 0 ? { ...part, argsDelta } : { type: part.type, index: part.index, argsDelta },
    );
  };

/** Every delta cut in two halves (a tool call's id and name stay on the first). */
const halves =
  () =>
  (part: ProviderStreamPart | undefined): ProviderStreamPart[] => {
    if (!part || part.type === "finish") return part ? [part] : [];
    const text = part.type === "tool-call-delta" ? part.argsDelta : part.delta;
    const cut = Math.ceil(text.length / 2);
    if (cut === 0 || cut === text.length) return [part];
    if (part.type === "tool-call-delta")
      return [
        { ...part, argsDelta: text.slice(0, cut) },
        { type: part.type, index: part.index, argsDelta: text.slice(cut) },
      ];
    return [
      { type: part.type, delta: text.slice(0, cut) },
      { type: part.type, delta: text.slice(cut) },
    ];
  };

const each =
  (change: (part: ProviderStreamPart) => ProviderStreamPart) =>
  () =>
  (part: ProviderStreamPart | undefined) =>
    part ? [change(part)] : [];

/** The same values, every object's keys in reverse order. */
function reversedKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reversedKeys) as T;
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reversedKeys(v)]),
  ) as T;
}

interface Variant {
  readonly name: string;
  readonly factory: ConformanceProviderFactory;
  readonly cases: ReturnType<typeof openaiChatCases>;
  /** Texts the differences must contain; none: the variant must pass. */
  readonly fails?: readonly (string | RegExp)[];
}

const chat = openaiChatCases();
const messages = anthropicMessagesCases();

const variants: Variant[] = [
  { name: "the shipped OpenAI provider (chat completions)", factory: openaiChat, cases: chat },
  {
    name: "the shipped OpenAI provider (responses)",
    factory: ({ baseURL, modelId, stream, apiKey, timeoutMs }) =>
      createOpenAIProvider({ api: "responses", model: modelId, baseURL, stream, apiKey, timeoutMs }),
    cases: openaiResponsesCases(),
  },
  { name: "the shipped Anthropic provider", factory: anthropic, cases: messages },
  {
    name: "cuts deltas differently (one character each, arguments in 3-character pieces)",
    factory: wrap(openaiChat, { parts: recut }),
    cases: chat,
  },
  {
    name: "cuts every delta in two halves (Anthropic)",
    factory: wrap(anthropic, { parts: halves }),
    cases: messages,
  },
  {
    name: "orders every object's keys the other way",
    factory: wrap(openaiChat, { parts: each(reversedKeys) }),
    cases: chat,
  },
  {
    name: "words errors its own way, keeping the API's message",
    factory: wrap(openaiChat, {
      error: (e) =>
        new ProviderError(
          e.code,
          `chat call failed [${e.code}] — ${e.message.replace(/ [^.]*retry[^.]*\.$/, "")}`,
          {
            retryable: e.retryable,
            retryAfterMs: e.retryAfterMs,
            status: e.status,
            requestId: e.requestId,
          },
        ),
    }),
    cases: chat,
  },
  {
    name: "never sends the API key",
    factory: sending(openaiChat, { headers: (h) => h.delete("authorization") }),
    cases: chat,
    fails: ["the API key is in no header"],
  },
  {
    name: "never sends the API key (Anthropic)",
    factory: sending(anthropic, {
      headers: (h) => {
        h.delete("x-api-key");
        h.delete("authorization");
      },
    }),
    cases: messages,
    fails: ["the API key is in no header"],
  },
  {
    name: "does not ask for usage in streams (stream_options.include_usage)",
    factory: sending(openaiChat, { body: (body) => delete body.stream_options }),
    cases: chat,
    fails: ['stream_options: expected {"include_usage":true}, got undefined'],
  },
  {
    name: "drops maxOutputTokens",
    factory: wrap(openaiChat, { request: (r) => settings(r, ({ maxOutputTokens: _, ...s }) => s) }),
    cases: chat,
    fails: ["max_completion_tokens: expected 321, got undefined", "max_completion_tokens: expected 1"],
  },
  {
    name: "drops maxOutputTokens (Anthropic)",
    factory: wrap(anthropic, { request: (r) => settings(r, ({ maxOutputTokens: _, ...s }) => s) }),
    cases: messages,
    fails: ["max_tokens: expected 321, got 4096"],
  },
  {
    name: "drops temperature",
    factory: wrap(openaiChat, { request: (r) => settings(r, ({ temperature: _, ...s }) => s) }),
    cases: chat,
    fails: ["temperature: expected 0.25, got undefined"],
  },
  {
    name: "drops providerOptions",
    factory: wrap(openaiChat, { request: (r) => settings(r, ({ providerOptions: _, ...s }) => s) }),
    cases: chat,
    fails: ['metadata: expected {"probe":"settings"}, got undefined'],
  },
  {
    name: "gives every error the wrong code",
    factory: wrap(openaiChat, {
      error: (e) =>
        new ProviderError(e.code === "unknown" ? "server_error" : "unknown", e.message, {
          retryable: e.retryable,
          retryAfterMs: e.retryAfterMs,
          status: e.status,
          requestId: e.requestId,
        }),
    }),
    cases: chat,
    fails: [
      'error code: expected "bad_request", got "unknown"',
      'error code: expected "aborted", got "unknown"',
    ],
  },
  {
    name: "loses the retry delay and the request id",
    factory: wrap(openaiChat, {
      error: (e) => new ProviderError(e.code, e.message, { retryable: e.retryable, status: e.status }),
    }),
    cases: chat,
    fails: ["error retryAfterMs: expected 1660, got undefined", "error requestId: expected"],
  },
  {
    name: "drops the API's own words from error messages",
    factory: wrap(openaiChat, {
      error: (e) =>
        new ProviderError(e.code, `The call failed (${e.code}).`, {
          retryable: e.retryable,
          retryAfterMs: e.retryAfterMs,
          status: e.status,
          requestId: e.requestId,
        }),
    }),
    cases: chat,
    fails: ["expected it to contain the API's words"],
  },
  {
    name: "puts the API key in its error messages",
    factory: (options) =>
      wrap(openaiChat, {
        error: (e) =>
          new ProviderError(e.code, `${e.message} (sent with ${options.apiKey})`, {
            retryable: e.retryable,
            retryAfterMs: e.retryAfterMs,
            status: e.status,
            requestId: e.requestId,
          }),
      })(options),
    cases: chat,
    fails: ["the API key shows in the error"],
  },
  {
    name: "ignores timeoutMs",
    factory: (options) => openaiChat({ ...options, timeoutMs: 600_000 }),
    cases: chat,
    fails: ["no answer and no error after 2300 ms (timeoutMs 300)"],
  },
  {
    name: "holds every delta until the answer ends",
    factory: wrap(openaiChat, {
      parts: () => {
        const held: ProviderStreamPart[] = [];
        return (part) => {
          if (!part) return held;
          held.push(part);
          return [];
        };
      },
    }),
    cases: chat,
    fails: ["no part came within 5000 ms, while the stream had begun"],
  },
  {
    name: "changes one text delta",
    factory: wrap(openaiChat, {
      parts: each((p) => (p.type === "text-delta" && p.delta === " unable" ? { ...p, delta: " able" } : p)),
    }),
    cases: chat,
    fails: [
      "stream run 0 differs (text: differs at character 4: expected …\"I'm unable to provide",
      /expected run 0: \{"type":"text","text":"I'm unable/,
    ],
  },
];

describe("providerConformance measured on providers broken on purpose", () => {
  for (const variant of variants) {
    const verdict = variant.fails ? "fails the kit" : "passes the kit";
    it(`${variant.name}: ${verdict}`, async () => {
      const failed = await checkProvider(variant.factory, variant.cases);
      const report = failed.map((f) => `${f.name}\n  ${f.differences.join("\n  ")}`).join("\n");
      if (!variant.fails) {
        expect(report).toBe("");
        return;
      }
      expect(failed.length, "checks failed").toBeGreaterThan(0);
      for (const reason of variant.fails) {
        if (typeof reason === "string") expect(report).toContain(reason);
        else expect(report).toMatch(reason);
      }
    });
  }
});
