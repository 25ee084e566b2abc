import type { Message, ModelRequest, ModelSettings, ToolCall, ToolSpec } from "@loom/core";

/**
 * Recorded request bodies read back as Loom requests, so a case replays the same conversation the
 * recording's client sent (what a Loom request cannot say goes in `providerOptions`); and the
 * "shape" of a body (the whole body, with what the API treats as equal made equal) to compare what
 * a provider sent with what was recorded.
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
    // A developer message is the system message of newer models: the API takes either.
    const system = role === "system" || role === "developer";
    return { role: system ? "system" : "user", content: textOf(m.content) };
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
      else {
        const system = role === "system" || role === "developer";
        messages.push({ role: system ? "system" : "user", content: textOf(item.content) });
      }
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

/**
 * A request body with what its API treats as equal made equal, each for the reason given, and
 * nothing else changed: the recorded body and the sent one are both put through it and compared
 * whole (settings and provider options included).
 */
function withoutDefaults(b: Json, defaults: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(b)) {
    if (value === undefined) continue;
    if (key in defaults && JSON.stringify(defaults[key]) === JSON.stringify(value)) continue;
    out[key] = value;
  }
  return out;
}

/**
 * A Chat Completions body for comparing a sent request with a recorded one:
 * - `stream: false` and `tool_choice: "auto"` (with tools) are the API's defaults;
 * - a `developer` message is a `system` message to the API (newer models take either);
 * - text content is a string or an array of text parts, and an assistant message's `content: null`
 *   is no content;
 * - a tool call's arguments are JSON text, which clients write again with their own spacing;
 * - a tool's `strict` is a client's choice Loom requests do not carry (a provider option).
 */
export function chatRequestShape(body: unknown): unknown {
  const b = withoutDefaults(obj(body), { stream: false, tool_choice: "auto" });
  return {
    ...b,
    messages: arr(b.messages).map((raw) => {
      const { content, role, tool_calls, ...rest } = obj(raw);
      return {
        ...rest,
        role: role === "developer" ? "system" : role,
        ...(content === null || content === undefined ? {} : { content: textOf(content) }),
        ...(tool_calls === undefined
          ? {}
          : {
              tool_calls: arr(tool_calls).map((c) => {
                const call = obj(c);
                const f = obj(call.function);
                return { ...call, function: { ...f, arguments: parseArgs(str(f.arguments)) } };
              }),
            }),
      };
    }),
    ...(b.tools === undefined
      ? {}
      : {
          tools: arr(b.tools).map((t) => {
            const { strict: _strict, ...f } = obj(obj(t).function);
            return { ...obj(t), function: f };
          }),
        }),
  };
}

/**
 * A Responses body for comparing a sent request with a recorded one:
 * - `stream: false`, `instructions: ""` and `tool_choice: "auto"` are the API's defaults;
 * - a `developer` message is a `system` message to the API, and text content is a string or an
 *   array of text parts;
 * - an assistant message without text says nothing (pydantic-ai sends one before its function calls);
 * - a function call's arguments are JSON text, which clients write again with their own spacing;
 * - a tool's `strict` is a client's choice Loom requests do not carry (a provider option).
 */
export function responsesRequestShape(body: unknown): unknown {
  const b = withoutDefaults(obj(body), { stream: false, instructions: "", tool_choice: "auto" });
  return {
    ...b,
    input: arr(b.input)
      .map(obj)
      .filter((item) => !(item.role === "assistant" && !item.type && textOf(item.content) === ""))
      .map((item) => {
        if (item.type === "function_call") return { ...item, arguments: parseArgs(str(item.arguments)) };
        if (item.type && item.type !== "message") return item;
        const { content, role, type: _type, ...rest } = item;
        return { ...rest, role: role === "developer" ? "system" : role, content: textOf(content) };
      }),
    ...(b.tools === undefined
      ? {}
      : {
          tools: arr(b.tools).map((t) => {
            const { strict: _strict, ...f } = obj(t);
            return f;
          }),
        }),
  };
}

/**
 * A Messages body for comparing a sent request with a recorded one:
 * - `stream: false`, `tool_choice: {type: "auto"}` and a tool's `type: "custom"` are the API's defaults;
 * - consecutive messages of one role are one message (the API merges them), and text-only content
 *   is a string or an array of text blocks;
 * - a tool result's `is_error: false` is no error;
 * - a block's `caller` (an SDK tool runner's bookkeeping) and `cache_control` (a client's caching
 *   choice) are not part of a Loom request;
 * - not the model: a case may send a current model id where the recording used one retired since
 *   (the case's modelId is checked on its own).
 */
export function anthropicRequestShape(body: unknown): unknown {
  const { model: _model, ...b } = withoutDefaults(obj(body), {
    stream: false,
    tool_choice: { type: "auto" },
  });
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
    ...b,
    ...(b.system === undefined ? {} : { system: textOf(b.system) }),
    messages,
    ...(b.tools === undefined
      ? {}
      : {
          tools: arr(b.tools).map((t) => {
            const { type, ...f } = obj(t);
            return type === "custom" ? f : { ...f, type };
          }),
        }),
  };
}

const providerOptionsOf = (settings: ModelSettings, key: string): Json =>
  obj(settings.providerOptions?.[key]);

/**
 * What a Chat Completions body must hold for a Loom request: the settings, `providerOptions.openai`
 * as given, and in a stream `stream_options.include_usage` (without it the API reports no usage).
 */
export function chatExpectedBody(request: ModelRequest, stream: boolean): Json {
  const { settings } = request;
  return {
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    ...(settings.maxOutputTokens !== undefined ? { max_completion_tokens: settings.maxOutputTokens } : {}),
    ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
    ...providerOptionsOf(settings, "openai"),
  };
}

/** What a Responses body must hold for a Loom request: the settings and `providerOptions.openai`. */
export function responsesExpectedBody(request: ModelRequest, stream: boolean): Json {
  const { settings } = request;
  return {
    ...(stream ? { stream: true } : {}),
    ...(settings.maxOutputTokens !== undefined ? { max_output_tokens: settings.maxOutputTokens } : {}),
    ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
    ...providerOptionsOf(settings, "openai"),
  };
}

/**
 * What a Messages body must hold for a Loom request: the settings and `providerOptions.anthropic`
 * (`max_tokens` is required by the API; without `maxOutputTokens` its value is the provider's choice).
 */
export function anthropicExpectedBody(request: ModelRequest, stream: boolean): Json {
  const { settings } = request;
  return {
    ...(stream ? { stream: true } : {}),
    ...(settings.maxOutputTokens !== undefined ? { max_tokens: settings.maxOutputTokens } : {}),
    ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
    ...providerOptionsOf(settings, "anthropic"),
  };
}
