import type {
  LanguageModelV2FinishReason,
  LanguageModelV2StreamPart,
  LanguageModelV2Usage,
  LanguageModelV3StreamPart,
  LanguageModelV3Usage,
  LanguageModelV4FinishReason,
  LanguageModelV4StreamPart,
  LanguageModelV4Usage,
  SharedV4ProviderMetadata,
} from "@ai-sdk/provider";
import type {
  AssistantMessage,
  FinishReason,
  ProviderStreamPart,
  ReasoningPart,
  ToolCall,
  Usage,
} from "@loom/core";

export type AnyStreamPart = LanguageModelV2StreamPart | LanguageModelV3StreamPart | LanguageModelV4StreamPart;

/** How the stream ended: the `finish` part as the AI SDK sent it, or an `error` part. */
export type StreamEnd =
  | {
      readonly kind: "finish";
      readonly part: ProviderStreamPart & { type: "finish" };
      readonly interrupted: boolean;
    }
  | { readonly kind: "error"; readonly error: unknown }
  | undefined;

type Block =
  | { kind: "text"; text: string }
  | { kind: "reasoning"; part: { -readonly [K in keyof ReasoningPart]: ReasoningPart[K] } }
  | { kind: "tool"; call: ToolCall; index: number; streamed: string };

/**
 * Streams an AI SDK model's parts as Loom parts and returns how the stream ended. Text, reasoning
 * and tool calls keep the model's order; a tool call's arguments are the complete `tool-call`
 * part's input (deltas only stream them), so the message holds what the model said was final.
 */
export async function* loomParts(
  stream: ReadableStream<AnyStreamPart>,
  requestId: string | undefined,
  warnings: string[] = [],
): AsyncGenerator<ProviderStreamPart, StreamEnd> {
  const blocks: Block[] = [];
  const texts = new Map<string, Extract<Block, { kind: "text" }>>();
  const reasonings = new Map<string, Extract<Block, { kind: "reasoning" }>>();
  const tools = new Map<string, Extract<Block, { kind: "tool" }>>();
  let calls = 0;
  let responseId: string | undefined;

  const textBlock = (id: string) => {
    let block = texts.get(id);
    if (!block) {
      block = { kind: "text", text: "" };
      texts.set(id, block);
      blocks.push(block);
    }
    return block;
  };
  const reasoningBlock = (id: string) => {
    let block = reasonings.get(id);
    if (!block) {
      block = { kind: "reasoning", part: { text: "" } };
      reasonings.set(id, block);
      blocks.push(block);
    }
    return block;
  };
  const toolBlock = (id: string, name: string) => {
    let block = tools.get(id);
    const isNew = !block;
    if (!block) {
      block = { kind: "tool", call: { id, name, arguments: "" }, index: calls++, streamed: "" };
      tools.set(id, block);
      blocks.push(block);
    }
    return { block, isNew };
  };

  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value: part } = await reader.read();
      if (done) return undefined;
      switch (part.type) {
        case "stream-start":
          for (const warning of part.warnings) warnings.push(warningText(warning));
          break;
        case "text-start":
          textBlock(part.id);
          break;
        case "text-delta":
          if (part.delta === "") break;
          textBlock(part.id).text += part.delta;
          yield { type: "text-delta", delta: part.delta };
          break;
        case "reasoning-start":
        case "reasoning-end":
          keepReasoningMetadata(reasoningBlock(part.id).part, part.providerMetadata, "replace");
          break;
        case "reasoning-delta": {
          const block = reasoningBlock(part.id);
          keepReasoningMetadata(block.part, part.providerMetadata, "append");
          if (part.delta === "") break;
          block.part.text += part.delta;
          yield { type: "reasoning-delta", delta: part.delta };
          break;
        }
        case "tool-input-start": {
          if (part.providerExecuted) break;
          const { block } = toolBlock(part.id, part.toolName);
          yield {
            type: "tool-call-delta",
            index: block.index,
            callId: part.id,
            name: part.toolName,
            argsDelta: "",
          };
          break;
        }
        case "tool-input-delta": {
          const block = tools.get(part.id);
          if (!block || part.delta === "") break;
          block.streamed += part.delta;
          yield { type: "tool-call-delta", index: block.index, argsDelta: part.delta };
          break;
        }
        case "tool-call": {
          if (part.providerExecuted) {
            warnings.push(`The provider ran its own tool "${part.toolName}"; Loom keeps no record of it.`);
            break;
          }
          const { block, isNew } = toolBlock(part.toolCallId, part.toolName);
          const input = part.input === "" ? "{}" : part.input;
          block.call.arguments = input;
          const metadata = callMetadata(part.providerMetadata);
          if (metadata) block.call.providerMetadata = metadata;
          // Deltas add up to the final arguments: the rest when they were a prefix, else all of it
          // again under a fresh start would break the sum, so only a prefix is completed.
          if (isNew) {
            yield {
              type: "tool-call-delta",
              index: block.index,
              callId: block.call.id,
              name: block.call.name,
              argsDelta: input,
            };
          } else if (input.startsWith(block.streamed) && input !== block.streamed) {
            yield {
              type: "tool-call-delta",
              index: block.index,
              argsDelta: input.slice(block.streamed.length),
            };
          } else if (!input.startsWith(block.streamed)) {
            warnings.push(
              `The streamed arguments of tool call ${block.call.id} differ from its final arguments.`,
            );
          }
          block.streamed = input;
          break;
        }
        case "tool-result":
        case "file":
        case "source":
          warnings.push(
            `A "${part.type}" part of the model's answer has no place in a Loom message and was left out.`,
          );
          break;
        case "finish": {
          const { finishReason, interrupted } = loomFinishReason(part.finishReason);
          const message = assistantMessage(blocks, finishReason);
          return {
            kind: "finish",
            interrupted,
            part: {
              type: "finish",
              message,
              usage: loomUsage(part.usage),
              finishReason,
              ...(warnings.length > 0 ? { warnings } : {}),
              ...(requestId !== undefined ? { requestId } : {}),
              ...(responseId !== undefined ? { responseId } : {}),
            },
          };
        }
        case "error":
          return { kind: "error", error: part.error };
        case "response-metadata":
          if (typeof part.id === "string" && part.id !== "") responseId ??= part.id;
          break;
        default:
          // response-metadata, raw, ping, and what newer versions add (approval requests, custom).
          break;
      }
    }
  } finally {
    reader.releaseLock();
  }
}

function assistantMessage(blocks: readonly Block[], finishReason: FinishReason): AssistantMessage {
  let content = "";
  const toolCalls: ToolCall[] = [];
  const reasoning: ReasoningPart[] = [];
  for (const block of blocks) {
    if (block.kind === "text") content += block.text;
    else if (block.kind === "tool") toolCalls.push(block.call);
    // A reasoning block without text still counts when the provider needs it back.
    else if (Object.values(block.part).some((value) => value !== "" && value !== undefined))
      reasoning.push(block.part);
  }
  return {
    role: "assistant",
    content,
    ...(toolCalls.length > 0 ? { toolCalls } : {}),
    ...(reasoning.length > 0 ? { reasoning } : {}),
    ...(finishReason.unified === "refusal" ? { refusal: content || "The model declined to answer." } : {}),
  };
}

/**
 * What a provider needs back with its reasoning, from the part's provider metadata (under any
 * provider's key): Anthropic's `signature` and `redactedData`, the OpenAI Responses API's
 * `itemId` and `reasoningEncryptedContent`. A delta's signature is a piece of it (Anthropic's
 * `signature_delta`); the end of a block says the final values (the Responses API's
 * `output_item.done`).
 */
function keepReasoningMetadata(
  part: { -readonly [K in keyof ReasoningPart]: ReasoningPart[K] },
  metadata: SharedV4ProviderMetadata | undefined,
  signatures: "append" | "replace",
): void {
  for (const values of Object.values(metadata ?? {})) {
    const text = (key: string) => {
      const value = values[key];
      return typeof value === "string" ? value : undefined;
    };
    const signature = text("signature");
    if (signature !== undefined)
      part.signature = signatures === "append" ? (part.signature ?? "") + signature : signature;
    part.redactedData = text("redactedData") ?? part.redactedData;
    part.id = text("itemId") ?? part.id;
    part.encryptedContent = text("reasoningEncryptedContent") ?? part.encryptedContent;
    for (const key of ["redactedData", "id", "encryptedContent"] as const) {
      if (part[key] === undefined) delete part[key];
    }
  }
}

/**
 * Usage as Loom counts it: `inputTokens` every input token, cached or not; the parts (cache reads,
 * cache writes, reasoning) only when the model reports them.
 */
export function loomUsage(usage: LanguageModelV2Usage | LanguageModelV3Usage | LanguageModelV4Usage): Usage {
  const count = (value: number | undefined) =>
    typeof value === "number" && Number.isFinite(value) ? value : undefined;
  if (typeof usage.inputTokens === "object") {
    const u = usage as LanguageModelV3Usage | LanguageModelV4Usage;
    const noCache = count(u.inputTokens.noCache);
    const cacheRead = count(u.inputTokens.cacheRead);
    const cacheWrite = count(u.inputTokens.cacheWrite);
    const reasoning = count(u.outputTokens.reasoning);
    return {
      inputTokens: count(u.inputTokens.total) ?? (noCache ?? 0) + (cacheRead ?? 0) + (cacheWrite ?? 0),
      outputTokens: count(u.outputTokens.total) ?? (count(u.outputTokens.text) ?? 0) + (reasoning ?? 0),
      ...(reasoning !== undefined ? { reasoningTokens: reasoning } : {}),
      ...(cacheRead !== undefined ? { cachedInputTokens: cacheRead } : {}),
      ...(cacheWrite !== undefined ? { cacheWriteTokens: cacheWrite } : {}),
    };
  }
  const u = usage as LanguageModelV2Usage;
  const reasoning = count(u.reasoningTokens);
  const cached = count(u.cachedInputTokens);
  return {
    inputTokens: count(u.inputTokens) ?? 0,
    outputTokens: count(u.outputTokens) ?? 0,
    ...(reasoning !== undefined ? { reasoningTokens: reasoning } : {}),
    ...(cached !== undefined ? { cachedInputTokens: cached } : {}),
  };
}

/**
 * The AI SDK's finish reason as Loom's: v2 sends a bare string, v3 and v4 `{ unified, raw }`. A
 * raw `refusal` is Loom's `refusal`; v4's `interrupted` (the stream ended without its final
 * event) is reported so the caller can fail the call as incomplete.
 */
export function loomFinishReason(reason: LanguageModelV2FinishReason | LanguageModelV4FinishReason): {
  finishReason: FinishReason;
  interrupted: boolean;
} {
  const unified = typeof reason === "string" ? reason : reason.unified;
  const raw = typeof reason === "string" ? undefined : reason.raw;
  const withRaw = (u: FinishReason["unified"]): FinishReason => ({
    unified: u,
    ...(raw !== undefined ? { raw } : {}),
  });
  if (raw === "refusal") return { finishReason: withRaw("refusal"), interrupted: false };
  switch (unified) {
    case "stop":
    case "length":
    case "content-filter":
    case "tool-calls":
    case "error":
      return { finishReason: withRaw(unified), interrupted: false };
    case "interrupted":
      return { finishReason: withRaw("other"), interrupted: true };
    default:
      return { finishReason: withRaw("other"), interrupted: false };
  }
}

function warningText(warning: unknown): string {
  const w = (typeof warning === "object" && warning !== null ? warning : {}) as Record<string, unknown>;
  const str = (value: unknown) => (typeof value === "string" ? value : undefined);
  const tool = w.tool as { name?: unknown } | undefined;
  const what = str(w.feature) ?? str(w.setting) ?? str(tool?.name);
  const why = str(w.details) ?? str(w.message);
  return [str(w.type) ?? "warning", what, why].filter((s) => s !== undefined).join(": ");
}

/**
 * What of a tool call's provider metadata the next turns must send back, kept on the call (as the AI
 * SDK's own loop sends it all back): a Gemini thought signature (`google`, `vertex`: Gemini refuses a
 * function call of a thinking model without it). The rest (Anthropic's caller, OpenAI's item id) is
 * left out of the journal, as the adapter does for reasoning's other metadata.
 */
function callMetadata(metadata: SharedV4ProviderMetadata | undefined): ToolCall["providerMetadata"] {
  let kept: Record<string, { thoughtSignature: string }> | undefined;
  for (const [key, values] of Object.entries(metadata ?? {})) {
    const signature = values?.thoughtSignature;
    if (typeof signature === "string") kept = { ...kept, [key]: { thoughtSignature: signature } };
  }
  return kept;
}
