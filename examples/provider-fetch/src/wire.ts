import type {
  AssistantMessage,
  FinishReason,
  Message,
  ModelRequest,
  ProviderStreamPart,
  ToolCall,
  Usage,
} from "@loom/core";

/** The Chat Completions wire format: Loom's request as a body, and chunks and completions as parts. */

type Json = Record<string, unknown>;
const obj = (value: unknown): Json => (typeof value === "object" && value !== null ? (value as Json) : {});
const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === "number" ? value : undefined);

function chatMessage(message: Message): Json {
  switch (message.role) {
    case "tool":
      return { role: "tool", tool_call_id: message.callId, content: message.content };
    case "assistant": {
      const calls = message.toolCalls ?? [];
      if (calls.length === 0) return { role: "assistant", content: message.content };
      return {
        role: "assistant",
        content: message.content === "" ? null : message.content,
        tool_calls: calls.map((call) => ({
          id: call.id,
          type: "function",
          function: { name: call.name, arguments: call.arguments },
        })),
      };
    }
    default:
      return { role: message.role, content: message.content };
  }
}

/**
 * The body for a Loom request. Every setting is sent (`maxOutputTokens` as `max_completion_tokens`,
 * the one every current model takes), and `settings.providerOptions.openai` goes in as it is, last.
 * A stream asks for usage: without `stream_options.include_usage` the API reports none.
 */
export function chatBody(model: string, request: ModelRequest, stream: boolean): Json {
  const { settings } = request;
  return {
    model,
    messages: request.messages.map(chatMessage),
    ...(request.tools.length > 0
      ? {
          tools: request.tools.map((tool) => ({
            type: "function",
            function: { name: tool.name, description: tool.description, parameters: tool.inputSchema },
          })),
        }
      : {}),
    ...(settings.maxOutputTokens !== undefined ? { max_completion_tokens: settings.maxOutputTokens } : {}),
    ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
    ...(settings.topP !== undefined ? { top_p: settings.topP } : {}),
    ...(settings.stopSequences?.length ? { stop: [...settings.stopSequences] } : {}),
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    ...obj(settings.providerOptions?.openai),
  };
}

/** What a whole answer adds up to, kept while its chunks stream by. */
export class ChatAnswer {
  private content = "";
  private refusal = "";
  private reasoning = "";
  private readonly calls: ToolCall[] = [];
  private usage: Json | undefined;
  private finish: string | undefined;

  /** The parts one chunk (or a whole completion's message, as one big delta) brings. */
  *take(chunk: Json): Generator<ProviderStreamPart> {
    if (chunk.usage) this.usage = obj(chunk.usage);
    const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
    const choice = obj(choices[0]);
    const delta = obj(choice.delta ?? choice.message);
    const reasoning = str(delta.reasoning_content);
    if (reasoning) {
      this.reasoning += reasoning;
      yield { type: "reasoning-delta", delta: reasoning };
    }
    const content = str(delta.content);
    if (content) {
      this.content += content;
      yield { type: "text-delta", delta: content };
    }
    this.refusal += str(delta.refusal) ?? "";
    for (const [position, raw] of (Array.isArray(delta.tool_calls) ? delta.tool_calls : []).entries()) {
      const call = obj(raw);
      const fn = obj(call.function);
      const index = num(call.index) ?? position;
      const argsDelta = str(fn.arguments) ?? "";
      const current = this.calls[index];
      if (!current) {
        const id = str(call.id) ?? "";
        const name = str(fn.name) ?? "";
        this.calls[index] = { id, name, arguments: argsDelta };
        yield { type: "tool-call-delta", index, callId: id, name, argsDelta };
      } else if (argsDelta !== "") {
        current.arguments += argsDelta;
        yield { type: "tool-call-delta", index, argsDelta };
      }
    }
    const finish = str(choice.finish_reason);
    if (finish) this.finish = finish;
  }

  /** The finish part, or undefined if no chunk said why the answer ended (it broke off). */
  finishPart(requestId: string | undefined): ProviderStreamPart | undefined {
    if (this.finish === undefined) return undefined;
    const toolCalls = this.calls.filter((call) => call !== undefined);
    const message: AssistantMessage = {
      role: "assistant",
      content: this.content,
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
      ...(this.reasoning ? { reasoning: [{ text: this.reasoning }] } : {}),
      ...(this.refusal ? { refusal: this.refusal } : {}),
    };
    return {
      type: "finish",
      message,
      usage: chatUsage(this.usage),
      finishReason: finishReason(this.finish, this.refusal !== ""),
      ...(requestId ? { requestId } : {}),
    };
  }
}

function chatUsage(usage: Json | undefined): Usage {
  if (!usage) return { inputTokens: 0, outputTokens: 0 };
  const reasoningTokens = num(obj(usage.completion_tokens_details).reasoning_tokens);
  const cachedInputTokens = num(obj(usage.prompt_tokens_details).cached_tokens);
  return {
    inputTokens: num(usage.prompt_tokens) ?? 0,
    outputTokens: num(usage.completion_tokens) ?? 0,
    ...(reasoningTokens !== undefined ? { reasoningTokens } : {}),
    ...(cachedInputTokens !== undefined ? { cachedInputTokens } : {}),
  };
}

const UNIFIED: Readonly<Record<string, FinishReason["unified"]>> = {
  stop: "stop",
  length: "length",
  tool_calls: "tool-calls",
  function_call: "tool-calls",
  content_filter: "content-filter",
};

function finishReason(raw: string, refused: boolean): FinishReason {
  return { unified: refused ? "refusal" : (UNIFIED[raw] ?? "other"), raw };
}

/**
 * The `data:` payloads of a server-sent-events body, as they complete. Events are split on a blank
 * line (`\n\n`, `\r\n\r\n`); comment lines and `event:` names are skipped.
 */
export async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    const events = buffer.split(/\r?\n\r?\n/);
    buffer = events.pop() ?? "";
    for (const event of events) {
      const data = event
        .split(/\r?\n/)
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).replace(/^ /, ""))
        .join("\n");
      if (data !== "") yield data;
    }
  }
}
