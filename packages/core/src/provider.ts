import type { AssistantMessage, FinishReason, Message, Usage } from "./messages.js";

/** A tool as a provider sees it: a name, a description and a JSON Schema for its input. */
export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: Readonly<Record<string, unknown>>;
}

/** Which tools the model may or must call: any or none (`auto`), `none`, at least one (`required`), or one named tool. */
export type ToolChoice = "auto" | "none" | "required" | { readonly tool: string };

/** How much a reasoning model thinks before it answers, and what summary of it comes back. */
export interface ReasoningSettings {
  readonly effort?: "none" | "minimal" | "low" | "medium" | "high" | "xhigh";
  readonly summary?: "auto" | "concise" | "detailed";
}

/**
 * Where a provider with explicit prompt caching (Anthropic) puts its cache breakpoints: after the
 * system prompt, after the tools, and after messages of the request (`"last"`: its last message;
 * numbers: indexes into `ModelRequest.messages`). Providers that cache prefixes by themselves
 * (OpenAI) need no hint and ignore it.
 */
export interface CacheHints {
  readonly system?: boolean;
  readonly tools?: boolean;
  readonly messages?: "last" | readonly number[];
}

/**
 * The final answer as JSON matching `schema` (from the agent's `output` option). Providers with
 * native structured output send it (OpenAI `response_format` / `text.format`, Anthropic
 * `output_config.format`, the AI SDK's `responseFormat`); the executor validates the answer either way.
 */
export interface ResponseFormat {
  readonly type: "json";
  /** A name for the schema (letters, digits, `_` and `-`). */
  readonly name: string;
  readonly description?: string;
  readonly schema: Readonly<Record<string, unknown>>;
}

/**
 * Portable model settings. Every provider maps each one it can; one it cannot honour is left out
 * of the request and named in the answer's `warnings` (journaled in `llm.completed`), never
 * dropped silently.
 */
export interface ModelSettings {
  readonly maxOutputTokens?: number;
  readonly temperature?: number;
  readonly topP?: number;
  readonly stopSequences?: readonly string[];
  readonly toolChoice?: ToolChoice;
  /** `false` asks for at most one tool call per answer. */
  readonly parallelToolCalls?: boolean;
  readonly reasoning?: ReasoningSettings;
  readonly seed?: number;
  /**
   * HTTP headers sent with this request only. They are journaled when a hook replaces the
   * settings: put API keys in the provider's own options, not here.
   */
  readonly headers?: Readonly<Record<string, string>>;
  readonly cache?: CacheHints;
  readonly responseFormat?: ResponseFormat;
  /** Provider-specific options, passed through untouched. */
  readonly providerOptions?: Readonly<Record<string, unknown>>;
}

/** A provider-neutral request. System prompts are `system` messages at the start of `messages`. */
export interface ModelRequest {
  readonly messages: readonly Message[];
  readonly tools: readonly ToolSpec[];
  readonly settings: ModelSettings;
}

export type ProviderStreamPart =
  | { readonly type: "text-delta"; readonly delta: string }
  | { readonly type: "reasoning-delta"; readonly delta: string }
  /** The model declining to answer, as it streams (OpenAI's `refusal`); the finish part's message carries it whole. */
  | { readonly type: "refusal-delta"; readonly delta: string }
  | {
      readonly type: "tool-call-delta";
      readonly index: number;
      readonly callId?: string;
      readonly name?: string;
      readonly argsDelta: string;
    }
  | {
      readonly type: "finish";
      readonly message: AssistantMessage;
      readonly usage: Usage;
      readonly finishReason: FinishReason;
      readonly warnings?: readonly string[];
      readonly requestId?: string;
      /** The provider's id of the answer itself (OpenAI `response.id` / `chatcmpl-...`, Anthropic `msg_...`). */
      readonly responseId?: string;
    };

/** The complete answer of one model call. */
export interface ModelResponse {
  readonly message: AssistantMessage;
  readonly usage: Usage;
  readonly finishReason: FinishReason;
  readonly requestId?: string;
  readonly responseId?: string;
  readonly warnings?: readonly string[];
}

/**
 * What a model provider implements. Users do not call `doStream` themselves: the executor does,
 * adding retries, journaling and hooks. A breaking change to this shape adds a new
 * `specificationVersion` rather than changing this one.
 */
export interface Provider {
  readonly specificationVersion: "v1";
  /** The provider's name, e.g. "openai". */
  readonly provider: string;
  readonly modelId: string;
  /**
   * True when the provider sends `settings.responseFormat` natively. Otherwise the agent asks for
   * JSON in the system prompt (and validates the answer the same way).
   */
  readonly nativeStructuredOutput?: boolean;
  /** Streams one model call. Throws `ProviderError` (typed by `code`) on failure. */
  doStream(request: ModelRequest, options: { signal: AbortSignal }): AsyncIterable<ProviderStreamPart>;
}
