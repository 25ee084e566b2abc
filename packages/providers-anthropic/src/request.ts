import type Anthropic from "@anthropic-ai/sdk";
import type { ModelRequest } from "@loom/core";
import { toolResultContent, userBlocks } from "./attachments.js";
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
  warnings: string[] = [],
): Omit<MessageParams, "stream"> {
  const system: string[] = [];
  const messages: MessageParam[] = [];
  const { settings } = request;
  const cache = settings.cache;
  const cachedIndexes = new Set(
    cache?.messages === "last" ? [request.messages.length - 1] : (cache?.messages ?? []),
  );
  // The last block each cached message produced: its breakpoint goes there.
  const breakpoints: BlockParam[] = [];
  let systemBreakpoint = false;
  const push = (role: "user" | "assistant", blocks: BlockParam[]) => {
    const last = messages.at(-1);
    if (last && last.role === role && Array.isArray(last.content)) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const [index, message] of request.messages.entries()) {
    const last = messages.at(-1)?.content;
    const before = Array.isArray(last) ? last.at(-1) : undefined;
    switch (message.role) {
      case "system":
        system.push(message.content);
        if (cachedIndexes.has(index)) systemBreakpoint = true;
        break;
      case "user":
        push("user", userBlocks(message));
        break;
      case "tool":
        push("user", [
          {
            type: "tool_result",
            tool_use_id: message.callId,
            content: toolResultContent(message),
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
    if (message.role !== "system" && cachedIndexes.has(index)) {
      const content = messages.at(-1)?.content;
      const block = Array.isArray(content) ? content.at(-1) : undefined;
      if (block !== undefined && block !== before) breakpoints.push(block);
    }
  }
  for (const block of breakpoints) markCached(block);
  // A user message that is only text goes as a plain string, the API's short form.
  for (const message of messages) {
    const blocks = message.content;
    if (
      message.role === "user" &&
      Array.isArray(blocks) &&
      blocks.length === 1 &&
      blocks[0]?.type === "text" &&
      !("cache_control" in blocks[0])
    ) {
      message.content = blocks[0].text;
    }
  }
  const extra = settings.providerOptions?.anthropic;
  const systemText = system.join("\n\n");
  const cacheSystem = (cache?.system === true || systemBreakpoint) && system.length > 0;
  const tools: Anthropic.Messages.Tool[] = request.tools.map((tool) => ({
    name: tool.name,
    description: tool.description,
    input_schema: tool.inputSchema as Anthropic.Messages.Tool.InputSchema,
  }));
  const lastTool = tools.at(-1);
  if (cache?.tools === true && lastTool) lastTool.cache_control = { type: "ephemeral" };
  const count = breakpoints.length + (cacheSystem ? 1 : 0) + (cache?.tools === true && lastTool ? 1 : 0);
  if (count > 4)
    warnings.push(`settings.cache asks for ${count} cache breakpoints; the Messages API accepts at most 4.`);
  if (settings.seed !== undefined) warnings.push("The Messages API has no seed: settings.seed was not sent.");
  if (settings.reasoning !== undefined)
    warnings.push(
      "The Messages API has no reasoning effort or summary: settings.reasoning was not sent (use the provider's thinking option).",
    );
  const toolChoice = anthropicToolChoice(settings, tools.length > 0, warnings);
  return {
    model: options.model,
    max_tokens: settings.maxOutputTokens ?? options.defaultMaxTokens,
    messages,
    ...(system.length > 0
      ? {
          system: cacheSystem
            ? [{ type: "text" as const, text: systemText, cache_control: { type: "ephemeral" as const } }]
            : systemText,
        }
      : {}),
    ...(tools.length > 0 ? { tools } : {}),
    ...(toolChoice !== undefined ? { tool_choice: toolChoice } : {}),
    ...(settings.responseFormat !== undefined
      ? {
          output_config: {
            format: { type: "json_schema" as const, schema: { ...settings.responseFormat.schema } },
          },
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

function markCached(block: BlockParam): void {
  if (block.type === "redacted_thinking" || block.type === "thinking") return;
  (block as { cache_control?: Anthropic.Messages.CacheControlEphemeral }).cache_control = {
    type: "ephemeral",
  };
}

/** `toolChoice` and `parallelToolCalls` as the API's `tool_choice`. */
function anthropicToolChoice(
  settings: ModelRequest["settings"],
  hasTools: boolean,
  warnings: string[],
): Anthropic.Messages.ToolChoice | undefined {
  const choice = settings.toolChoice;
  if (!hasTools) {
    if (choice !== undefined && choice !== "none")
      warnings.push("The request has no tools: settings.toolChoice was not sent.");
    return undefined;
  }
  const serial = settings.parallelToolCalls === false ? { disable_parallel_tool_use: true } : {};
  if (choice === "none") {
    if (settings.parallelToolCalls !== undefined)
      warnings.push('settings.parallelToolCalls means nothing with toolChoice "none": it was not sent.');
    return { type: "none" };
  }
  if (choice === undefined)
    return settings.parallelToolCalls === false ? { type: "auto", ...serial } : undefined;
  if (choice === "auto") return { type: "auto", ...serial };
  if (choice === "required") return { type: "any", ...serial };
  return { type: "tool", name: choice.tool, ...serial };
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
