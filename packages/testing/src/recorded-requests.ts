import type { Message, ModelRequest, ModelSettings, ToolCall, ToolSpec } from "@loom/core";

/**
 * Recorded request bodies read back as Loom requests, so a case replays the same conversation the
 * recording's client sent; and the "shape" of a body (model, messages, tools, with what the APIs
 * treat as equal made equal) to compare what a provider sent with what was recorded.
 */

type Json = Record<string, unknown>;
const obj = (value: unknown): Json => (typeof value === "object" && value !== null ? (value as Json) : {});
const arr = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const str = (value: unknown): string => (typeof value === "string" ? value : "");

function settingsFrom(body: Json, known: readonly string[], provider: string, maxKey: string): ModelSettings {
  const extra: Json = {};
  for (const [key, value] of Object.entries(body)) if (!known.includes(key)) extra[key] = value;
  return {
    ...(typeof body[maxKey] === "number" ? { maxOutputTokens: body[maxKey] as number } : {}),
    ...(typeof body.temperature === "number" ? { temperature: body.temperature } : {}),
    ...(Object.keys(extra).length > 0 ? { providerOptions: { [provider]: extra } } : {}),
  };
}

const textOf = (content: unknown): string =>
  typeof content === "string"
    ? content
    : arr(content)
        .map((part) => str(obj(part).text))
        .join("");

/** A Chat Completions body as a Loom request. */
export function chatRequestFromBody(body: unknown): ModelRequest {
  const b = obj(body);
  const messages: Message[] = arr(b.messages).map((raw): Message => {
    const m = obj(raw);
    const role = str(m.role);
    if (role === "tool") {
      return { role: "tool", callId: str(m.tool_call_id), name: "", content: textOf(m.content) };
    }
    if (role === "assistant") {
      const toolCalls: ToolCall[] = arr(m.tool_calls).map((c) => ({
        id: str(obj(c).id),
        name: str(obj(obj(c).function).name),
        arguments: str(obj(obj(c).function).arguments),
      }));
      return { role: "assistant", content: textOf(m.content), ...(toolCalls.length ? { toolCalls } : {}) };
    }
    return { role: role === "system" ? "system" : "user", content: textOf(m.content) };
  });
  const tools: ToolSpec[] = arr(b.tools).map((t) => {
    const f = obj(obj(t).function);
    return { name: str(f.name), description: str(f.description), inputSchema: obj(f.parameters) };
  });
  const known = [
    "model",
    "messages",
    "tools",
    "stream",
    "stream_options",
    "max_completion_tokens",
    "temperature",
  ];
  return {
    messages,
    tools,
    settings: settingsFrom(b, [...known, "tool_choice"], "openai", "max_completion_tokens"),
  };
}

/** A Responses API body as a Loom request. */
export function responsesRequestFromBody(body: unknown): ModelRequest {
  const b = obj(body);
  const messages: Message[] = [];
  if (str(b.instructions)) messages.push({ role: "system", content: str(b.instructions) });
  for (const raw of arr(b.input)) {
    const item = obj(raw);
    const type = str(item.type);
    if (type === "function_call") {
      const call = { id: str(item.call_id), name: str(item.name), arguments: str(item.arguments) };
      const last = messages.at(-1);
      if (last?.role === "assistant")
        messages[messages.length - 1] = { ...last, toolCalls: [...(last.toolCalls ?? []), call] };
      else messages.push({ role: "assistant", content: "", toolCalls: [call] });
    } else if (type === "function_call_output") {
      messages.push({ role: "tool", callId: str(item.call_id), name: "", content: str(item.output) });
    } else {
      const role = str(item.role);
      if (role === "assistant") messages.push({ role: "assistant", content: textOf(item.content) });
      else messages.push({ role: role === "system" ? "system" : "user", content: textOf(item.content) });
    }
  }
  const tools: ToolSpec[] = arr(b.tools).map((t) => {
    const f = obj(t);
    return { name: str(f.name), description: str(f.description), inputSchema: obj(f.parameters) };
  });
  const known = [
    "model",
    "input",
    "instructions",
    "tools",
    "stream",
    "max_output_tokens",
    "temperature",
    "tool_choice",
  ];
  return { messages, tools, settings: settingsFrom(b, known, "openai", "max_output_tokens") };
}

/** A Messages API body as a Loom request. */
export function anthropicRequestFromBody(body: unknown): ModelRequest {
  const b = obj(body);
  const messages: Message[] = [];
  if (b.system !== undefined) messages.push({ role: "system", content: textOf(b.system) });
  for (const raw of arr(b.messages)) {
    const m = obj(raw);
    const blocks =
      typeof m.content === "string" ? [{ type: "text", text: m.content }] : arr(m.content).map(obj);
    if (str(m.role) === "assistant") {
      const toolCalls: ToolCall[] = blocks
        .filter((block) => block.type === "tool_use")
        .map((block) => ({
          id: str(block.id),
          name: str(block.name),
          arguments: JSON.stringify(block.input),
        }));
      const text = blocks
        .filter((block) => block.type === "text")
        .map((block) => str(block.text))
        .join("");
      messages.push({ role: "assistant", content: text, ...(toolCalls.length ? { toolCalls } : {}) });
      continue;
    }
    for (const block of blocks) {
      if (block.type === "tool_result") {
        messages.push({
          role: "tool",
          callId: str(block.tool_use_id),
          name: "",
          content: textOf(block.content),
          ...(block.is_error === true ? { isError: true } : {}),
        });
      } else if (block.type === "text") messages.push({ role: "user", content: str(block.text) });
    }
  }
  const tools: ToolSpec[] = arr(b.tools).map((t) => {
    const f = obj(t);
    return { name: str(f.name), description: str(f.description), inputSchema: obj(f.input_schema) };
  });
  const known = [
    "model",
    "messages",
    "system",
    "tools",
    "stream",
    "max_tokens",
    "temperature",
    "tool_choice",
  ];
  return { messages, tools, settings: settingsFrom(b, known, "anthropic", "max_tokens") };
}

const parseArgs = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/** Model, messages and tools of a Chat Completions body; null and empty fields dropped, arguments parsed. */
export function chatRequestShape(body: unknown): unknown {
  const b = obj(body);
  return {
    model: b.model,
    messages: arr(b.messages).map((raw) => {
      const m = obj(raw);
      const content = textOf(m.content);
      return {
        role: m.role,
        ...(content ? { content } : {}),
        ...(m.tool_call_id ? { tool_call_id: m.tool_call_id } : {}),
        ...(arr(m.tool_calls).length
          ? {
              tool_calls: arr(m.tool_calls).map((c) => ({
                id: obj(c).id,
                name: obj(obj(c).function).name,
                arguments: parseArgs(str(obj(obj(c).function).arguments)),
              })),
            }
          : {}),
      };
    }),
    tools: arr(b.tools).map((t) => {
      const f = obj(obj(t).function);
      return { name: f.name, description: str(f.description), parameters: f.parameters };
    }),
  };
}

/** Model, input items and tools of a Responses body; empty assistant messages and instructions dropped. */
export function responsesRequestShape(body: unknown): unknown {
  const b = obj(body);
  const input = arr(b.input)
    .map(obj)
    .filter((item) => !(item.role === "assistant" && textOf(item.content) === ""))
    .map((item) =>
      item.type === "function_call"
        ? {
            type: item.type,
            call_id: item.call_id,
            name: item.name,
            arguments: parseArgs(str(item.arguments)),
          }
        : item.type
          ? item
          : { role: item.role, content: textOf(item.content) },
    );
  return {
    model: b.model,
    ...(str(b.instructions) ? { instructions: b.instructions } : {}),
    input,
    tools: arr(b.tools).map((t) => {
      const f = obj(t);
      return { name: f.name, description: str(f.description), parameters: f.parameters };
    }),
  };
}

/**
 * System, messages and tools of a Messages body (not the model). Text-only content is a string, consecutive
 * messages of one role are one message (the API merges them), and `is_error: false` and a block's
 * `caller` are dropped.
 */
export function anthropicRequestShape(body: unknown): unknown {
  const b = obj(body);
  const messages: { role: unknown; content: unknown[] }[] = [];
  for (const raw of arr(b.messages)) {
    const m = obj(raw);
    const blocks = (typeof m.content === "string" ? [{ type: "text", text: m.content }] : arr(m.content)).map(
      (block) => {
        const { caller: _caller, is_error, cache_control: _cache, ...rest } = obj(block);
        return is_error === true ? { ...rest, is_error } : rest;
      },
    );
    const last = messages.at(-1);
    if (last && last.role === m.role) last.content.push(...blocks);
    else messages.push({ role: m.role, content: blocks });
  }
  return {
    // No model: a case may send a current model id where the recording used one retired since
    // (the case's modelId is checked on its own).
    max_tokens: b.max_tokens,
    ...(b.system !== undefined ? { system: textOf(b.system) } : {}),
    messages,
    tools: arr(b.tools).map((t) => {
      const f = obj(t);
      return { name: f.name, description: str(f.description), input_schema: f.input_schema };
    }),
  };
}
