import type { ModelRequest, Provider, ProviderStreamPart } from "@loom/core";
import { ConfigError, ProviderError } from "@loom/core";
import { failureError, refusalError } from "./errors.js";
import { ChatAnswer, chatBody, sseData } from "./wire.js";

export interface FetchChatProviderOptions {
  /** Model id, e.g. "gpt-4o-mini". */
  readonly model: string;
  /** Default: the OPENAI_API_KEY environment variable. */
  readonly apiKey?: string;
  /** Default: https://api.openai.com/v1. Any server that speaks Chat Completions works. */
  readonly baseURL?: string;
  /** Stream the answer (default) or ask for it whole; the parts are the same either way. */
  readonly stream?: boolean;
  /** How long one request may take, headers and body. Default 600000. */
  readonly timeoutMs?: number;
}

/**
 * A Loom `Provider` for OpenAI Chat Completions over plain `fetch`. It retries nothing: the executor
 * retries, from the `retryable` and `retryAfterMs` of the `ProviderError` this throws.
 */
export class FetchChatProvider implements Provider {
  readonly specificationVersion = "v1" as const;
  readonly provider = "openai-fetch";
  readonly modelId: string;
  private readonly apiKey: string;
  private readonly url: string;
  private readonly stream: boolean;
  private readonly timeoutMs: number;

  constructor(options: FetchChatProviderOptions) {
    if (!options.model) throw new ConfigError('createFetchChatProvider: option "model" is required.');
    const apiKey = options.apiKey ?? process.env.OPENAI_API_KEY;
    if (!apiKey) {
      throw new ConfigError(
        "createFetchChatProvider: no API key. Pass { apiKey } or set the OPENAI_API_KEY environment variable.",
      );
    }
    this.modelId = options.model;
    this.apiKey = apiKey;
    this.url = `${(options.baseURL ?? "https://api.openai.com/v1").replace(/\/+$/, "")}/chat/completions`;
    this.stream = options.stream ?? true;
    this.timeoutMs = options.timeoutMs ?? 600_000;
  }

  async *doStream(
    request: ModelRequest,
    { signal }: { signal: AbortSignal },
  ): AsyncIterable<ProviderStreamPart> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const state = {
      get aborted() {
        return signal.aborted;
      },
      get timedOut() {
        return timeout.aborted;
      },
      timeoutMs: this.timeoutMs,
    };
    const secrets = [this.apiKey];
    try {
      const response = await fetch(this.url, {
        method: "POST",
        headers: {
          authorization: `Bearer ${this.apiKey}`,
          "content-type": "application/json",
          accept: this.stream ? "text/event-stream" : "application/json",
        },
        body: JSON.stringify(chatBody(this.modelId, request, this.stream)),
        signal: AbortSignal.any([signal, timeout]),
      });
      const requestId = response.headers.get("x-request-id") ?? undefined;
      if (!response.ok) {
        const text = await response.text();
        throw refusalError(parseOr(text), response, secrets);
      }
      const answer = new ChatAnswer();
      if (this.stream && response.body) {
        for await (const data of sseData(response.body)) {
          if (data === "[DONE]") break;
          const chunk = JSON.parse(data) as Record<string, unknown>;
          if (chunk.error)
            throw refusalError(chunk, { status: undefined, headers: response.headers }, secrets);
          yield* answer.take(chunk);
        }
      } else {
        yield* answer.take(JSON.parse(await response.text()) as Record<string, unknown>);
      }
      // A stream aborted by the caller can end quietly; the caller must see that it was.
      if (signal.aborted) throw new Error("aborted");
      const finish = answer.finishPart(requestId);
      if (!finish) {
        throw new ProviderError(
          "invalid_response",
          "OpenAI answer ended without a finish_reason: it is incomplete.",
          {
            provider: this.provider,
            retryable: true,
          },
        );
      }
      yield finish;
    } catch (error) {
      throw failureError(error, state, secrets);
    }
  }
}

function parseOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Creates the provider. A missing API key is a `ConfigError` here, not at the first call. */
export function createFetchChatProvider(options: FetchChatProviderOptions): FetchChatProvider {
  return new FetchChatProvider(options);
}
