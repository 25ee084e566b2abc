import { createHash } from "node:crypto";
import {
  AssistantMessageSchema,
  type FinishReason,
  FinishReasonSchema,
  type ModelRequest,
  type Provider,
  ProviderError,
  type ProviderErrorCode,
  type ProviderStreamPart,
  type ReasoningPart,
  type ToolCall,
  type Usage,
  UsageSchema,
} from "@loom/core";
import { describe, expect, it } from "vitest";
import { collectParts } from "./provider-calls.js";
import { loadRecording } from "./recording.js";
import { startReplayServer } from "./replay-server.js";

/** What a provider factory gets: where the replay server listens and how the case calls the model. */
export interface ConformanceProviderOptions {
  /** The replay server's origin plus the case's base path (e.g. `http://127.0.0.1:4000/v1`). */
  readonly baseURL: string;
  readonly modelId: string;
  readonly stream: boolean;
  /** A made-up key; the suite checks that it never shows in an error. */
  readonly apiKey: string;
}

export type ConformanceProviderFactory = (options: ConformanceProviderOptions) => Provider;

/** Text compared by its hash when it is too long to spell out in a case. */
export interface TextDigest {
  readonly length: number;
  readonly sha256: string;
  readonly startsWith: string;
}

export interface ExpectedMessage {
  readonly content: string | TextDigest;
  readonly toolCalls?: readonly ToolCall[];
  readonly reasoning?: readonly (Omit<ReasoningPart, "text"> & { readonly text: string | TextDigest })[];
  readonly refusal?: string;
}

export interface ExpectedResponse {
  readonly message: ExpectedMessage;
  readonly usage: Usage;
  readonly finishReason: FinishReason;
  /** How many deltas of each kind the provider yields before `finish`. */
  readonly deltas: { readonly text: number; readonly reasoning: number; readonly toolCall: number };
  /** SHA-256 of `JSON.stringify` of every part before `finish`: the exact delta sequence. */
  readonly partsSha256?: string;
  readonly requestId?: string;
}

export interface ExpectedError {
  readonly code: ProviderErrorCode;
  readonly status?: number;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly requestId?: string;
  readonly messageIncludes?: string;
}

/** One model call of a case: the Loom request and what must come out of it. */
export interface ExpectedCall {
  readonly request: ModelRequest;
  readonly response?: ExpectedResponse;
  readonly error?: ExpectedError;
}

/** A recording and the calls that replay it, in order. */
export interface ProviderRecordingCase {
  readonly name: string;
  /** Absolute path of the recording file (see `recordingPath`). */
  readonly recording: string;
  /** HTTP status for a body-only JSON recording. */
  readonly status?: number;
  readonly modelId: string;
  readonly stream: boolean;
  /** Appended to the server origin for the factory's `baseURL`: "/v1" for OpenAI, "" for Anthropic. */
  readonly basePath: string;
  /** The path every request must go to, e.g. "/v1/chat/completions". */
  readonly path: string;
  /**
   * The parts of a request body that must match the recorded request (model, messages, tools),
   * for recordings that kept the request. Applied to both bodies before comparing.
   */
  readonly requestShape?: (body: unknown) => unknown;
  readonly calls: readonly ExpectedCall[];
}

const API_KEY = "sk-loom-conformance-0123456789abcdef";

/**
 * Registers a vitest suite that proves a provider on recorded API responses: for each case, the
 * real recording is replayed over HTTP to the provider (through its SDK), and the suite checks the
 * exact parts, the final message, usage, finish reason or typed error, the request sent, and that
 * the API key never shows in an error. Also checks cancellation and connection failures.
 */
export function providerConformance(
  name: string,
  factory: ConformanceProviderFactory,
  recordings: readonly ProviderRecordingCase[],
): void {
  describe(`provider conformance: ${name}`, () => {
    for (const testCase of recordings) {
      it(`replays ${testCase.name}`, async () => {
        await runCase(factory, testCase);
      });
    }

    const first = recordings[0];
    if (!first) return;
    const options = (url: string): ConformanceProviderOptions => ({
      baseURL: url + first.basePath,
      modelId: first.modelId,
      stream: first.stream,
      apiKey: API_KEY,
    });

    it("turns an abort during the call into ProviderError(aborted)", async () => {
      const server = await startReplayServer([], { hold: true });
      try {
        const controller = new AbortController();
        const provider = factory(options(server.url));
        const consumed = collectParts(provider, first.calls[0]!.request, controller.signal);
        await server.waitForCalls(1);
        controller.abort();
        const error = await consumed.then(
          () => undefined,
          (e: unknown) => e,
        );
        expectProviderError(error, { code: "aborted", retryable: false });
      } finally {
        await server.close();
      }
    });

    const streamed = recordings.find((c) => c.stream && c.calls[0]?.response !== undefined);
    if (streamed) {
      const streamedOptions = (url: string): ConformanceProviderOptions => ({
        baseURL: url + streamed.basePath,
        modelId: streamed.modelId,
        stream: true,
        apiKey: API_KEY,
      });
      const request = streamed.calls[0]!.request;

      it(`turns an abort in the middle of a stream into ProviderError(aborted) (${streamed.name})`, async () => {
        const server = await startReplayServer(loadRecording(streamed.recording), { stallAfterEvents: 4 });
        try {
          const controller = new AbortController();
          const provider = factory(streamedOptions(server.url));
          const parts: ProviderStreamPart[] = [];
          const error = await (async () => {
            for await (const part of provider.doStream(request, { signal: controller.signal })) {
              parts.push(part);
              controller.abort();
            }
          })().then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(parts.length, "parts before the abort").toBeGreaterThan(0);
          expect(parts.some((p) => p.type === "finish")).toBe(false);
          expectProviderError(error, { code: "aborted", retryable: false });
        } finally {
          await server.close();
        }
      });

      it(`turns a connection cut in the middle of a stream into a retryable ProviderError(network) (${streamed.name})`, async () => {
        const server = await startReplayServer(loadRecording(streamed.recording), { cutAfterEvents: 4 });
        try {
          const provider = factory(streamedOptions(server.url));
          const error = await collectParts(provider, request, new AbortController().signal).then(
            () => undefined,
            (e: unknown) => e,
          );
          expectProviderError(error, { code: "network", retryable: true });
        } finally {
          await server.close();
        }
      });
    }

    it("turns an unreachable server into a retryable ProviderError(network)", async () => {
      const server = await startReplayServer([]);
      const url = server.url;
      await server.close();
      const provider = factory(options(url));
      const error = await collectParts(provider, first.calls[0]!.request, new AbortController().signal).then(
        () => undefined,
        (e: unknown) => e,
      );
      expectProviderError(error, { code: "network", retryable: true });
    });
  });
}

async function runCase(factory: ConformanceProviderFactory, testCase: ProviderRecordingCase): Promise<void> {
  const recording = loadRecording(
    testCase.recording,
    testCase.status !== undefined ? { status: testCase.status } : {},
  );
  const server = await startReplayServer(recording);
  try {
    const provider = factory({
      baseURL: server.url + testCase.basePath,
      modelId: testCase.modelId,
      stream: testCase.stream,
      apiKey: API_KEY,
    });
    expect(provider.specificationVersion).toBe("v1");
    expect(provider.modelId).toBe(testCase.modelId);
    for (const [i, call] of testCase.calls.entries()) {
      const outcome = await collectParts(provider, call.request, new AbortController().signal).then(
        (parts) => ({ parts }),
        (error: unknown) => ({ error }),
      );
      if (call.error) {
        if (!("error" in outcome))
          throw new Error(`call ${i}: expected a ${call.error.code} error, got an answer`);
        expectProviderError(outcome.error, call.error);
      } else if (call.response) {
        if ("error" in outcome) throw outcome.error;
        expectResponse(outcome.parts, call.response);
      }
    }
    expect(server.calls.length, "requests sent").toBe(testCase.calls.length);
    for (const [i, sent] of server.calls.entries()) {
      expect(sent.method).toBe("POST");
      expect(sent.path.split("?")[0], `path of request ${i}`).toBe(testCase.path);
      expect((sent.body as { model?: unknown }).model, `model of request ${i}`).toBe(testCase.modelId);
      const recorded = recording.exchanges[i]?.request?.body;
      if (testCase.requestShape && recorded !== undefined) {
        expect(testCase.requestShape(sent.body), `shape of request ${i}`).toEqual(
          testCase.requestShape(recorded),
        );
      }
    }
  } finally {
    await server.close();
  }
}

function expectProviderError(error: unknown, expected: ExpectedError): void {
  expect(ProviderError.isInstance(error), `expected a ProviderError, got ${String(error)}`).toBe(true);
  const e = error as ProviderError;
  expect(e.code).toBe(expected.code);
  expect(e.retryable).toBe(expected.retryable);
  if (expected.status !== undefined) expect(e.status).toBe(expected.status);
  if (expected.retryAfterMs !== undefined) expect(e.retryAfterMs).toBe(expected.retryAfterMs);
  if (expected.requestId !== undefined) expect(e.requestId).toBe(expected.requestId);
  if (expected.messageIncludes !== undefined) expect(e.message).toContain(expected.messageIncludes);
  expect(e.message).not.toContain(API_KEY);
  expect(JSON.stringify({ ...e, message: e.message })).not.toContain(API_KEY);
}

function expectResponse(parts: readonly ProviderStreamPart[], expected: ExpectedResponse): void {
  const finishes = parts.filter((p) => p.type === "finish");
  expect(finishes.length, "exactly one finish part").toBe(1);
  const finish = parts.at(-1);
  if (finish?.type !== "finish") throw new Error("the last part is not the finish part");
  const message = AssistantMessageSchema.parse(finish.message);
  expect(UsageSchema.parse(finish.usage)).toEqual(expected.usage);
  expect(FinishReasonSchema.parse(finish.finishReason)).toEqual(expected.finishReason);
  if (expected.requestId !== undefined) expect(finish.requestId).toBe(expected.requestId);

  const text = parts.flatMap((p) => (p.type === "text-delta" ? [p.delta] : []));
  const reasoning = parts.flatMap((p) => (p.type === "reasoning-delta" ? [p.delta] : []));
  const calls = parts.flatMap((p) => (p.type === "tool-call-delta" ? [p] : []));
  expect({ text: text.length, reasoning: reasoning.length, toolCall: calls.length }, "delta counts").toEqual(
    expected.deltas,
  );
  if (expected.partsSha256 !== undefined) {
    const sequence = JSON.stringify(parts.slice(0, -1));
    expect(createHash("sha256").update(sequence).digest("hex"), "the exact sequence of deltas").toBe(
      expected.partsSha256,
    );
  }
  expect(text.join(""), "text deltas add up to the message").toBe(message.content);
  expect(reasoning.join(""), "reasoning deltas add up to the reasoning").toBe(
    (message.reasoning ?? []).map((r) => r.text).join(""),
  );

  // Tool-call deltas, grouped by index, add up to the message's tool calls; the first names the call.
  const assembled: ToolCall[] = [];
  for (const delta of calls) {
    const current = assembled[delta.index];
    if (!current) {
      expect(delta.callId, "the first delta of a call carries its id").toBeTypeOf("string");
      expect(delta.name, "the first delta of a call carries its name").toBeTypeOf("string");
      assembled[delta.index] = { id: delta.callId!, name: delta.name!, arguments: delta.argsDelta };
    } else current.arguments += delta.argsDelta;
  }
  expect(assembled).toEqual(message.toolCalls ?? []);

  expectText(message.content, expected.message.content, "content");
  expect(message.toolCalls).toEqual(expected.message.toolCalls);
  expect(message.refusal).toEqual(expected.message.refusal);
  expect(message.reasoning?.length).toEqual(expected.message.reasoning?.length);
  for (const [i, part] of (expected.message.reasoning ?? []).entries()) {
    const actual = message.reasoning![i]!;
    const { text, ...rest } = part;
    const { text: actualText, ...actualRest } = actual;
    expect(actualRest).toEqual(rest);
    expectText(actualText, text, `reasoning ${i}`);
  }
}

function expectText(actual: string, expected: string | TextDigest, what: string): void {
  if (typeof expected === "string") {
    expect(actual, what).toBe(expected);
    return;
  }
  expect(actual.length, `${what} length`).toBe(expected.length);
  expect(actual.startsWith(expected.startsWith), `${what} start`).toBe(true);
  expect(createHash("sha256").update(actual).digest("hex"), `${what} sha256`).toBe(expected.sha256);
}

/** A digest of a long text, for an `ExpectedMessage`. */
export function textDigest(text: string, prefixLength = 40): TextDigest {
  return {
    length: text.length,
    sha256: createHash("sha256").update(text).digest("hex"),
    startsWith: text.slice(0, prefixLength),
  };
}
