import { type ModelRequest, type Provider, ProviderError, type ProviderStreamPart } from "@loom/core";
import OpenAI, { APIError } from "openai";
import { type ChatOutcome, chatBody, chatCompletionParts, chatFinishPart, chatStreamParts } from "./chat.js";
import { toProviderError } from "./errors.js";
import { type OpenAIProviderOptions, type ResolvedOpenAIOptions, resolveOptions } from "./options.js";
import { responseParts, responsesBody, responsesFinishPart, responsesStreamParts } from "./responses.js";

/**
 * A Loom `Provider` over the official `openai` SDK: Chat Completions or the Responses API,
 * streaming or not. The SDK's own retries are off: the executor retries, from `retryable` and
 * `retryAfterMs` on the `ProviderError` this throws.
 */
export class OpenAIProvider implements Provider {
  readonly specificationVersion = "v1" as const;
  readonly provider = "openai";
  readonly nativeStructuredOutput = true;
  readonly modelId: string;
  readonly api: "chat" | "responses";
  private readonly options: ResolvedOpenAIOptions;
  private readonly client: OpenAI;
  /** What no error may show: the API key, when there is one. */
  private readonly secrets: readonly string[];

  constructor(options: OpenAIProviderOptions) {
    this.options = resolveOptions(options);
    this.modelId = this.options.model;
    this.api = this.options.api;
    this.secrets = this.options.apiKey !== undefined ? [this.options.apiKey] : [];
    this.client = new OpenAI({
      // The SDK insists on a key; without one (a local server) it gets a placeholder that is never
      // sent: the Authorization header is removed below.
      apiKey: this.options.apiKey ?? NO_KEY,
      maxRetries: 0,
      ...(this.options.baseURL !== undefined ? { baseURL: this.options.baseURL } : {}),
      ...(this.options.organization !== undefined ? { organization: this.options.organization } : {}),
      ...(this.options.project !== undefined ? { project: this.options.project } : {}),
      ...(this.options.headers !== undefined || this.options.apiKey === undefined
        ? {
            defaultHeaders: {
              ...this.options.headers,
              ...(this.options.apiKey === undefined ? { Authorization: null } : {}),
            },
          }
        : {}),
      ...(this.options.timeoutMs !== undefined ? { timeout: this.options.timeoutMs } : {}),
      logLevel: "off",
    });
  }

  async *doStream(
    request: ModelRequest,
    { signal }: { signal: AbortSignal },
  ): AsyncIterable<ProviderStreamPart> {
    try {
      yield* this.api === "chat" ? this.chat(request, signal) : this.responses(request, signal);
    } catch (error) {
      throw toProviderError(error, signal, this.secrets);
    }
    // The SDK ends a stream quietly when it is aborted; the caller must see that it was.
    if (signal.aborted) throw toProviderError(signal.reason, signal, this.secrets);
  }

  private async *chat(request: ModelRequest, signal: AbortSignal): AsyncGenerator<ProviderStreamPart> {
    const warnings: string[] = [];
    const body = chatBody(request, this.options, warnings);
    const requestOptions = { signal, ...headersOf(request) };
    let outcome: ChatOutcome | undefined;
    if (this.options.stream) {
      const { data, request_id } = await this.client.chat.completions
        .create(
          {
            ...body,
            stream: true,
            ...(this.options.streamOptions ? { stream_options: { include_usage: true } } : {}),
          },
          requestOptions,
        )
        .withResponse();
      outcome = yield* chatStreamParts(data, request_id ?? undefined);
      if (outcome && !outcome.usage)
        warnings.push("The server reported no usage for the stream: usage counts are 0.");
    } else {
      const { data, request_id } = await this.client.chat.completions
        .create({ ...body, stream: false }, requestOptions)
        .withResponse();
      outcome = yield* chatCompletionParts(data, request_id ?? undefined);
    }
    if (signal.aborted) return;
    if (!outcome) throw incomplete("the Chat Completions stream ended without a finish_reason");
    yield chatFinishPart(outcome, warnings);
  }

  private async *responses(request: ModelRequest, signal: AbortSignal): AsyncGenerator<ProviderStreamPart> {
    const warnings: string[] = [];
    const body = responsesBody(request, this.options, warnings);
    const requestOptions = { signal, ...headersOf(request) };
    let outcome: Parameters<typeof responsesFinishPart>[0] | undefined;
    if (this.options.stream) {
      const { data, request_id } = await this.client.responses
        .create({ ...body, stream: true }, requestOptions)
        .withResponse();
      outcome = yield* responsesStreamParts(data, request_id ?? undefined);
    } else {
      const { data, request_id } = await this.client.responses
        .create({ ...body, stream: false }, requestOptions)
        .withResponse();
      outcome = yield* responseParts(data, request_id ?? undefined);
    }
    if (signal.aborted) return;
    if (!outcome) throw incomplete("the Responses stream ended without response.completed");
    if (outcome.failed) {
      // A `response.failed` without an `error` event before it: map its error like any other.
      const error = outcome.response.error;
      const failure = toProviderError(
        new APIError(
          undefined,
          { code: error?.code, type: error?.code, message: error?.message ?? "response failed" },
          undefined,
          undefined,
        ),
        signal,
        this.secrets,
      );
      throw new ProviderError(failure.code, failure.message, {
        provider: this.provider,
        retryable: failure.retryable || error?.code === "server_error",
        requestId: outcome.requestId,
      });
    }
    yield responsesFinishPart(outcome, warnings);
  }
}

const NO_KEY = "no-api-key";

/** `settings.headers` as the SDK's per-request headers. */
function headersOf(request: ModelRequest): { headers?: Record<string, string> } {
  const headers = request.settings.headers;
  return headers && Object.keys(headers).length > 0 ? { headers: { ...headers } } : {};
}

function incomplete(what: string): ProviderError {
  return new ProviderError("invalid_response", `OpenAI ${what}: the answer is incomplete.`, {
    provider: "openai",
    retryable: true,
  });
}

/**
 * Creates an OpenAI provider. A missing API key is a `ConfigError` here, not at the first call,
 * unless a `baseURL` names a server that needs none.
 */
export function createOpenAIProvider(options: OpenAIProviderOptions): OpenAIProvider {
  return new OpenAIProvider(options);
}
