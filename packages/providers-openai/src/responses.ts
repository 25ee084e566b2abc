import type {
  AssistantMessage,
  FinishReason,
  ModelRequest,
  ProviderStreamPart,
  ReasoningPart,
  ToolCall,
  Usage,
} from "@loom/core";
import type OpenAI from "openai";
import { responsesToolOutput, responsesUserContent } from "./attachments.js";
import type { ResolvedOpenAIOptions } from "./options.js";
import { jsonSchemaFormat, providerOptions } from "./settings.js";

type ResponseParams = OpenAI.Responses.ResponseCreateParams;
type InputItem = OpenAI.Responses.ResponseInputItem;
type Response = OpenAI.Responses.Response;

/** Loom's request as a Responses API body (without `stream`). */
export function responsesBody(
  request: ModelRequest,
  options: ResolvedOpenAIOptions,
  warnings: string[],
): Omit<ResponseParams, "stream"> {
  const extra = providerOptions(request.settings);
  const store = typeof extra.store === "boolean" ? extra.store : options.store;
  const input: InputItem[] = [];
  for (const message of request.messages) {
    switch (message.role) {
      case "system":
        input.push({ role: "system", content: message.content });
        break;
      case "user":
        input.push({ role: "user", content: responsesUserContent(message) });
        break;
      case "tool":
        input.push({
          type: "function_call_output",
          call_id: message.callId,
          output: responsesToolOutput(message),
        });
        break;
      case "assistant":
        for (const part of message.reasoning ?? []) {
          // A reasoning item goes back by its encrypted content, or by id when the API stored it.
          if (!part.id || (part.encryptedContent === undefined && store === false)) continue;
          input.push({
            type: "reasoning",
            id: part.id,
            summary: part.text ? [{ type: "summary_text", text: part.text }] : [],
            ...(part.encryptedContent !== undefined ? { encrypted_content: part.encryptedContent } : {}),
          });
        }
        if (message.content !== "") input.push({ role: "assistant", content: message.content });
        for (const call of message.toolCalls ?? []) {
          input.push({ type: "function_call", call_id: call.id, name: call.name, arguments: call.arguments });
        }
        break;
    }
  }
  const { settings } = request;
  if (settings.stopSequences?.length) {
    warnings.push("The Responses API has no stop sequences: settings.stopSequences was not sent.");
  }
  if (settings.seed !== undefined)
    warnings.push("The Responses API has no seed: settings.seed was not sent.");
  const hasTools = request.tools.length > 0;
  if (!hasTools && settings.toolChoice !== undefined && settings.toolChoice !== "none")
    warnings.push("The request has no tools: settings.toolChoice was not sent.");
  const reasoning = settings.reasoning;
  return {
    model: options.model,
    input,
    ...(request.tools.length > 0
      ? {
          tools: request.tools.map((tool) => ({
            type: "function" as const,
            name: tool.name,
            description: tool.description,
            parameters: tool.inputSchema as Record<string, unknown>,
            strict: options.strictTools,
          })),
        }
      : {}),
    ...(settings.maxOutputTokens !== undefined ? { max_output_tokens: settings.maxOutputTokens } : {}),
    ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
    ...(settings.topP !== undefined ? { top_p: settings.topP } : {}),
    ...(hasTools && settings.toolChoice !== undefined
      ? {
          tool_choice:
            typeof settings.toolChoice === "string"
              ? settings.toolChoice
              : { type: "function" as const, name: settings.toolChoice.tool },
        }
      : {}),
    ...(hasTools && settings.parallelToolCalls !== undefined
      ? { parallel_tool_calls: settings.parallelToolCalls }
      : {}),
    ...(reasoning?.effort !== undefined || reasoning?.summary !== undefined
      ? {
          reasoning: {
            ...(reasoning.effort !== undefined ? { effort: reasoning.effort as OpenAI.ReasoningEffort } : {}),
            ...(reasoning.summary !== undefined ? { summary: reasoning.summary } : {}),
          },
        }
      : {}),
    ...(settings.responseFormat !== undefined
      ? { text: { format: { type: "json_schema" as const, ...jsonSchemaFormat(settings.responseFormat) } } }
      : {}),
    ...(store !== undefined ? { store } : {}),
    ...(store === false ? { include: ["reasoning.encrypted_content" as const] } : {}),
    ...extra,
  };
}

/**
 * Streams Responses API events as Loom parts. The final message is built from the response that
 * `response.completed` (or `.incomplete`) carries, which holds every output item whole.
 */
export async function* responsesStreamParts(
  events: AsyncIterable<OpenAI.Responses.ResponseStreamEvent>,
  requestId: string | undefined,
): AsyncGenerator<ProviderStreamPart, ResponsesOutcome | undefined> {
  const callIndex = new Map<number, number>();
  for await (const event of events) {
    switch (event.type) {
      case "response.output_text.delta":
        yield { type: "text-delta", delta: event.delta };
        break;
      case "response.reasoning_summary_text.delta":
      case "response.reasoning_text.delta":
        yield { type: "reasoning-delta", delta: event.delta };
        break;
      case "response.refusal.delta":
        yield { type: "refusal-delta", delta: event.delta };
        break;
      case "response.reasoning_summary_part.added":
        // Summary parts of one item are joined with a blank line in the final message.
        if (event.summary_index > 0) yield { type: "reasoning-delta", delta: "\n\n" };
        break;
      case "response.output_item.added":
        if (event.item.type === "function_call") {
          const index = callIndex.size;
          callIndex.set(event.output_index, index);
          yield {
            type: "tool-call-delta",
            index,
            callId: event.item.call_id,
            name: event.item.name,
            argsDelta: event.item.arguments ?? "",
          };
        }
        break;
      case "response.function_call_arguments.delta": {
        const index = callIndex.get(event.output_index);
        if (index !== undefined) yield { type: "tool-call-delta", index, argsDelta: event.delta };
        break;
      }
      case "response.completed":
      case "response.incomplete":
        return { response: event.response, requestId };
      case "response.failed":
        return { response: event.response, requestId, failed: true };
      default:
        break;
    }
  }
  return undefined;
}

/** Parts for a whole (non-streamed) response. */
export function* responseParts(
  response: Response,
  requestId: string | undefined,
): Generator<ProviderStreamPart, ResponsesOutcome> {
  const message = responseMessage(response);
  for (const part of message.reasoning ?? [])
    if (part.text) yield { type: "reasoning-delta", delta: part.text };
  if (message.content) yield { type: "text-delta", delta: message.content };
  if (message.refusal) yield { type: "refusal-delta", delta: message.refusal };
  for (const [index, call] of (message.toolCalls ?? []).entries()) {
    yield { type: "tool-call-delta", index, callId: call.id, name: call.name, argsDelta: call.arguments };
  }
  return { response, requestId };
}

export interface ResponsesOutcome {
  readonly response: Response;
  readonly requestId: string | undefined;
  readonly failed?: boolean;
}

export function responseMessage(response: Response): AssistantMessage {
  let content = "";
  let refusal = "";
  const toolCalls: ToolCall[] = [];
  const reasoning: ReasoningPart[] = [];
  for (const item of response.output) {
    if (item.type === "message") {
      for (const part of item.content) {
        if (part.type === "output_text") content += part.text;
        else if (part.type === "refusal") refusal += part.refusal;
      }
    } else if (item.type === "function_call") {
      toolCalls.push({ id: item.call_id, name: item.name, arguments: item.arguments });
    } else if (item.type === "reasoning") {
      reasoning.push({
        text: item.summary.map((s) => s.text).join("\n\n"),
        id: item.id,
        ...(item.encrypted_content ? { encryptedContent: item.encrypted_content } : {}),
      });
    }
  }
  return {
    role: "assistant",
    content,
    ...(toolCalls.length > 0 ? { toolCalls } : {}),
    ...(reasoning.length > 0 ? { reasoning } : {}),
    ...(refusal ? { refusal } : {}),
  };
}

export function responsesFinishPart(
  outcome: ResponsesOutcome,
  warnings: readonly string[],
): ProviderStreamPart {
  const message = responseMessage(outcome.response);
  return {
    type: "finish",
    message,
    usage: responsesUsage(outcome.response.usage),
    finishReason: responsesFinishReason(outcome.response, message),
    ...(warnings.length > 0 ? { warnings } : {}),
    ...(outcome.requestId ? { requestId: outcome.requestId } : {}),
    ...(outcome.response.id ? { responseId: outcome.response.id } : {}),
  };
}

function responsesUsage(usage: OpenAI.Responses.ResponseUsage | null | undefined): Usage {
  if (!usage) return { inputTokens: 0, outputTokens: 0 };
  const reasoningTokens = usage.output_tokens_details?.reasoning_tokens;
  const cachedInputTokens = usage.input_tokens_details?.cached_tokens;
  return {
    inputTokens: usage.input_tokens,
    outputTokens: usage.output_tokens,
    ...(typeof reasoningTokens === "number" ? { reasoningTokens } : {}),
    ...(typeof cachedInputTokens === "number" ? { cachedInputTokens } : {}),
  };
}

function responsesFinishReason(response: Response, message: AssistantMessage): FinishReason {
  if (response.status === "incomplete") {
    const reason = response.incomplete_details?.reason ?? "incomplete";
    if (reason === "max_output_tokens") return { unified: "length", raw: reason };
    if (reason === "content_filter") return { unified: "content-filter", raw: reason };
    return { unified: "other", raw: reason };
  }
  const raw = response.status ?? "completed";
  if (message.refusal) return { unified: "refusal", raw };
  if (message.toolCalls?.length) return { unified: "tool-calls", raw };
  if (raw === "completed") return { unified: "stop", raw };
  return { unified: "other", raw };
}
