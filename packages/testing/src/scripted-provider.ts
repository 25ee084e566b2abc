import {
  type AssistantMessage,
  estimateMessageTokens,
  estimateTokens,
  type FinishReason,
  type ModelRequest,
  type Provider,
  ProviderError,
  type ProviderErrorCode,
  type ProviderStreamPart,
  type ToolCall,
  type Usage,
} from "@loom/core";

export interface ScriptedToolCall {
  readonly id?: string;
  readonly name: string;
  /** An object (sent as JSON) or a raw string (sent as is, to test malformed arguments). */
  readonly args?: unknown;
}

export interface ScriptedError {
  readonly code: ProviderErrorCode;
  readonly message?: string;
  readonly retryAfterMs?: number;
  readonly retryable?: boolean;
}

/** One model answer: text, tool calls, or both. */
export interface ScriptedTurn {
  readonly text?: string;
  readonly reasoning?: string;
  readonly toolCalls?: readonly ScriptedToolCall[];
  readonly usage?: Partial<Usage>;
  readonly finishReason?: FinishReason["unified"];
  /** Wait this long before answering (honours the abort signal). */
  readonly delayMs?: number;
  /** Stream text and arguments in pieces of this many characters. Default 8. */
  readonly chunkSize?: number;
  /** Wait this long between streamed pieces, to look like a real model on a terminal. */
  readonly chunkDelayMs?: number;
  /** Fail the first attempts at this turn with these errors, then answer. */
  readonly failFirst?: readonly ScriptedError[];
}

export interface ScriptedProviderOptions {
  readonly turns: readonly ScriptedTurn[];
  /**
   * "sequential" (default): each call plays the next turn.
   * "conversation": a call plays the turn whose index is the number of assistant messages in the
   * request, so a resumed thread, in a new process with a new provider, gets the same answers.
   */
  readonly mode?: "sequential" | "conversation";
  /** Picks the turn for a request yourself (overrides `mode`), e.g. from the last message. */
  readonly select?: (request: ModelRequest) => number;
  readonly modelId?: string;
  readonly provider?: string;
  /** Keep a copy of every request in `requests`. Default true; benchmarks turn it off. */
  readonly recordRequests?: boolean;
}

/** The request a `ScriptedProvider` received, copied when it arrived. */
export interface ReceivedRequest extends ModelRequest {
  readonly turnIndex: number;
}

/** A scripted call had no turn left to play. */
export class ScriptExhaustedError extends ProviderError {
  constructor(index: number, total: number) {
    super(
      "bad_request",
      `ScriptedProvider has no turn ${index}: the script has ${total} turn(s). Add turns, or check why the agent called the model again.`,
      { retryable: false, provider: "scripted" },
    );
  }
}

/**
 * A model that plays a script of turns: text, tool calls, errors, delays and streamed deltas. It
 * records every request it received (`requests`) so a test can assert on what the agent sent.
 */
export class ScriptedProvider implements Provider {
  readonly specificationVersion = "v1" as const;
  readonly provider: string;
  readonly modelId: string;
  readonly requests: ReceivedRequest[] = [];
  private readonly turns: readonly ScriptedTurn[];
  private readonly mode: "sequential" | "conversation";
  private readonly select: ((request: ModelRequest) => number) | undefined;
  private readonly record: boolean;
  private next = 0;
  private readonly failures = new Map<number, number>();

  constructor(options: ScriptedProviderOptions | readonly ScriptedTurn[]) {
    const opts = Array.isArray(options)
      ? { turns: options as readonly ScriptedTurn[] }
      : (options as ScriptedProviderOptions);
    this.turns = opts.turns;
    this.mode = opts.mode ?? "sequential";
    this.select = opts.select;
    this.modelId = opts.modelId ?? "scripted-model";
    this.provider = opts.provider ?? "scripted";
    this.record = opts.recordRequests ?? true;
  }

  /** Turns not yet played (sequential mode). */
  get remaining(): number {
    return this.turns.length - this.next;
  }

  /** Throws unless every turn was played (sequential mode). */
  assertComplete(): void {
    if (this.mode === "sequential" && this.remaining > 0) {
      throw new Error(
        `ScriptedProvider: ${this.remaining} of ${this.turns.length} turn(s) were never played.`,
      );
    }
  }

  async *doStream(
    request: ModelRequest,
    { signal }: { signal: AbortSignal },
  ): AsyncIterable<ProviderStreamPart> {
    const index = this.select
      ? this.select(request)
      : this.mode === "conversation"
        ? request.messages.filter((m) => m.role === "assistant").length
        : this.next;
    if (this.record) this.requests.push({ ...structuredClone(request), turnIndex: index });
    const turn = this.turns[index];
    if (!turn) throw new ScriptExhaustedError(index, this.turns.length);
    const failed = this.failures.get(index) ?? 0;
    const failure = turn.failFirst?.[failed];
    if (failure) {
      this.failures.set(index, failed + 1);
      throw new ProviderError(failure.code, failure.message ?? `scripted ${failure.code}`, {
        retryAfterMs: failure.retryAfterMs,
        ...(failure.retryable !== undefined ? { retryable: failure.retryable } : {}),
        provider: this.provider,
      });
    }
    if (this.mode === "sequential" && !this.select) this.next++;
    if (turn.delayMs) await delay(turn.delayMs, signal);
    if (signal.aborted) throw abortError(this.provider);

    const size = Math.max(1, turn.chunkSize ?? 8);
    if (turn.reasoning)
      for (const piece of chunks(turn.reasoning, size)) yield { type: "reasoning-delta", delta: piece };
    if (turn.text) {
      for (const piece of chunks(turn.text, size)) {
        if (turn.chunkDelayMs) await delay(turn.chunkDelayMs, signal);
        yield { type: "text-delta", delta: piece };
      }
    }
    const toolCalls: ToolCall[] = (turn.toolCalls ?? []).map((call, i) => ({
      id: call.id ?? `call_${index}_${i}`,
      name: call.name,
      arguments: typeof call.args === "string" ? call.args : JSON.stringify(call.args ?? {}),
    }));
    for (const [i, call] of toolCalls.entries()) {
      let first = true;
      for (const piece of chunks(call.arguments, size)) {
        yield {
          type: "tool-call-delta",
          index: i,
          ...(first ? { callId: call.id, name: call.name } : {}),
          argsDelta: piece,
        };
        first = false;
      }
    }
    const message: AssistantMessage = {
      role: "assistant",
      content: turn.text ?? "",
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
      ...(turn.reasoning ? { reasoning: [{ text: turn.reasoning }] } : {}),
    };
    const usage: Usage = {
      inputTokens:
        turn.usage?.inputTokens ?? request.messages.reduce((sum, m) => sum + estimateMessageTokens(m), 0),
      outputTokens:
        estimateTokens(message.content) + toolCalls.reduce((s, c) => s + estimateTokens(c.arguments), 0),
      ...turn.usage,
    };
    const unified = turn.finishReason ?? (toolCalls.length > 0 ? "tool-calls" : "stop");
    yield { type: "finish", message, usage, finishReason: { unified, raw: unified } };
  }
}

function* chunks(text: string, size: number): Generator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

function abortError(provider: string): ProviderError {
  return new ProviderError("aborted", "The model call was aborted.", { retryable: false, provider });
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError("scripted"));
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError("scripted"));
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
