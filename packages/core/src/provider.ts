import type { AssistantMessage, FinishReason, Message, Usage } from "./messages.js";

/** A tool as a provider sees it: a name, a description and a JSON Schema for its input. */
export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: Readonly<Record<string, unknown>>;
}

export interface ModelSettings {
  readonly maxOutputTokens?: number;
  readonly temperature?: number;
  readonly topP?: number;
  readonly stopSequences?: readonly string[];
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
    };

/** The complete answer of one model call. */
export interface ModelResponse {
  readonly message: AssistantMessage;
  readonly usage: Usage;
  readonly finishReason: FinishReason;
  readonly requestId?: string;
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
  /** Streams one model call. Throws `ProviderError` (typed by `code`) on failure. */
  doStream(request: ModelRequest, options: { signal: AbortSignal }): AsyncIterable<ProviderStreamPart>;
}
