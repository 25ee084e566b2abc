import type Anthropic from "@anthropic-ai/sdk";
import type { ModelRequest } from "@loom/core";
import type { ResolvedAnthropicOptions } from "./options.js";

type MessageParams = Anthropic.Messages.MessageCreateParamsNonStreaming;
type MessageParam = Anthropic.Messages.MessageParam;
type BlockParam = Anthropic.Messages.ContentBlockParam;

/**
 * Loom's request as a Messages API body (without `stream`). System messages become the `system`
 * parameter; consecutive tool results and user text become one user message with the
 * `tool_result` blocks first, as the API requires.
 */
export function messagesBody(
  request: ModelRequest,
  options: ResolvedAnthropicOptions,
): Omit<MessageParams, "stream"> {
  const system: string[] = [];
  const messages: MessageParam[] = [];
  const push = (role: "user" | "assistant", blocks: BlockParam[]) => {
    const last = messages.at(-1);
    if (last && last.role === role && Array.isArray(last.content)) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const message of request.messages) {
    switch (message.role) {
      case "system":
        system.push(message.content);
        break;
      case "user":
        push("user", [{ type: "text", text: message.content }]);
        break;
      case "tool":
        push("user", [
          {
            type: "tool_result",
            tool_use_id: message.callId,
            content: message.content,
            ...(message.isError ? { is_error: true } : {}),
          },
        ]);
        break;
      case "assistant": {
        const blocks: BlockParam[] = [];
        for (const part of message.reasoning ?? []) {
          if (part.redactedData !== undefined)
            blocks.push({ type: "redacted_thinking", data: part.redactedData });
          else if (part.signature !== undefined) {
            blocks.push({ type: "thinking", thinking: part.text, signature: part.signature });
          }
        }
        if (message.content !== "") blocks.push({ type: "text", text: message.content });
        for (const call of message.toolCalls ?? []) {
          blocks.push({ type: "tool_use", id: call.id, name: call.name, input: parseInput(call.arguments) });
        }
        if (blocks.length > 0) push("assistant", blocks);
        break;
      }
    }
  }
  // A user message that is only text goes as a plain string, the API's short form.
  for (const message of messages) {
    const blocks = message.content;
    if (
      message.role === "user" &&
      Array.isArray(blocks) &&
      blocks.length === 1 &&
      blocks[0]?.type === "text"
    ) {
      message.content = blocks[0].text;
    }
  }
  const { settings } = request;
  const extra = settings.providerOptions?.anthropic;
  return {
    model: options.model,
    max_tokens: settings.maxOutputTokens ?? options.defaultMaxTokens,
    messages,
    ...(system.length > 0 ? { system: system.join("\n\n") } : {}),
    ...(request.tools.length > 0
      ? {
          tools: request.tools.map((tool) => ({
            name: tool.name,
            description: tool.description,
            input_schema: tool.inputSchema as Anthropic.Messages.Tool.InputSchema,
          })),
        }
      : {}),
    ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
    ...(settings.topP !== undefined ? { top_p: settings.topP } : {}),
    ...(settings.stopSequences?.length ? { stop_sequences: [...settings.stopSequences] } : {}),
    ...(options.thinking
      ? { thinking: { type: "enabled", budget_tokens: options.thinking.budgetTokens } }
      : {}),
    ...(typeof extra === "object" && extra !== null && !Array.isArray(extra) ? extra : {}),
  };
}

/** Tool arguments are raw JSON text in Loom; the API wants an object. Bad JSON goes as `{}`. */
function parseInput(args: string): Record<string, unknown> {
  if (args.trim() === "") return {};
  try {
    const value: unknown = JSON.parse(args);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
