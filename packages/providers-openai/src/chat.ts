import type {
  AssistantMessage,
  FinishReason,
  Message,
  ModelRequest,
  ProviderStreamPart,
  ReasoningPart,
  ToolCall,
  Usage,
} from "@loom/core";
import type OpenAI from "openai";
import { chatToolContent, chatUserContent } from "./attachments.js";
import type { ResolvedOpenAIOptions } from "./options.js";
import { jsonSchemaFormat, providerOptions } from "./settings.js";

type ChatParams = OpenAI.Chat.Completions.ChatCompletionCreateParams;
type ChatMessageParam = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type ChatUsage = OpenAI.Completions.CompletionUsage;

/** Loom's request as a Chat Completions body (without `stream`). */
export function chatBody(
  request: ModelRequest,
  options: ResolvedOpenAIOptions,
  warnings: string[] = [],
): Omit<ChatParams, "stream"> {
  const messages = request.messages.map(chatMessage);
  const { settings } = request;
  const hasTools = request.tools.length > 0;
  if (!hasTools && settings.toolChoice !== undefined && settings.toolChoice !== "none")
    warnings.push("The request has no tools: settings.toolChoice was not sent.");
  if (settings.reasoning?.summary !== undefined)
    warnings.push("Chat Completions returns no reasoning summary: settings.reasoning.summary was not sent.");
  return {
    model: options.model,
    messages,
    ...(request.tools.length > 0
      ? {
          tools: request.tools.map((tool) => ({
            type: "function" as const,
            function: {
              name: tool.name,
              description: tool.description,
              parameters: tool.inputSchema as Record<string, unknown>,
              ...(options.strictTools ? { strict: true } : {}),
            },
          })),
        }
      : {}),
    ...(settings.maxOutputTokens !== undefined ? { [options.maxTokensField]: settings.maxOutputTokens } : {}),
    ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
    ...(settings.topP !== undefined ? { top_p: settings.topP } : {}),
    ...(settings.stopSequences?.length ? { stop: [...settings.stopSequences] } : {}),
    ...(hasTools && settings.toolChoice !== undefined
      ? {
          tool_choice:
            typeof settings.toolChoice === "string"
              ? settings.toolChoice
              : { type: "function" as const, function: { name: settings.toolChoice.tool } },
        }
      : {}),
    ...(hasTools && settings.parallelToolCalls !== undefined
      ? { parallel_tool_calls: settings.parallelToolCalls }
      : {}),
    ...(settings.reasoning?.effort !== undefined
      ? { reasoning_effort: settings.reasoning.effort as OpenAI.ReasoningEffort }
      : {}),
    ...(settings.seed !== undefined ? { seed: settings.seed } : {}),
    ...(settings.responseFormat !== undefined
      ? {
          response_format: {
            type: "json_schema" as const,
            json_schema: jsonSchemaFormat(settings.responseFormat),
          },
        }
      : {}),
    ...providerOptions(settings),
  };
}

function chatMessage(message: Message): ChatMessageParam {
  if (message.role === "tool") {
    return { role: "tool", tool_call_id: message.callId, content: chatToolContent(message) };
  }
  if (message.role === "user") return { role: "user", content: chatUserContent(message) };
  if (message.role !== "assistant") return { role: message.role, content: message.content };
  const calls = message.toolCalls ?? [];
  if (calls.length === 0) return { role: "assistant", content: message.content };
  return {
    role: "assistant",
    content: message.content === "" ? null : message.content,
    tool_calls: calls.map((call) => ({
      id: call.id,
      type: "function" as const,
      function: { name: call.name, arguments: call.arguments },
    })),
  };
}

/** Streams a Chat Completions SSE stream as Loom parts, assembling tool calls by index. */
export async function* chatStreamParts(
  chunks: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>,
  requestId: string | undefined,
): AsyncGenerator<ProviderStreamPart, ChatOutcome | undefined> {
  let content = "";
  let refusal = "";
  let reasoning = "";
  const calls: ToolCall[] = [];
  let usage: ChatUsage | undefined;
  let finish: string | undefined;
  let responseId: string | undefined;
  for await (const chunk of chunks) {
    if (chunk.usage) usage = chunk.usage;
    if (chunk.id) responseId ??= chunk.id;
    const choice = chunk.choices[0];
    if (!choice) continue;
    const delta = choice.delta as typeof choice.delta & { reasoning_content?: string | null };
    if (delta.reasoning_content) {
      reasoning += delta.reasoning_content;
      yield { type: "reasoning-delta", delta: delta.reasoning_content };
    }
    if (delta.content) {
      content += delta.content;
      yield { type: "text-delta", delta: delta.content };
    }
    if (delta.refusal) {
      refusal += delta.refusal;
      yield { type: "refusal-delta", delta: delta.refusal };
    }
    for (const call of delta.tool_calls ?? []) {
      const argsDelta = call.function?.arguments ?? "";
      // Some compatible servers leave out `index`: a new id starts a call, no id continues the last.
      const index =
        typeof call.index === "number"
          ? call.index
          : Math.max(0, calls.length - (call.id && call.id !== calls.at(-1)?.id ? 0 : 1));
      let current = calls[index];
      if (!current) {
        current = { id: call.id ?? "", name: call.function?.name ?? "", arguments: "" };
        calls[index] = current;
        current.arguments += argsDelta;
        yield {
          type: "tool-call-delta",
          index,
          callId: current.id,
          name: current.name,
          argsDelta,
        };
        continue;
      }
      current.arguments += argsDelta;
      if (argsDelta !== "") yield { type: "tool-call-delta", index, argsDelta };
    }
    if (choice.finish_reason) finish = choice.finish_reason;
  }
  if (finish === undefined) return undefined;
  return {
    content,
    refusal,
    reasoning,
    toolCalls: calls.filter((call) => call !== undefined),
    usage,
    finish,
    requestId,
    responseId,
  };
}

/** Parts for a whole (non-streamed) completion: one delta per piece, then the same outcome. */
export function* chatCompletionParts(
  completion: OpenAI.Chat.Completions.ChatCompletion,
  requestId: string | undefined,
): Generator<ProviderStreamPart, ChatOutcome | undefined> {
  const choice = completion.choices[0];
  if (!choice) return undefined;
  const message = choice.message as typeof choice.message & { reasoning_content?: string | null };
  const reasoning = message.reasoning_content ?? "";
  if (reasoning) yield { type: "reasoning-delta", delta: reasoning };
  const content = message.content ?? "";
  if (content) yield { type: "text-delta", delta: content };
  if (message.refusal) yield { type: "refusal-delta", delta: message.refusal };
  const toolCalls: ToolCall[] = [];
  for (const [index, call] of (message.tool_calls ?? []).entries()) {
    if (call.type !== "function") continue;
    toolCalls.push({ id: call.id, name: call.function.name, arguments: call.function.arguments });
    yield {
      type: "tool-call-delta",
      index,
      callId: call.id,
      name: call.function.name,
      argsDelta: call.function.arguments,
    };
  }
  return {
    content,
    refusal: message.refusal ?? "",
    reasoning,
    toolCalls,
    usage: completion.usage,
    finish: choice.finish_reason,
    requestId,
    responseId: completion.id || undefined,
  };
}

export interface ChatOutcome {
  readonly content: string;
  readonly refusal: string;
  readonly reasoning: string;
  readonly toolCalls: readonly ToolCall[];
  readonly usage: ChatUsage | undefined;
  readonly finish: string;
  readonly requestId: string | undefined;
  readonly responseId: string | undefined;
}

export function chatFinishPart(outcome: ChatOutcome, warnings: readonly string[]): ProviderStreamPart {
  const reasoning: ReasoningPart[] = outcome.reasoning ? [{ text: outcome.reasoning }] : [];
  const message: AssistantMessage = {
    role: "assistant",
    content: outcome.content,
    ...(outcome.toolCalls.length > 0 ? { toolCalls: [...outcome.toolCalls] } : {}),
    ...(reasoning.length > 0 ? { reasoning } : {}),
    ...(outcome.refusal ? { refusal: outcome.refusal } : {}),
  };
  return {
    type: "finish",
    message,
    usage: chatUsage(outcome.usage),
    finishReason: chatFinishReason(outcome.finish, outcome.refusal !== ""),
    ...(warnings.length > 0 ? { warnings } : {}),
    ...(outcome.requestId ? { requestId: outcome.requestId } : {}),
    ...(outcome.responseId ? { responseId: outcome.responseId } : {}),
  };
}

export function chatUsage(usage: ChatUsage | undefined): Usage {
  if (!usage) return { inputTokens: 0, outputTokens: 0 };
  const reasoningTokens = usage.completion_tokens_details?.reasoning_tokens;
  const cachedInputTokens = usage.prompt_tokens_details?.cached_tokens;
  return {
    inputTokens: usage.prompt_tokens,
    outputTokens: usage.completion_tokens,
    ...(typeof reasoningTokens === "number" ? { reasoningTokens } : {}),
    ...(typeof cachedInputTokens === "number" ? { cachedInputTokens } : {}),
  };
}

export function chatFinishReason(raw: string, refused: boolean): FinishReason {
  if (refused) return { unified: "refusal", raw };
  switch (raw) {
    case "stop":
      return { unified: "stop", raw };
    case "length":
      return { unified: "length", raw };
    case "tool_calls":
    case "function_call":
      return { unified: "tool-calls", raw };
    case "content_filter":
      return { unified: "content-filter", raw };
    default:
      return { unified: "other", raw };
  }
}
