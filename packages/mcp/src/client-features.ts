import { fileURLToPath } from "node:url";
import {
  type AssistantMessage,
  type Attachment,
  ConfigError,
  type Message,
  type ModelRequest,
  type Provider,
  type Usage,
} from "@loom/core";
import { ErrorCode, McpError as SdkMcpError } from "@modelcontextprotocol/sdk/types.js";
import { describeBlock, type McpContentBlock } from "./result.js";
import { argumentsSchema } from "./schema.js";

/**
 * Answering a server's `sampling/createMessage` (a server asking the client's model for a completion)
 * with a Loom provider. The server spends your model's tokens: `approve` can ask a human first.
 */
export interface McpSamplingOptions {
  readonly provider: Provider;
  /** Asked before each request is sent to the model; `false` declines it (the server gets an error). */
  readonly approve?: (request: McpSamplingRequest) => boolean | Promise<boolean>;
  /** The most output tokens one request may ask for; the server's `maxTokens` above it is lowered. */
  readonly maxTokens?: number;
}

/** A server's sampling request, as the model will get it. */
export interface McpSamplingRequest {
  /** The connection's name. */
  readonly server: string;
  /** The request for the provider: the server's system prompt and messages, its `maxTokens` and settings. */
  readonly request: ModelRequest;
  /** The server's model preferences (hints and priorities), for an app that picks the model itself. */
  readonly modelPreferences: Readonly<Record<string, unknown>> | undefined;
  readonly signal: AbortSignal;
}

/** A server asking the user for input (`elicitation/create`, form mode). */
export interface McpElicitationRequest {
  readonly server: string;
  /** What the server asks, for the user. */
  readonly message: string;
  /** A flat JSON Schema of the answer (strings, numbers, booleans, enums). */
  readonly requestedSchema: Readonly<Record<string, unknown>>;
  /** Aborted when the server gives up on the request (or the connection closes). */
  readonly signal: AbortSignal;
}

/** The user's answer: accepted with content matching `requestedSchema`, declined, or dismissed. */
export type McpElicitationResult =
  | {
      readonly action: "accept";
      readonly content: Readonly<Record<string, string | number | boolean | readonly string[]>>;
    }
  | { readonly action: "decline" }
  | { readonly action: "cancel" };

/** A folder the server may work in (`roots/list`). */
export interface McpRoot {
  /** A `file://` URI (`pathToFileURL(folder).href`). */
  readonly uri: string;
  readonly name?: string;
}

/** The MCP result of a sampling request, from the provider's answer. */
interface SamplingResult {
  [key: string]: unknown;
  role: "assistant";
  content: { type: "text"; text: string };
  model: string;
  stopReason: string;
}

/** What a server sends in `sampling/createMessage`, as far as Loom reads it. */
export interface SamplingParams {
  readonly messages: readonly { readonly role: "user" | "assistant"; readonly content: unknown }[];
  readonly systemPrompt?: string | undefined;
  readonly maxTokens: number;
  readonly temperature?: number | undefined;
  readonly stopSequences?: readonly string[] | undefined;
  readonly modelPreferences?: Readonly<Record<string, unknown>> | undefined;
  readonly tools?: readonly unknown[] | undefined;
}

/** `sampling` as given (a provider alone, or options), checked. */
export function samplingOptions(
  sampling: Provider | McpSamplingOptions | undefined,
): McpSamplingOptions | undefined {
  if (sampling === undefined) return undefined;
  const options = "doStream" in sampling ? { provider: sampling } : sampling;
  if (!options.provider || typeof options.provider.doStream !== "function") {
    throw new ConfigError(
      "connectMcp: sampling takes a Loom provider (e.g. new OpenAIProvider(...)) or { provider, approve?, maxTokens? }.",
    );
  }
  if (options.maxTokens !== undefined && !(Number.isInteger(options.maxTokens) && options.maxTokens > 0)) {
    throw new ConfigError(
      `connectMcp: sampling.maxTokens must be a positive integer, got ${options.maxTokens}.`,
    );
  }
  return options;
}

/**
 * Answers one sampling request with the provider (after `approve`, when given); `spent` hears the
 * answer's tokens.
 */
export async function sample(
  server: string,
  options: McpSamplingOptions,
  params: SamplingParams,
  signal: AbortSignal,
  spent: (usage: Usage) => void,
): Promise<SamplingResult> {
  if (params.tools !== undefined) {
    // Loom declares sampling without tools, so a server must not send them (MCP spec).
    throw new SdkMcpError(ErrorCode.InvalidParams, "This client does not take tools in sampling requests.");
  }
  const maxTokens = Math.min(params.maxTokens, options.maxTokens ?? Number.POSITIVE_INFINITY);
  const messages: Message[] = [];
  if (params.systemPrompt) messages.push({ role: "system", content: params.systemPrompt });
  for (const message of params.messages) messages.push(samplingMessage(message));
  const request: ModelRequest = {
    messages,
    tools: [],
    settings: {
      maxOutputTokens: maxTokens,
      ...(params.temperature !== undefined ? { temperature: params.temperature } : {}),
      ...(params.stopSequences !== undefined ? { stopSequences: [...params.stopSequences] } : {}),
    },
  };
  if (options.approve) {
    const approved = await options.approve({
      server,
      request,
      modelPreferences: params.modelPreferences,
      signal,
    });
    // -1: the code the MCP spec's examples give a user's rejection of a sampling request.
    if (!approved) throw new SdkMcpError(-1, "The user declined the sampling request.");
  }
  let answer: { message: AssistantMessage; finish: string } | undefined;
  for await (const part of options.provider.doStream(request, { signal })) {
    if (part.type !== "finish") continue;
    answer = { message: part.message, finish: part.finishReason.unified };
    spent(part.usage);
  }
  if (!answer) throw new SdkMcpError(ErrorCode.InternalError, "The model's answer ended without finishing.");
  return {
    role: "assistant",
    content: { type: "text", text: answer.message.content },
    model: options.provider.modelId,
    stopReason:
      answer.finish === "stop" ? "endTurn" : answer.finish === "length" ? "maxTokens" : answer.finish,
  };
}

/** A sampling message as a Loom message: text, images as a user message's attachments, audio described. */
function samplingMessage(message: SamplingParams["messages"][number]): Message {
  const blocks = (Array.isArray(message.content) ? message.content : [message.content]) as McpContentBlock[];
  const texts: string[] = [];
  const attachments: Attachment[] = [];
  for (const block of blocks) {
    const b = block as Record<string, unknown>;
    if (block.type === "text") texts.push(String(b.text ?? ""));
    else if (
      message.role === "user" &&
      block.type === "image" &&
      typeof b.data === "string" &&
      typeof b.mimeType === "string"
    ) {
      attachments.push({ type: "image", mediaType: b.mimeType, data: b.data });
    } else texts.push(describeBlock(block).text);
  }
  const content = texts.join("\n\n");
  if (message.role === "assistant") return { role: "assistant", content };
  return attachments.length > 0 ? { role: "user", content, attachments } : { role: "user", content };
}

/**
 * Checks what the app's `onElicitation` returned: an accepted answer must match the server's
 * schema, so a server never gets an answer it did not ask for.
 */
export function checkedElicitation(
  result: McpElicitationResult,
  requestedSchema: Readonly<Record<string, unknown>>,
): McpElicitationResult {
  if (result?.action === "decline" || result?.action === "cancel") return { action: result.action };
  if (result?.action !== "accept") {
    throw new SdkMcpError(
      ErrorCode.InternalError,
      'onElicitation must return { action: "accept", content }, { action: "decline" } or { action: "cancel" }.',
    );
  }
  const checked = argumentsSchema({ ...requestedSchema }).safeParse(result.content ?? {});
  if (!checked.success) {
    const reason = checked.error.issues[0]?.message.replace(/\barguments\b/g, "content") ?? "invalid";
    throw new SdkMcpError(
      ErrorCode.InternalError,
      `The answer does not match the requested schema: ${reason}.`,
    );
  }
  return { action: "accept", content: result.content };
}

/** `roots` checked: file URIs (a folder path is a `ConfigError` saying how to make one). */
export function checkedRoots(roots: readonly McpRoot[], where: string): McpRoot[] {
  if (!Array.isArray(roots)) {
    throw new ConfigError(`${where}: roots is a list of { uri: "file:///...", name? }.`);
  }
  return roots.map((root, i) => {
    let path: string | undefined;
    try {
      path = fileURLToPath(root?.uri);
    } catch {
      path = undefined;
    }
    if (path === undefined) {
      throw new ConfigError(
        `${where}: roots[${i}].uri must be a file:// URI, got ${JSON.stringify(root?.uri)}. For a folder, pass pathToFileURL(folder).href (node:url).`,
      );
    }
    return { uri: root.uri, ...(root.name !== undefined ? { name: String(root.name) } : {}) };
  });
}
