import {
  AssistantMessageSchema,
  type FinishReason,
  FinishReasonSchema,
  type ModelRequest,
  type ModelSettings,
  type Provider,
  ProviderError,
  type ProviderErrorCode,
  type ProviderStreamPart,
  type ReasoningPart,
  type ToolCall,
  type Usage,
  UsageSchema,
} from "@loom/core";
import { collectParts } from "./provider-calls.js";
import {
  type ExpectedStreamRun,
  firstDifference,
  firstMissing,
  show,
  streamDifference,
  streamRuns,
  type TextDigest,
} from "./provider-differences.js";
import { loadRecording, type RecordedExchange, type Recording } from "./recording.js";
import { type ReplayCall, type ReplayServerOptions, startReplayServer } from "./replay-server.js";

/** What a provider factory gets: where the replay server listens and how the case calls the model. */
export interface ConformanceProviderOptions {
  /** The replay server's origin plus the case's base path (e.g. `http://127.0.0.1:4000/v1`). */
  readonly baseURL: string;
  readonly modelId: string;
  readonly stream: boolean;
  /** A made-up key: it must reach the server in a header, and never show in an error. */
  readonly apiKey: string;
  /** How long one request may take before the provider gives up with a retryable `network` error. */
  readonly timeoutMs: number;
}

export type ConformanceProviderFactory = (options: ConformanceProviderOptions) => Provider;

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
  /**
   * The deltas before `finish`, runs of one kind joined (see `streamRuns`): the text, reasoning and
   * arguments of each tool call, in order. How a provider cuts them into deltas is not checked.
   */
  readonly stream: readonly ExpectedStreamRun[];
  readonly requestId?: string;
}

/**
 * A typed failure. `status`, `retryAfterMs` and `requestId` are compared as they are: left out
 * means the error must not have one.
 */
export interface ExpectedError {
  readonly code: ProviderErrorCode;
  readonly status?: number;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly requestId?: string;
  /**
   * The API's own words, which the error's message must contain. How the provider words the rest
   * (Loom's providers add `PROVIDER_ERROR_ADVICE` from `@loom/core`) is not checked.
   */
  readonly apiMessage?: string;
}

/** One model call of a case: the Loom request and what must come out of it. */
export interface ExpectedCall {
  readonly request: ModelRequest;
  readonly response?: ExpectedResponse;
  readonly error?: ExpectedError;
}

/** A recording (or hand-made exchanges) and the calls that replay it, in order. */
export interface ProviderRecordingCase {
  readonly name: string;
  /** Absolute path of the recording file (see `recordingPath`), or exchanges made by hand. */
  readonly recording: string | readonly RecordedExchange[];
  /** HTTP status for a body-only JSON recording. */
  readonly status?: number;
  readonly modelId: string;
  readonly stream: boolean;
  /** Appended to the server origin for the factory's `baseURL`: "/v1" for OpenAI, "" for Anthropic. */
  readonly basePath: string;
  /** The path every request must go to, e.g. "/v1/chat/completions". */
  readonly path: string;
  /** How the replay server answers (e.g. `{ hold: true }`, for a call that must time out). */
  readonly replay?: ReplayServerOptions;
  /** The factory's `timeoutMs` for this case. Default 30000. */
  readonly timeoutMs?: number;
  /**
   * What a request body must hold for a Loom request (settings, provider options, asking for usage
   * in a stream), compared key by key with what the provider sent; the body may hold more.
   */
  readonly expectedBody?: (request: ModelRequest, stream: boolean) => Record<string, unknown>;
  /** The key of `settings.providerOptions` this API reads, e.g. "openai". */
  readonly providerOptionsKey?: string;
  /**
   * For recordings that kept the request: the body sent and the body recorded, both put through
   * this and then compared. It may only make equal what the API treats as equal (and say which).
   */
  readonly requestShape?: (body: unknown) => unknown;
  readonly calls: readonly ExpectedCall[];
}

/** One check of the kit, runnable anywhere: its differences, empty when the provider passes. */
export interface ProviderCheck {
  readonly name: string;
  run(factory: ConformanceProviderFactory): Promise<string[]>;
}

export const CONFORMANCE_API_KEY = "sk-loom-conformance-0123456789abcdef";
const DEFAULT_TIMEOUT_MS = 30_000;
const GRACE_MS = 2_000;
const FIRST_PART_LIMIT_MS = 5_000;
const CHECK_LIMIT_MS = 45_000;

const caught = <T>(promise: Promise<T>): Promise<{ value: T } | { error: unknown }> =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );

const recordingOf = (testCase: ProviderRecordingCase): Recording =>
  typeof testCase.recording === "string"
    ? loadRecording(testCase.recording, testCase.status !== undefined ? { status: testCase.status } : {})
    : { name: testCase.name, exchanges: testCase.recording };

const optionsFor = (
  testCase: ProviderRecordingCase,
  url: string,
  overrides: Partial<ConformanceProviderOptions> = {},
): ConformanceProviderOptions => ({
  baseURL: url + testCase.basePath,
  modelId: testCase.modelId,
  stream: testCase.stream,
  apiKey: CONFORMANCE_API_KEY,
  timeoutMs: testCase.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  ...overrides,
});

/**
 * Replays one case to a provider and returns every way the provider's answers and requests differ
 * from what the case expects; empty when it conforms.
 */
export async function checkProviderCase(
  factory: ConformanceProviderFactory,
  testCase: ProviderRecordingCase,
): Promise<string[]> {
  const differences: string[] = [];
  const recording = recordingOf(testCase);
  const server = await startReplayServer(recording, testCase.replay ?? {});
  try {
    const provider = factory(optionsFor(testCase, server.url));
    if (provider.specificationVersion !== "v1")
      differences.push(`specificationVersion: expected "v1", got ${show(provider.specificationVersion)}`);
    if (provider.modelId !== testCase.modelId)
      differences.push(`modelId: expected ${show(testCase.modelId)}, got ${show(provider.modelId)}`);
    for (const [i, call] of testCase.calls.entries()) {
      const where = testCase.calls.length > 1 ? `call ${i}: ` : "";
      // A provider that never gives up would hang the kit: past its own timeout, the kit aborts it.
      const controller = new AbortController();
      const limit = (testCase.timeoutMs ?? DEFAULT_TIMEOUT_MS) + GRACE_MS;
      let gaveUp = false;
      const timer = setTimeout(() => {
        gaveUp = true;
        controller.abort();
      }, limit);
      const outcome = await caught(collectParts(provider, call.request, controller.signal));
      clearTimeout(timer);
      if (gaveUp) {
        differences.push(
          `${where}no answer and no error after ${limit} ms (timeoutMs ${testCase.timeoutMs ?? DEFAULT_TIMEOUT_MS})`,
        );
        break;
      }
      if (call.error) {
        if ("value" in outcome)
          differences.push(`${where}expected a ${call.error.code} error, got an answer`);
        else differences.push(...errorDifferences(outcome.error, call.error).map((d) => where + d));
      } else if (call.response) {
        if ("error" in outcome)
          differences.push(`${where}expected an answer, got ${describeError(outcome.error)}`);
        else differences.push(...responseDifferences(outcome.value, call.response).map((d) => where + d));
      }
    }
    differences.push(...requestDifferences(testCase, server.calls, recording));
  } finally {
    await server.close();
  }
  return differences;
}

function requestDifferences(
  testCase: ProviderRecordingCase,
  sent: readonly ReplayCall[],
  recording: Recording,
): string[] {
  const differences: string[] = [];
  if (sent.length !== testCase.calls.length)
    differences.push(`requests sent: expected ${testCase.calls.length}, got ${sent.length}`);
  for (const [i, request] of sent.entries()) {
    const where = `request ${i}`;
    const call = testCase.calls[i];
    if (request.method !== "POST") differences.push(`${where}: method ${request.method}, expected POST`);
    const path = request.path.split("?")[0];
    if (path !== testCase.path)
      differences.push(`${where}: path ${show(path)}, expected ${show(testCase.path)}`);
    const body = request.body as { model?: unknown } | undefined;
    if (body?.model !== testCase.modelId)
      differences.push(`${where}: model ${show(body?.model)}, expected ${show(testCase.modelId)}`);
    if (!Object.values(request.headers).some((value) => value.includes(CONFORMANCE_API_KEY)))
      differences.push(`${where}: the API key is in no header (${Object.keys(request.headers).join(", ")})`);
    if (call && testCase.expectedBody) {
      const missing = firstMissing(testCase.expectedBody(call.request, testCase.stream), request.body);
      if (missing) differences.push(`${where}: body: ${missing}`);
    }
    const recorded = recording.exchanges[i]?.request?.body;
    if (testCase.requestShape && recorded !== undefined) {
      const unlike = firstDifference(testCase.requestShape(recorded), testCase.requestShape(request.body));
      if (unlike) differences.push(`${where} differs from the recorded request: ${unlike}`);
    }
  }
  return differences;
}

function describeError(error: unknown): string {
  if (ProviderError.isInstance(error)) return `ProviderError(${error.code}): ${error.message}`;
  return error instanceof Error ? `${error.name}: ${error.message}` : show(error);
}

/** How a thrown error differs from the expected `ProviderError`. */
export function errorDifferences(error: unknown, expected: ExpectedError): string[] {
  if (!ProviderError.isInstance(error))
    return [`expected a ProviderError(${expected.code}), got ${describeError(error)}`];
  const differences: string[] = [];
  const field = (name: string, want: unknown, got: unknown) => {
    if (!Object.is(want, got)) differences.push(`error ${name}: expected ${show(want)}, got ${show(got)}`);
  };
  field("code", expected.code, error.code);
  field("retryable", expected.retryable, error.retryable);
  field("status", expected.status, error.status);
  field("retryAfterMs", expected.retryAfterMs, error.retryAfterMs);
  field("requestId", expected.requestId, error.requestId);
  if (expected.apiMessage !== undefined && !error.message.includes(expected.apiMessage))
    differences.push(
      `error message: expected it to contain the API's words ${show(expected.apiMessage)}, got ${show(error.message)}`,
    );
  differences.push(...secretDifferences(error));
  if (differences.length > 0) differences.push(`(the error: ${describeError(error)})`);
  return differences;
}

/** An error's own fields as text; a field that cannot be written as JSON (a cycle, a BigInt) as its String. */
function fieldsText(error: Error): string {
  return Object.entries(error)
    .map(([key, value]) => {
      try {
        return `${key}=${JSON.stringify(value)}`;
      } catch {
        return `${key}=${String(value)}`;
      }
    })
    .join(" ");
}

function secretDifferences(error: ProviderError): string[] {
  const seen = new Set<unknown>();
  const texts: string[] = [];
  for (let e: unknown = error; e instanceof Error && !seen.has(e) && seen.size < 8; e = e.cause) {
    seen.add(e);
    texts.push(e.message, e.stack ?? "", fieldsText(e));
  }
  return texts.some((text) => text.includes(CONFORMANCE_API_KEY))
    ? ["the API key shows in the error (its message, stack, fields or a cause)"]
    : [];
}

/** Only the code and whether to retry: for failures the kit makes itself (abort, timeout, cut). */
function failureDifferences(error: unknown, code: ProviderErrorCode, retryable: boolean): string[] {
  if (!ProviderError.isInstance(error))
    return [
      `expected a ProviderError(${code}), got ${error === undefined ? "no error" : describeError(error)}`,
    ];
  const differences: string[] = [];
  if (error.code !== code) differences.push(`error code: expected ${show(code)}, got ${show(error.code)}`);
  if (error.retryable !== retryable)
    differences.push(`error retryable: expected ${retryable}, got ${error.retryable}`);
  differences.push(...secretDifferences(error));
  if (differences.length > 0) differences.push(`(the error: ${describeError(error)})`);
  return differences;
}

/** How a streamed answer differs from the expected one. */
export function responseDifferences(
  parts: readonly ProviderStreamPart[],
  expected: ExpectedResponse,
): string[] {
  const differences: string[] = [];
  const finishes = parts.filter((p) => p.type === "finish").length;
  const finish = parts.at(-1);
  if (finishes !== 1 || finish?.type !== "finish") {
    return [
      `expected exactly one finish part, last; got ${finishes}, the last part being ${show(finish?.type)}`,
    ];
  }
  const message = AssistantMessageSchema.safeParse(finish.message);
  const usage = UsageSchema.safeParse(finish.usage);
  const finishReason = FinishReasonSchema.safeParse(finish.finishReason);
  if (!message.success)
    differences.push(`finish message is not an AssistantMessage: ${message.error.message}`);
  if (!usage.success) differences.push(`finish usage is not a Usage: ${usage.error.message}`);
  if (!finishReason.success)
    differences.push(`finish finishReason is not a FinishReason: ${finishReason.error.message}`);
  const compare = (what: string, want: unknown, got: unknown) => {
    const unlike = firstDifference(want, got);
    if (unlike) differences.push(`${what}: ${unlike}`);
  };
  if (usage.success) compare("usage", expected.usage, usage.data);
  if (finishReason.success) compare("finishReason", expected.finishReason, finishReason.data);
  if (expected.requestId !== undefined) compare("requestId", expected.requestId, finish.requestId);
  if (message.success) compare("message", { role: "assistant", ...expected.message }, message.data);

  const deltas = parts.slice(0, -1);
  const runs = streamRuns(deltas);
  const unlike = streamDifference(expected.stream, runs);
  if (unlike) differences.push(unlike);

  // Whatever the split, the first delta of a call names it, and the deltas add up to the message.
  const named = new Set<number>();
  for (const part of deltas) {
    if (part.type !== "tool-call-delta" || named.has(part.index)) continue;
    named.add(part.index);
    if (typeof part.callId !== "string" || typeof part.name !== "string")
      differences.push(
        `the first delta of tool call ${part.index} must carry its callId and name: ${show(part)}`,
      );
  }
  if (message.success) {
    const m = message.data;
    const joined = (type: "text" | "reasoning") =>
      runs.flatMap((r) => (r.type === type ? [r.text] : [])).join("");
    if (joined("text") !== m.content)
      differences.push("the text deltas do not add up to the message's content");
    if (joined("reasoning") !== (m.reasoning ?? []).map((r) => r.text).join(""))
      differences.push("the reasoning deltas do not add up to the message's reasoning");
    const calls: { id: string | undefined; name: string | undefined; arguments: string }[] = [];
    for (const run of runs) {
      if (run.type !== "tool-call") continue;
      const call = calls[run.index];
      if (call) call.arguments += run.arguments;
      else calls[run.index] = { id: run.callId, name: run.name, arguments: run.arguments };
    }
    // A call's providerMetadata comes with the whole call, not in its deltas.
    const proposed = (m.toolCalls ?? []).map(({ id, name, arguments: args }) => ({
      id,
      name,
      arguments: args,
    }));
    const adds = firstDifference(proposed, calls);
    if (adds) differences.push(`the tool-call deltas do not add up to the message's toolCalls: ${adds}`);
  }
  return differences;
}

/** The request a settings check sends: the case's first request with every setting Loom passes on. */
function withSettings(request: ModelRequest, providerOptionsKey: string): ModelRequest {
  const settings: ModelSettings = {
    ...request.settings,
    maxOutputTokens: 321,
    temperature: 0.25,
    providerOptions: { [providerOptionsKey]: { user: "loom-conformance", metadata: { probe: "settings" } } },
  };
  return { ...request, settings };
}

/**
 * Every check the kit runs for these cases: each case, then sending every setting (streamed and
 * not), an abort before the answer and in the middle of a stream, a connection cut in the middle
 * of a stream, a server that never answers (the factory's `timeoutMs`), and an unreachable server.
 */
export function providerChecks(cases: readonly ProviderRecordingCase[]): ProviderCheck[] {
  const checks: ProviderCheck[] = cases.map((testCase) => ({
    name: `replays ${testCase.name}`,
    run: (factory) => checkProviderCase(factory, testCase),
  }));
  const first = cases.find((c) => c.calls[0] !== undefined);
  if (!first) return checks;
  const firstRequest = first.calls[0]!.request;

  for (const stream of [true, false]) {
    const probe = cases.find(
      (c) =>
        c.stream === stream &&
        c.calls.length === 1 &&
        c.calls[0]?.response !== undefined &&
        c.expectedBody &&
        c.providerOptionsKey,
    );
    if (!probe) continue;
    checks.push({
      name: `sends maxOutputTokens, temperature and providerOptions (${probe.name})`,
      run: (factory) =>
        checkProviderCase(factory, {
          ...probe,
          name: `${probe.name} with settings`,
          requestShape: undefined,
          calls: [
            { ...probe.calls[0]!, request: withSettings(probe.calls[0]!.request, probe.providerOptionsKey!) },
          ],
        }),
    });
  }

  checks.push({
    name: "turns an abort during the call into ProviderError(aborted)",
    run: async (factory) => {
      const server = await startReplayServer([], { hold: true });
      try {
        const controller = new AbortController();
        const consumed = caught(
          collectParts(factory(optionsFor(first, server.url)), firstRequest, controller.signal),
        );
        await server.waitForCalls(1);
        controller.abort();
        const outcome = await consumed;
        return failureDifferences("error" in outcome ? outcome.error : undefined, "aborted", false);
      } finally {
        await server.close();
      }
    },
  });

  const streamed = cases.find(
    (c) => c.stream && c.calls[0]?.response !== undefined && typeof c.recording === "string",
  );
  if (streamed) {
    const request = streamed.calls[0]!.request;
    checks.push({
      name: `turns an abort in the middle of a stream into ProviderError(aborted) (${streamed.name})`,
      run: async (factory) => {
        const server = await startReplayServer(recordingOf(streamed), { stallAfterEvents: 4 });
        try {
          const controller = new AbortController();
          const provider = factory(optionsFor(streamed, server.url));
          const parts: ProviderStreamPart[] = [];
          // A provider that holds every delta until the answer ends would wait forever here.
          const stalled = setTimeout(() => controller.abort(), FIRST_PART_LIMIT_MS);
          const outcome = await caught(
            (async () => {
              for await (const part of provider.doStream(request, { signal: controller.signal })) {
                // Aborted while the provider waits for the stream's next event, as a user cancels.
                if (parts.push(part) === 1) setTimeout(() => controller.abort(), 50);
              }
            })(),
          );
          clearTimeout(stalled);
          const differences: string[] = [];
          if (parts.length === 0)
            differences.push(`no part came within ${FIRST_PART_LIMIT_MS} ms, while the stream had begun`);
          if (parts.some((p) => p.type === "finish")) differences.push("a finish part came after the abort");
          differences.push(
            ...failureDifferences("error" in outcome ? outcome.error : undefined, "aborted", false),
          );
          return differences;
        } finally {
          await server.close();
        }
      },
    });
    checks.push({
      name: `turns a connection cut in the middle of a stream into a retryable ProviderError(network) (${streamed.name})`,
      run: async (factory) => {
        const server = await startReplayServer(recordingOf(streamed), { cutAfterEvents: 4 });
        try {
          const outcome = await caught(collectParts(factory(optionsFor(streamed, server.url)), request));
          return failureDifferences("error" in outcome ? outcome.error : undefined, "network", true);
        } finally {
          await server.close();
        }
      },
    });
  }

  checks.push({
    name: "gives up after timeoutMs with a retryable ProviderError(network)",
    run: (factory) =>
      checkProviderCase(factory, {
        ...first,
        name: `${first.name}, never answered`,
        recording: [],
        replay: { hold: true },
        timeoutMs: 300,
        requestShape: undefined,
        calls: [{ request: firstRequest, error: { code: "network", retryable: true } }],
      }),
  });

  checks.push({
    name: "turns an unreachable server into a retryable ProviderError(network)",
    run: async (factory) => {
      const server = await startReplayServer([]);
      const url = server.url;
      await server.close();
      const outcome = await caught(collectParts(factory(optionsFor(first, url)), firstRequest));
      return failureDifferences("error" in outcome ? outcome.error : undefined, "network", true);
    },
  });
  return checks;
}

/** Runs every check of the kit on a provider; the checks it failed, each with its differences. */
export async function checkProvider(
  factory: ConformanceProviderFactory,
  cases: readonly ProviderRecordingCase[],
): Promise<{ readonly name: string; readonly differences: readonly string[] }[]> {
  const failed: { name: string; differences: string[] }[] = [];
  for (const check of providerChecks(cases)) {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<string[]>((resolve) => {
      timer = setTimeout(
        () => resolve([`the check did not end within ${CHECK_LIMIT_MS} ms`]),
        CHECK_LIMIT_MS,
      );
    });
    const differences = await Promise.race([
      check.run(factory).catch((error: unknown) => [`the check threw: ${describeError(error)}`]),
      limit,
    ]);
    clearTimeout(timer);
    if (differences.length > 0) failed.push({ name: check.name, differences });
  }
  return failed;
}
