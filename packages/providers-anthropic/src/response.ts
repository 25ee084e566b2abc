import type Anthropic from "@anthropic-ai/sdk";
import type {
  AssistantMessage,
  FinishReason,
  ProviderStreamPart,
  ReasoningPart,
  ToolCall,
  Usage,
} from "@loom/core";

/** One content block of the answer as it was streamed or returned, in the API's order. */
interface BlockState {
  kind: "text" | "thinking" | "redacted" | "tool" | "other";
  text: string;
  signature?: string;
  redactedData?: string;
  call?: ToolCall;
  callIndex?: number;
}

export interface MessagesOutcome {
  readonly blocks: readonly BlockState[];
  readonly usage: Anthropic.Messages.Usage | undefined;
  readonly outputTokens: number | undefined;
  readonly stopReason: string | null;
  readonly requestId: string | undefined;
  readonly messageId?: string;
}

/** Streams raw Messages API events as Loom parts, keeping each block (with its signature) in order. */
export async function* messagesStreamParts(
  events: AsyncIterable<Anthropic.Messages.RawMessageStreamEvent>,
  requestId: string | undefined,
): AsyncGenerator<ProviderStreamPart, MessagesOutcome | undefined> {
  const blocks: BlockState[] = [];
  let calls = 0;
  let usage: Anthropic.Messages.Usage | undefined;
  let outputTokens: number | undefined;
  let stopReason: string | null = null;
  let stopped = false;
  let messageId: string | undefined;
  for await (const event of events) {
    switch (event.type) {
      case "message_start":
        usage = event.message.usage;
        messageId = event.message.id || undefined;
        break;
      case "content_block_start": {
        const block = event.content_block;
        if (block.type === "text") {
          blocks[event.index] = { kind: "text", text: block.text };
          if (block.text) yield { type: "text-delta", delta: block.text };
        } else if (block.type === "thinking") {
          blocks[event.index] = { kind: "thinking", text: block.thinking, signature: block.signature };
          if (block.thinking) yield { type: "reasoning-delta", delta: block.thinking };
        } else if (block.type === "redacted_thinking") {
          blocks[event.index] = { kind: "redacted", text: "", redactedData: block.data };
        } else if (block.type === "tool_use") {
          const call = { id: block.id, name: block.name, arguments: "" };
          const callIndex = calls++;
          blocks[event.index] = { kind: "tool", text: "", call, callIndex };
          yield {
            type: "tool-call-delta",
            index: callIndex,
            callId: call.id,
            name: call.name,
            argsDelta: "",
          };
        } else {
          blocks[event.index] = { kind: "other", text: "" };
        }
        break;
      }
      case "content_block_delta": {
        const block = blocks[event.index];
        if (!block) break;
        const delta = event.delta;
        if (delta.type === "text_delta") {
          block.text += delta.text;
          yield { type: "text-delta", delta: delta.text };
        } else if (delta.type === "thinking_delta") {
          block.text += delta.thinking;
          if (delta.thinking) yield { type: "reasoning-delta", delta: delta.thinking };
        } else if (delta.type === "signature_delta") {
          block.signature = (block.signature ?? "") + delta.signature;
        } else if (delta.type === "input_json_delta" && block.call) {
          block.call.arguments += delta.partial_json;
          if (delta.partial_json !== "") {
            yield { type: "tool-call-delta", index: block.callIndex!, argsDelta: delta.partial_json };
          }
        }
        break;
      }
      case "content_block_stop": {
        // A tool called without arguments streams no JSON at all; its input is the empty object.
        const block = blocks[event.index];
        if (block?.call && block.call.arguments === "") {
          block.call.arguments = "{}";
          yield { type: "tool-call-delta", index: block.callIndex!, argsDelta: "{}" };
        }
        break;
      }
      case "message_delta":
        stopReason = event.delta.stop_reason;
        outputTokens = event.usage.output_tokens;
        if (usage) {
          usage = {
            ...usage,
            output_tokens: event.usage.output_tokens,
            ...(event.usage.input_tokens != null ? { input_tokens: event.usage.input_tokens } : {}),
            ...(event.usage.cache_read_input_tokens != null
              ? { cache_read_input_tokens: event.usage.cache_read_input_tokens }
              : {}),
            ...(event.usage.cache_creation_input_tokens != null
              ? { cache_creation_input_tokens: event.usage.cache_creation_input_tokens }
              : {}),
            // A streamed answer reports its thinking tokens here, not in message_start.
            ...(event.usage.output_tokens_details != null
              ? { output_tokens_details: event.usage.output_tokens_details }
              : {}),
          };
        }
        break;
      case "message_stop":
        stopped = true;
        break;
      default:
        break;
    }
  }
  if (!stopped) return undefined;
  return {
    blocks: blocks.filter((b) => b !== undefined),
    usage,
    outputTokens,
    stopReason,
    requestId,
    ...(messageId !== undefined ? { messageId } : {}),
  };
}

/** Parts for a whole (non-streamed) message. */
export function* messageParts(
  message: Anthropic.Messages.Message,
  requestId: string | undefined,
): Generator<ProviderStreamPart, MessagesOutcome> {
  const blocks: BlockState[] = [];
  let calls = 0;
  for (const block of message.content) {
    if (block.type === "text") {
      blocks.push({ kind: "text", text: block.text });
      if (block.text) yield { type: "text-delta", delta: block.text };
    } else if (block.type === "thinking") {
      blocks.push({ kind: "thinking", text: block.thinking, signature: block.signature });
      if (block.thinking) yield { type: "reasoning-delta", delta: block.thinking };
    } else if (block.type === "redacted_thinking") {
      blocks.push({ kind: "redacted", text: "", redactedData: block.data });
    } else if (block.type === "tool_use") {
      const call = { id: block.id, name: block.name, arguments: JSON.stringify(block.input ?? {}) };
      const callIndex = calls++;
      blocks.push({ kind: "tool", text: "", call, callIndex });
      yield {
        type: "tool-call-delta",
        index: callIndex,
        callId: call.id,
        name: call.name,
        argsDelta: call.arguments,
      };
    }
  }
  return {
    blocks,
    usage: message.usage,
    outputTokens: message.usage.output_tokens,
    stopReason: message.stop_reason,
    requestId,
    ...(message.id ? { messageId: message.id } : {}),
  };
}

export function messagesFinishPart(
  outcome: MessagesOutcome,
  warnings: readonly string[] = [],
): ProviderStreamPart {
  let content = "";
  const toolCalls: ToolCall[] = [];
  const reasoning: ReasoningPart[] = [];
  for (const block of outcome.blocks) {
    if (block.kind === "text") content += block.text;
    else if (block.kind === "tool" && block.call) toolCalls.push(block.call);
    else if (block.kind === "thinking") {
      reasoning.push({ text: block.text, ...(block.signature ? { signature: block.signature } : {}) });
    } else if (block.kind === "redacted" && block.redactedData !== undefined) {
      reasoning.push({ text: "", redactedData: block.redactedData });
    }
  }
  const refused = outcome.stopReason === "refusal";
  const message: AssistantMessage = {
    role: "assistant",
    content,
    ...(toolCalls.length > 0 ? { toolCalls } : {}),
    ...(reasoning.length > 0 ? { reasoning } : {}),
    ...(refused ? { refusal: content || "The model declined to answer." } : {}),
  };
  return {
    type: "finish",
    message,
    usage: messagesUsage(outcome.usage, outcome.outputTokens),
    finishReason: stopReason(outcome.stopReason),
    ...(outcome.requestId ? { requestId: outcome.requestId } : {}),
    ...(outcome.messageId ? { responseId: outcome.messageId } : {}),
    ...(warnings.length > 0 ? { warnings: [...warnings] } : {}),
  };
}

/**
 * `inputTokens` counts every input token, cached or not (Anthropic's `input_tokens` leaves out
 * cache reads and writes), so it means the same as OpenAI's `prompt_tokens`.
 */
function messagesUsage(usage: Anthropic.Messages.Usage | undefined, outputTokens: number | undefined): Usage {
  if (!usage) return { inputTokens: 0, outputTokens: outputTokens ?? 0 };
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const cacheWrite = usage.cache_creation_input_tokens ?? 0;
  const thinking = usage.output_tokens_details?.thinking_tokens;
  return {
    inputTokens: usage.input_tokens + cacheRead + cacheWrite,
    outputTokens: outputTokens ?? usage.output_tokens,
    ...(typeof thinking === "number" ? { reasoningTokens: thinking } : {}),
    ...(usage.cache_read_input_tokens != null ? { cachedInputTokens: cacheRead } : {}),
    ...(usage.cache_creation_input_tokens != null ? { cacheWriteTokens: cacheWrite } : {}),
  };
}

function stopReason(raw: string | null): FinishReason {
  switch (raw) {
    case "end_turn":
    case "stop_sequence":
      return { unified: "stop", raw };
    case "max_tokens":
    case "model_context_window_exceeded":
      return { unified: "length", raw };
    case "tool_use":
      return { unified: "tool-calls", raw };
    case "refusal":
      return { unified: "refusal", raw };
    case null:
      return { unified: "other" };
    default:
      return { unified: "other", raw };
  }
}
