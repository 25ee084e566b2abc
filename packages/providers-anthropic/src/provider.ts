import Anthropic from "@anthropic-ai/sdk";
import { type ModelRequest, type Provider, ProviderError, type ProviderStreamPart } from "@loom/core";
import { toProviderError } from "./errors.js";
import { type AnthropicProviderOptions, type ResolvedAnthropicOptions, resolveOptions } from "./options.js";
import { messagesBody } from "./request.js";
import { type MessagesOutcome, messageParts, messagesFinishPart, messagesStreamParts } from "./response.js";

/**
 * A Loom `Provider` over the official `@anthropic-ai/sdk` Messages API, streaming or not. The
 * SDK's own retries are off: the executor retries, from `retryable` and `retryAfterMs` on the
 * `ProviderError` this throws.
 */
export class AnthropicProvider implements Provider {
  readonly specificationVersion = "v1" as const;
  readonly provider = "anthropic";
  readonly nativeStructuredOutput = true;
  readonly modelId: string;
  private readonly options: ResolvedAnthropicOptions;
  private readonly client: Anthropic;

  constructor(options: AnthropicProviderOptions) {
    this.options = resolveOptions(options);
    this.modelId = this.options.model;
    this.client = new Anthropic({
      apiKey: this.options.apiKey,
      maxRetries: 0,
      ...(this.options.baseURL !== undefined ? { baseURL: this.options.baseURL } : {}),
      ...(this.options.headers !== undefined ? { defaultHeaders: this.options.headers } : {}),
      ...(this.options.timeoutMs !== undefined ? { timeout: this.options.timeoutMs } : {}),
      logLevel: "off",
    });
  }

  async *doStream(
    request: ModelRequest,
    { signal }: { signal: AbortSignal },
  ): AsyncIterable<ProviderStreamPart> {
    try {
      yield* this.messages(request, signal);
    } catch (error) {
      throw toProviderError(error, signal, [this.options.apiKey]);
    }
    // The SDK may end an aborted stream quietly; the caller must see that it was aborted.
    if (signal.aborted) throw toProviderError(signal.reason, signal, [this.options.apiKey]);
  }

  private async *messages(request: ModelRequest, signal: AbortSignal): AsyncGenerator<ProviderStreamPart> {
    const warnings: string[] = [];
    const body = messagesBody(request, this.options, warnings);
    const headers = request.settings.headers;
    const requestOptions = {
      signal,
      ...(headers && Object.keys(headers).length > 0 ? { headers: { ...headers } } : {}),
    };
    let outcome: MessagesOutcome | undefined;
    if (this.options.stream) {
      const { data, request_id } = await this.client.messages
        .create({ ...body, stream: true }, requestOptions)
        .withResponse();
      outcome = yield* messagesStreamParts(data, request_id ?? undefined);
    } else {
      const { data, request_id } = await this.client.messages
        .create({ ...body, stream: false }, requestOptions)
        .withResponse();
      outcome = yield* messageParts(data, request_id ?? undefined);
    }
    if (signal.aborted) return;
    if (!outcome) {
      throw new ProviderError(
        "invalid_response",
        "Anthropic stream ended without message_stop: the answer is incomplete.",
        { provider: this.provider, retryable: true },
      );
    }
    const finish = messagesFinishPart(outcome, warnings);
    // A refusal is a stop reason here, not streamed text: it gets a part of its own before the end.
    if (finish.type === "finish" && finish.message.refusal !== undefined)
      yield { type: "refusal-delta", delta: finish.message.refusal };
    yield finish;
  }
}

/** Creates an Anthropic provider. A missing API key is a `ConfigError` here, not at the first call. */
export function createAnthropicProvider(options: AnthropicProviderOptions): AnthropicProvider {
  return new AnthropicProvider(options);
}
