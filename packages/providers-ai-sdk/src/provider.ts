import type {
  LanguageModelV2,
  LanguageModelV3,
  LanguageModelV3GenerateResult,
  LanguageModelV4,
  LanguageModelV4GenerateResult,
} from "@ai-sdk/provider";
import {
  ConfigError,
  type ModelRequest,
  type Provider,
  ProviderError,
  type ProviderStreamPart,
} from "@loom/core";
import { toProviderError } from "./errors.js";
import {
  type CommonCallOptions,
  callOptions,
  type PartWriters,
  writersV2,
  writersV3,
  writersV4,
} from "./request.js";
import { type AnyStreamPart, loomParts, type StreamEnd } from "./response.js";

/** An AI SDK language model of any specification version the adapter speaks. */
export type AiSdkLanguageModel = LanguageModelV2 | LanguageModelV3 | LanguageModelV4;

export interface AiSdkProviderOptions {
  /**
   * Secrets to remove from error messages and causes besides key- and credential-shaped text:
   * the API key the AI SDK provider was created with, when it is not shaped like `sk-...`.
   */
  readonly secrets?: readonly string[];
  /**
   * `false` calls the model's `doGenerate` (one whole answer) instead of `doStream`, for servers
   * that do not stream; the answer comes out as the same parts. Default: `true`.
   */
  readonly stream?: boolean;
  /**
   * Fails the call with a retryable `ProviderError("network")` when the model sends nothing for
   * this long: no response, or no part of a started stream. The AI SDK's models have no timeout
   * of their own. Default: none.
   */
  readonly timeoutMs?: number;
  /**
   * Whether the model honours `responseFormat` with a JSON schema (structured output). When
   * false, an agent with an `output` schema also asks for JSON in its system prompt. Default: true
   * for the AI SDK's OpenAI, Azure, Anthropic, Google and Vertex models, false for others.
   */
  readonly nativeStructuredOutput?: boolean;
}

const NATIVE_STRUCTURED_OUTPUT: ReadonlySet<string> = new Set([
  "openai",
  "azure",
  "anthropic",
  "google",
  "vertex",
]);

type StreamResult = {
  stream: ReadableStream<AnyStreamPart>;
  response?: { headers?: Record<string, string | undefined> };
};
type GenerateResult =
  | Awaited<ReturnType<LanguageModelV2["doGenerate"]>>
  | LanguageModelV3GenerateResult
  | LanguageModelV4GenerateResult;

/** The call options with attachments written as the model's specification version takes them. */
type OptionsFor = <F, T>(writers: PartWriters<F, T>) => CommonCallOptions<F, T>;

const SPECIFICATION_VERSIONS: ReadonlySet<unknown> = new Set(["v2", "v3", "v4"]);

/**
 * A Loom `Provider` over an AI SDK language model (`@ai-sdk/openai`, `@ai-sdk/anthropic`,
 * `@ai-sdk/openai-compatible`, any other). It calls the model's `doStream` once per Loom call and
 * never retries: the executor does, from the `retryable` and `retryAfterMs` of the
 * `ProviderError` this throws (the AI SDK's retries live in `generateText`/`streamText`, which
 * the adapter does not use).
 */
export class AiSdkProvider implements Provider {
  readonly specificationVersion = "v1" as const;
  readonly provider: string;
  readonly modelId: string;
  readonly nativeStructuredOutput: boolean;
  readonly model: AiSdkLanguageModel;
  private readonly secrets: readonly string[];
  private readonly stream: boolean;
  private readonly timeoutMs: number | undefined;
  /** The key of the model's own options in `providerOptions` ("openai" for "openai.chat"). */
  private readonly providerKey: string;

  constructor(model: AiSdkLanguageModel, options: AiSdkProviderOptions = {}) {
    const version = (model as { specificationVersion?: unknown } | undefined)?.specificationVersion;
    if (!SPECIFICATION_VERSIONS.has(version)) {
      throw new ConfigError(
        `fromAiSdk: the model implements AI SDK specification ${JSON.stringify(version)}; the adapter speaks v2, v3 and v4 (LanguageModelV2/V3/V4 from @ai-sdk/provider). Pass a language model object such as openai("gpt-5") or anthropic("claude-sonnet-4-6"), not a provider or a model id string.`,
      );
    }
    this.model = model;
    this.provider = model.provider;
    this.modelId = model.modelId;
    this.providerKey = model.provider.split(".")[0] ?? model.provider;
    this.secrets = options.secrets ?? [];
    this.stream = options.stream ?? true;
    this.timeoutMs = options.timeoutMs;
    this.nativeStructuredOutput =
      options.nativeStructuredOutput ?? NATIVE_STRUCTURED_OUTPUT.has(this.providerKey);
  }

  async *doStream(
    request: ModelRequest,
    { signal }: { signal: AbortSignal },
  ): AsyncIterable<ProviderStreamPart> {
    const idle = new IdleTimer(this.timeoutMs, signal);
    const fail = (error: unknown, inStream = false, requestId?: string) =>
      idle.timedOut
        ? new ProviderError(
            "network",
            `AI SDK ${this.provider} sent nothing for ${this.timeoutMs} ms (timeoutMs). Check the network and baseURL; the executor retries.`,
            { provider: this.provider, retryable: true },
          )
        : toProviderError(error, signal, {
            provider: this.provider,
            secrets: this.secrets,
            inStream,
            requestId,
          });
    let end: StreamEnd;
    let requestId: string | undefined;
    const warnings: string[] = [];
    // Once doStream has answered, the HTTP status was a success: a later error came in the stream.
    let answered = false;
    try {
      const options: OptionsFor = (writers) =>
        callOptions(
          request,
          this.providerKey,
          idle.signal,
          this.model.specificationVersion,
          warnings,
          writers,
        );
      const { stream, response } = this.stream
        ? await this.startStream(options)
        : generatedStream(await this.generate(options));
      const headers = response?.headers ?? {};
      requestId = headers["request-id"] ?? headers["x-request-id"];
      answered = true;
      idle.touch();
      end = yield* loomParts(
        stream.pipeThrough(
          new TransformStream<AnyStreamPart, AnyStreamPart>({
            transform(part, controller) {
              idle.touch();
              controller.enqueue(part);
            },
          }),
        ),
        requestId,
        warnings,
      );
    } catch (error) {
      throw fail(error, answered && this.stream, requestId);
    } finally {
      idle.stop();
    }
    // A stream may end quietly on abort; the caller must see that it was aborted.
    if (signal.aborted || idle.timedOut) throw fail(signal.reason);
    if (end?.kind === "error") throw fail(end.error, true, requestId);
    if (end === undefined || end.interrupted) {
      throw new ProviderError(
        "invalid_response",
        `AI SDK ${this.provider} stream ended without its final event: the answer is incomplete.`,
        { provider: this.provider, retryable: true, requestId },
      );
    }
    // A refusal is a finish reason in the AI SDK: it gets a part of its own before the end.
    if (end.part.type === "finish" && end.part.message.refusal !== undefined)
      yield { type: "refusal-delta", delta: end.part.message.refusal };
    yield end.part;
  }

  /** One `doStream` call, by the model's specification version. */
  private async startStream(options: OptionsFor): Promise<StreamResult> {
    const model = this.model;
    switch (model.specificationVersion) {
      case "v4":
        return model.doStream(options(writersV4(this.provider)));
      case "v3":
        return model.doStream(options(writersV3(this.provider)));
      case "v2":
        return model.doStream(options(writersV2(this.provider)));
    }
  }

  /** One `doGenerate` call, by the model's specification version. */
  private async generate(options: OptionsFor): Promise<GenerateResult> {
    const model = this.model;
    switch (model.specificationVersion) {
      case "v4":
        return model.doGenerate(options(writersV4(this.provider)));
      case "v3":
        return model.doGenerate(options(writersV3(this.provider)));
      case "v2":
        return model.doGenerate(options(writersV2(this.provider)));
    }
  }
}

/** A whole answer as the stream parts the model would have sent, so both paths map the same way. */
function generatedStream(result: GenerateResult): StreamResult {
  const parts: AnyStreamPart[] = [{ type: "stream-start", warnings: result.warnings } as AnyStreamPart];
  for (const [i, content] of result.content.entries()) {
    const id = String(i);
    const providerMetadata = "providerMetadata" in content ? content.providerMetadata : undefined;
    const metadata = providerMetadata !== undefined ? { providerMetadata } : {};
    if (content.type === "text") {
      parts.push(
        { type: "text-start", id, ...metadata },
        { type: "text-delta", id, delta: content.text, ...metadata },
      );
    } else if (content.type === "reasoning") {
      parts.push(
        { type: "reasoning-start", id, ...metadata },
        { type: "reasoning-delta", id, delta: content.text },
      );
    } else parts.push(content as AnyStreamPart);
  }
  parts.push({
    type: "finish",
    usage: result.usage,
    finishReason: result.finishReason,
    ...(result.providerMetadata !== undefined ? { providerMetadata: result.providerMetadata } : {}),
  } as AnyStreamPart);
  return {
    stream: new ReadableStream({
      start(controller) {
        for (const part of parts) controller.enqueue(part);
        controller.close();
      },
    }),
    ...(result.response?.headers !== undefined ? { response: { headers: result.response.headers } } : {}),
  };
}

/** Wraps an AI SDK language model as a Loom `Provider`. */
export function fromAiSdk(model: AiSdkLanguageModel, options: AiSdkProviderOptions = {}): AiSdkProvider {
  return new AiSdkProvider(model, options);
}

/** Aborts a call that sends nothing for `timeoutMs`, or that its caller aborts. */
class IdleTimer {
  readonly signal: AbortSignal;
  timedOut = false;
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onAbort: () => void;

  constructor(
    private readonly timeoutMs: number | undefined,
    private readonly caller: AbortSignal,
  ) {
    this.signal = this.controller.signal;
    this.onAbort = () => this.controller.abort(caller.reason);
    if (caller.aborted) this.onAbort();
    else caller.addEventListener("abort", this.onAbort, { once: true });
    this.touch();
  }

  touch(): void {
    if (this.timeoutMs === undefined) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort(new Error(`No answer within ${this.timeoutMs} ms.`));
    }, this.timeoutMs);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.caller.removeEventListener("abort", this.onAbort);
  }
}
