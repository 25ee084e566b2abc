import type { JSONSchema7, JSONValue } from "@ai-sdk/provider";
import {
  type Attachment,
  type Message,
  type ModelRequest,
  ProviderError,
  type ReasoningPart,
} from "@loom/core";

/** Options per provider, in the shape every specification version accepts. */
type ProviderOptions = Record<string, Record<string, JSONValue>>;

type ToolResultPart<T> = {
  type: "tool-result";
  toolCallId: string;
  toolName: string;
  output:
    | { type: "text"; value: string }
    | { type: "error-text"; value: string }
    | { type: "content"; value: ({ type: "text"; text: string } | T)[] };
};

type AssistantPart =
  | { type: "text"; text: string }
  | { type: "reasoning"; text: string; providerOptions?: ProviderOptions }
  | { type: "tool-call"; toolCallId: string; toolName: string; input: unknown };

/** A user's image or file in a v4 prompt: its data tagged as bytes or a URL. */
export type FilePartV4 = {
  type: "file";
  mediaType: string;
  filename?: string;
  data: { type: "data"; data: string } | { type: "url"; url: URL };
};

/** A user's image or file in a v2 or v3 prompt: base64 text or a URL, untagged. */
export type FilePartV2 = { type: "file"; mediaType: string; filename?: string; data: string | URL };

/** An image or file a tool returned, in a v3 tool result's `content` output. */
export type ToolFilePartV3 =
  | { type: "image-data"; data: string; mediaType: string }
  | { type: "image-url"; url: string }
  | { type: "file-data"; data: string; mediaType: string; filename?: string }
  | { type: "file-url"; url: string };

/** An image or file a tool returned, in a v2 tool result's `content` output: base64 only. */
export type ToolFilePartV2 = { type: "media"; data: string; mediaType: string };

/** An attachment as a specification version's file part; `index` names it in a refusal. */
export type FilePartOf<F> = (attachment: Attachment, index: number) => F;

/**
 * How a specification version writes attachments: a user's (`file`) and a tool result's
 * (`toolFile`, an item of its `content` output).
 */
export interface PartWriters<F, T> {
  file: FilePartOf<F>;
  toolFile: FilePartOf<T>;
}

/**
 * The part of the AI SDK's prompt Loom's messages use: the same in v2, v3 and v4 but for the
 * user's file parts (`F`).
 */
type PromptMessage<F, T> = (
  | { role: "system"; content: string }
  | { role: "user"; content: ({ type: "text"; text: string } | F)[] }
  | { role: "assistant"; content: AssistantPart[] }
  | { role: "tool"; content: ToolResultPart<T>[] }
) & { providerOptions?: ProviderOptions };

type ToolChoice = { type: "auto" | "none" | "required" } | { type: "tool"; toolName: string };

/** Call options every specification version (v2, v3, v4) accepts as they are. */
export interface CommonCallOptions<F, T> {
  prompt: PromptMessage<F, T>[];
  tools?: {
    type: "function";
    name: string;
    description: string;
    inputSchema: JSONSchema7;
    providerOptions?: ProviderOptions;
  }[];
  toolChoice?: ToolChoice;
  seed?: number;
  headers?: Record<string, string>;
  responseFormat?: { type: "json"; schema: JSONSchema7; name: string; description?: string };
  /** v4 only. */
  reasoning?: "none" | "minimal" | "low" | "medium" | "high" | "xhigh";
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  stopSequences?: string[];
  providerOptions?: ProviderOptions;
  abortSignal: AbortSignal;
}

/**
 * A Loom request as AI SDK call options. The prompt uses only what every specification version
 * (v2, v3, v4) has in common: system text, user text and files (as `filePart` writes them for the
 * version), assistant text, reasoning and tool calls, and tool results as text or error text.
 */
export function callOptions<F, T>(
  request: ModelRequest,
  providerKey: string,
  signal: AbortSignal,
  specificationVersion: "v2" | "v3" | "v4",
  warnings: string[],
  writers: PartWriters<F, T>,
): CommonCallOptions<F, T> {
  const { settings } = request;
  const tools: Tools = request.tools.map((tool) => ({
    type: "function",
    name: tool.name,
    description: tool.description,
    inputSchema: tool.inputSchema as JSONSchema7,
  }));
  const messages = prompt(request.messages, providerKey, writers);
  // Settings the AI SDK has no common option for go as the provider's own option where Loom knows its name.
  const mapped: Record<string, JSONValue> = {};
  const anthropic = providerKey === "anthropic";
  const openai = providerKey === "openai" || providerKey === "azure";
  if (settings.parallelToolCalls !== undefined) {
    if (anthropic) mapped.disableParallelToolUse = !settings.parallelToolCalls;
    else if (openai) mapped.parallelToolCalls = settings.parallelToolCalls;
    else
      warnings.push(
        `The AI SDK has no common option for parallel tool calls and Loom knows no "${providerKey}" option for it: settings.parallelToolCalls was not sent.`,
      );
  }
  const reasoning = settings.reasoning;
  if (reasoning?.effort !== undefined && specificationVersion !== "v4") {
    if (openai) mapped.reasoningEffort = reasoning.effort;
    else
      warnings.push(
        `A ${specificationVersion} AI SDK model has no reasoning option: settings.reasoning.effort was not sent.`,
      );
  }
  if (reasoning?.summary !== undefined) {
    if (openai) mapped.reasoningSummary = reasoning.summary;
    else
      warnings.push(
        "The AI SDK has no common reasoning summary option: settings.reasoning.summary was not sent.",
      );
  }
  const cache = settings.cache;
  if (cache !== undefined) {
    if (anthropic) markCached(messages, tools, cache, request.messages.length);
    else if (!openai)
      warnings.push(
        `Loom maps cache breakpoints only for Anthropic models: settings.cache was not sent to "${providerKey}".`,
      );
  }
  if (tools.length === 0 && settings.toolChoice !== undefined && settings.toolChoice !== "none")
    warnings.push("The request has no tools: settings.toolChoice was not sent.");
  const providerOptions = withMapped(jsonProviderOptions(settings.providerOptions), providerKey, mapped);
  const headers = settings.headers;
  return {
    prompt: messages,
    ...(tools.length > 0 ? { tools } : {}),
    ...(tools.length > 0 && settings.toolChoice !== undefined
      ? {
          toolChoice:
            typeof settings.toolChoice === "string"
              ? { type: settings.toolChoice }
              : { type: "tool" as const, toolName: settings.toolChoice.tool },
        }
      : {}),
    ...(settings.seed !== undefined ? { seed: settings.seed } : {}),
    ...(settings.responseFormat !== undefined
      ? {
          responseFormat: {
            type: "json" as const,
            schema: settings.responseFormat.schema as JSONSchema7,
            name: settings.responseFormat.name,
            ...(settings.responseFormat.description !== undefined
              ? { description: settings.responseFormat.description }
              : {}),
          },
        }
      : {}),
    ...(headers !== undefined && Object.keys(headers).length > 0 ? { headers: { ...headers } } : {}),
    ...(reasoning?.effort !== undefined && specificationVersion === "v4"
      ? { reasoning: reasoning.effort }
      : {}),
    ...(settings.maxOutputTokens !== undefined ? { maxOutputTokens: settings.maxOutputTokens } : {}),
    ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
    ...(settings.topP !== undefined ? { topP: settings.topP } : {}),
    ...(settings.stopSequences !== undefined ? { stopSequences: [...settings.stopSequences] } : {}),
    ...(providerOptions !== undefined ? { providerOptions } : {}),
    abortSignal: signal,
  };
}

/** The options Loom mapped, under the provider's key; what the user set there wins. */
function withMapped(
  options: ProviderOptions | undefined,
  providerKey: string,
  mapped: Record<string, JSONValue>,
): ProviderOptions | undefined {
  if (Object.keys(mapped).length === 0) return options;
  return { ...options, [providerKey]: { ...mapped, ...options?.[providerKey] } };
}

const EPHEMERAL: ProviderOptions = { anthropic: { cacheControl: { type: "ephemeral" } } };

type Tools = NonNullable<CommonCallOptions<never, never>["tools"]>;

/** Anthropic cache breakpoints as `@ai-sdk/anthropic`'s `cacheControl` on messages and the last tool. */
function markCached<F, T>(
  messages: PromptMessage<F, T>[],
  tools: Tools,
  cache: NonNullable<ModelRequest["settings"]["cache"]>,
  count: number,
): void {
  const lastTool = tools.at(-1);
  if (cache.tools === true && lastTool) lastTool.providerOptions = EPHEMERAL;
  if (cache.system === true) {
    const lastSystem = messages.findLast((m) => m.role === "system");
    if (lastSystem) lastSystem.providerOptions = EPHEMERAL;
  }
  const indexes = cache.messages === "last" ? [count - 1] : (cache.messages ?? []);
  for (const index of indexes) {
    const message = messages.find((m) => sourceIndex.get(m)?.includes(index));
    if (message) message.providerOptions = EPHEMERAL;
  }
}

/** Which of Loom's messages each prompt message holds (tool results of one turn share one). */
const sourceIndex = new WeakMap<object, number[]>();

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

function prompt<F, T>(
  messages: readonly Message[],
  providerKey: string,
  writers: PartWriters<F, T>,
): PromptMessage<F, T>[] {
  const out: PromptMessage<F, T>[] = [];
  const toolNames = new Map<string, string>();
  for (const [index, message] of messages.entries()) {
    const length = out.length;
    switch (message.role) {
      case "system":
        out.push({ role: "system", content: message.content });
        break;
      case "user":
        out.push({
          role: "user",
          content: [
            ...(message.content !== "" || !message.attachments?.length
              ? [{ type: "text" as const, text: message.content }]
              : []),
            ...(message.attachments ?? []).map(writers.file),
          ],
        });
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
            ...(call.providerMetadata ? { providerOptions: call.providerMetadata as ProviderOptions } : {}),
          });
        }
        out.push({ role: "assistant", content });
        break;
      }
      case "tool": {
        const attachments = message.attachments ?? [];
        const result: ToolResultPart<T> = {
          type: "tool-result",
          toolCallId: message.callId,
          toolName: message.name || toolNames.get(message.callId) || "",
          // With images or files the result is `content`, even an error: the text alone would drop them.
          output:
            attachments.length > 0
              ? {
                  type: "content",
                  value: [
                    ...(message.content !== "" ? [{ type: "text" as const, text: message.content }] : []),
                    ...attachments.map(writers.toolFile),
                  ],
                }
              : message.isError
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
    const target = out.at(-1);
    if (target !== undefined && (out.length > length || message.role === "tool"))
      sourceIndex.set(target, [...(sourceIndex.get(target) ?? []), index]);
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

/** Attachments as v4 parts: a tool result's content items are the same file parts as a user's. */
export const writersV4 = (provider: string): PartWriters<FilePartV4, FilePartV4> => {
  const file = filePartV4(provider);
  return { file, toolFile: textOnlyToolsRefuse(provider, file) };
};

/** Attachments as v3 parts: user file parts, and a tool result's image or file data or URL items. */
export const writersV3 = (provider: string): PartWriters<FilePartV2, ToolFilePartV3> => ({
  file: filePartV2(provider),
  toolFile: textOnlyToolsRefuse(provider, (attachment, index) => {
    const from = fileSource(attachment, index, provider);
    const image = attachment.type === "image" || attachment.mediaType.startsWith("image/");
    if (from instanceof URL) {
      const url = from.toString();
      return image ? { type: "image-url", url } : { type: "file-url", url };
    }
    if (image) return { type: "image-data", data: from, mediaType: attachment.mediaType };
    return {
      type: "file-data",
      data: from,
      mediaType: attachment.mediaType,
      ...(attachment.filename !== undefined ? { filename: attachment.filename } : {}),
    };
  }),
});

/** Attachments as v2 parts: a tool result's `media` items carry base64 only, so a URL is refused. */
export const writersV2 = (provider: string): PartWriters<FilePartV2, ToolFilePartV2> => ({
  file: filePartV2(provider),
  toolFile: textOnlyToolsRefuse(provider, (attachment, index) => {
    const from = fileSource(attachment, index, provider);
    if (from instanceof URL) {
      throw refusedAttachment(
        `tool result attachment ${index} (${attachment.mediaType}) is at a URL, and a v2 model takes a tool's images and files as bytes only. Send the bytes as "data".`,
        provider,
      );
    }
    return { type: "media", data: from, mediaType: attachment.mediaType };
  }),
});

/**
 * A Chat Completions model (provider id "openai.chat", "<name>.chat") has text-only tool messages:
 * the AI SDK would send a tool's image as its base64 in JSON text, so it is refused instead.
 */
function textOnlyToolsRefuse<T>(provider: string, write: FilePartOf<T>): FilePartOf<T> {
  if (!provider.endsWith(".chat")) return write;
  return (attachment, index) => {
    throw refusedAttachment(
      `tool result attachment ${index} (${attachment.mediaType}): a Chat Completions model's tool messages take text only. Use a Responses model (openai.responses(...)), or have the tool return what the model needs as text.`,
      provider,
    );
  };
}

/** Attachments as v4 file parts: base64 data, or a URL. */
const filePartV4 =
  (provider: string): FilePartOf<FilePartV4> =>
  (attachment, index) => {
    const from = fileSource(attachment, index, provider);
    return {
      type: "file",
      mediaType: attachment.mediaType,
      ...(attachment.filename !== undefined ? { filename: attachment.filename } : {}),
      data: from instanceof URL ? { type: "url", url: from } : { type: "data", data: from },
    };
  };

/** Attachments as v2 or v3 file parts: base64 data, or a URL. */
const filePartV2 =
  (provider: string): FilePartOf<FilePartV2> =>
  (attachment, index) => ({
    type: "file",
    mediaType: attachment.mediaType,
    ...(attachment.filename !== undefined ? { filename: attachment.filename } : {}),
    data: fileSource(attachment, index, provider),
  });

/** The attachment's base64 data, else its URL parsed; neither, or a URL that does not parse, is refused. */
function fileSource(attachment: Attachment, index: number, provider: string): string | URL {
  if (attachment.data !== undefined) return attachment.data;
  const name = `attachment ${index} (${attachment.mediaType})`;
  if (attachment.url === undefined)
    throw refusedAttachment(`${name} has neither "url" nor "data".`, provider);
  try {
    return new URL(attachment.url);
  } catch {
    throw refusedAttachment(
      `${name}: its url is not a URL. Send an absolute URL, or the bytes as "data".`,
      provider,
    );
  }
}

function refusedAttachment(what: string, provider: string): ProviderError {
  return new ProviderError("bad_request", `AI SDK ${provider} cannot take this attachment: ${what}`, {
    provider,
    retryable: false,
  });
}
