import type { JSONSchema7, JSONValue } from "@ai-sdk/provider";
import type { Message, ModelRequest, ReasoningPart } from "@loom/core";

/** Options per provider, in the shape every specification version accepts. */
type ProviderOptions = Record<string, Record<string, JSONValue>>;

type ToolResultPart = {
  type: "tool-result";
  toolCallId: string;
  toolName: string;
  output: { type: "text"; value: string } | { type: "error-text"; value: string };
};

type AssistantPart =
  | { type: "text"; text: string }
  | { type: "reasoning"; text: string; providerOptions?: ProviderOptions }
  | { type: "tool-call"; toolCallId: string; toolName: string; input: unknown };

/** The part of the AI SDK's prompt Loom's messages use: the same in v2, v3 and v4. */
type PromptMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: { type: "text"; text: string }[] }
  | { role: "assistant"; content: AssistantPart[] }
  | { role: "tool"; content: ToolResultPart[] };

/** Call options every specification version (v2, v3, v4) accepts as they are. */
export interface CommonCallOptions {
  prompt: PromptMessage[];
  tools?: { type: "function"; name: string; description: string; inputSchema: JSONSchema7 }[];
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  stopSequences?: string[];
  providerOptions?: ProviderOptions;
  abortSignal: AbortSignal;
}

/**
 * A Loom request as AI SDK call options. The prompt uses only what every specification version
 * (v2, v3, v4) has in common: system text, user text, assistant text, reasoning and tool calls,
 * and tool results as text or error text.
 */
export function callOptions(
  request: ModelRequest,
  providerKey: string,
  signal: AbortSignal,
): CommonCallOptions {
  const { settings } = request;
  const tools: NonNullable<CommonCallOptions["tools"]> = request.tools.map((tool) => ({
    type: "function",
    name: tool.name,
    description: tool.description,
    inputSchema: tool.inputSchema as JSONSchema7,
  }));
  const providerOptions = jsonProviderOptions(settings.providerOptions);
  return {
    prompt: prompt(request.messages, providerKey),
    ...(tools.length > 0 ? { tools } : {}),
    ...(settings.maxOutputTokens !== undefined ? { maxOutputTokens: settings.maxOutputTokens } : {}),
    ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
    ...(settings.topP !== undefined ? { topP: settings.topP } : {}),
    ...(settings.stopSequences !== undefined ? { stopSequences: [...settings.stopSequences] } : {}),
    ...(providerOptions !== undefined ? { providerOptions } : {}),
    abortSignal: signal,
  };
}

/** `settings.providerOptions` is the AI SDK's `providerOptions`: an object of options per provider. */
function jsonProviderOptions(
  options: Readonly<Record<string, unknown>> | undefined,
): ProviderOptions | undefined {
  if (options === undefined) return undefined;
  const out: ProviderOptions = {};
  for (const [key, value] of Object.entries(options)) {
    if (typeof value === "object" && value !== null && !Array.isArray(value))
      out[key] = value as Record<string, JSONValue>;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function prompt(messages: readonly Message[], providerKey: string): PromptMessage[] {
  const out: PromptMessage[] = [];
  const toolNames = new Map<string, string>();
  for (const message of messages) {
    switch (message.role) {
      case "system":
        out.push({ role: "system", content: message.content });
        break;
      case "user":
        out.push({ role: "user", content: [{ type: "text", text: message.content }] });
        break;
      case "assistant": {
        const content: AssistantPart[] = [];
        for (const part of message.reasoning ?? []) {
          const metadata = reasoningMetadata(part);
          content.push({
            type: "reasoning",
            text: part.text,
            ...(metadata ? { providerOptions: { [providerKey]: metadata } } : {}),
          });
        }
        if (message.content !== "") content.push({ type: "text", text: message.content });
        for (const call of message.toolCalls ?? []) {
          toolNames.set(call.id, call.name);
          content.push({
            type: "tool-call",
            toolCallId: call.id,
            toolName: call.name,
            input: toolInput(call.arguments),
          });
        }
        out.push({ role: "assistant", content });
        break;
      }
      case "tool": {
        const result: ToolResultPart = {
          type: "tool-result",
          toolCallId: message.callId,
          toolName: message.name || toolNames.get(message.callId) || "",
          output: message.isError
            ? { type: "error-text", value: message.content }
            : { type: "text", value: message.content },
        };
        // The results of one turn go in one tool message.
        const last = out.at(-1);
        if (last?.role === "tool") last.content.push(result);
        else out.push({ role: "tool", content: [result] });
        break;
      }
    }
  }
  return out;
}

/** What a provider needs back with its reasoning, under the AI SDK's names for it. */
function reasoningMetadata(part: ReasoningPart): Record<string, JSONValue> | undefined {
  const metadata: Record<string, JSONValue> = {
    ...(part.signature !== undefined ? { signature: part.signature } : {}),
    ...(part.redactedData !== undefined ? { redactedData: part.redactedData } : {}),
    ...(part.id !== undefined ? { itemId: part.id } : {}),
    ...(part.encryptedContent !== undefined ? { reasoningEncryptedContent: part.encryptedContent } : {}),
  };
  return Object.keys(metadata).length > 0 ? metadata : undefined;
}

/** Tool arguments as the AI SDK's prompt holds them: parsed JSON; text that is not JSON stays text. */
function toolInput(args: string): unknown {
  if (args.trim() === "") return {};
  try {
    return JSON.parse(args);
  } catch {
    return args;
  }
}
