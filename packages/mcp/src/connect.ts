import {
  ConfigError,
  type Hook,
  type Provider,
  redactSecrets,
  type Tool,
  type ToolContext,
  ToolSet,
  toolResult,
} from "@loom/core";
import {
  checkedRoots,
  type McpElicitationRequest,
  type McpElicitationResult,
  type McpRoot,
  type McpSamplingOptions,
  samplingOptions,
} from "./client-features.js";
import { McpError, McpToolError } from "./errors.js";
import { loomToolName, TOOL_NAME } from "./names.js";
import {
  type McpToolAnnotations,
  type McpToolOverride,
  type McpToolPolicy,
  policyFromAnnotations,
} from "./policy.js";
import {
  type McpPrompt,
  type McpPromptInfo,
  type McpResource,
  type McpResourceRead,
  type McpResourceTemplate,
  promptPart,
  resourceListText,
  resourceParts,
  resourceText,
} from "./resources.js";
import { type McpCallResult, readCallResult } from "./result.js";
import { argumentsSchema, providerSchema } from "./schema.js";
import { type McpListedTool, type McpServer, McpSession, type RequestOptions } from "./session.js";

export interface ConnectMcpOptions {
  /** Names the server in errors. Default: what the server calls itself, else its command or URL. */
  readonly name?: string;
  /** Put before every tool name (`"github_"`), so two servers' `search` do not clash. */
  readonly prefix?: string;
  /** Per-call timeout, ms. Default 60 000. The call's outcome is then unknown (`mcp_timeout`). */
  readonly timeoutMs?: number;
  /**
   * Time to start the server and complete the MCP handshake (and list tools), ms. Default 60 000:
   * a first `npx -y` downloads the server before it starts.
   */
  readonly connectTimeoutMs?: number;
  /** Only these tools (by their MCP names). Default: all the server lists. */
  readonly only?: readonly string[];
  /** Per-tool settings by MCP name, overriding what the tool's annotations imply. */
  readonly tools?: Readonly<Record<string, McpToolOverride>>;
  /**
   * Send the images a tool returns to the model, as attachments of its result (core's
   * `toolResult`), instead of describing them in text. Off by default: not every API takes images
   * in tool results (OpenAI Chat Completions refuses them; Anthropic and OpenAI Responses take them).
   */
  readonly imagesAsAttachments?: boolean;
  /**
   * Called after the server said its tool list changed (`notifications/tools/list_changed`) and the
   * list was read again: what was added and removed (Loom names), or why the new list was not taken
   * (the tools stay as they were). Errors it throws are ignored.
   */
  readonly onToolsChanged?: (change: McpToolsChange) => void;
  /**
   * Also give the model two tools for the server's resources: `list_resources` (its resources and
   * resource templates) and `read_resource` (`{ uri }`), both read-only, named with `prefix`. Only for
   * a server that declares resources (a `ConfigError` otherwise). Off by default: MCP leaves
   * resources to the application (`readResource`).
   */
  readonly resourceTools?: boolean;
  /**
   * Answer the server's sampling requests (`sampling/createMessage`: the server asks for a completion
   * from your model, often inside a tool call) with this provider. A server lists tools that need it
   * only when the client offers it. Off by default: the server spends your tokens.
   */
  readonly sampling?: Provider | McpSamplingOptions;
  /**
   * Answer the server's questions to the user (`elicitation/create`, form mode): show `message`, ask
   * for what `requestedSchema` describes, resolve with the answer. An accepted answer that does not
   * match the schema is refused before it reaches the server.
   */
  readonly onElicitation?: (
    request: McpElicitationRequest,
  ) => McpElicitationResult | Promise<McpElicitationResult>;
  /** The folders the server may work in (`roots/list`); change them with `setRoots`. */
  readonly roots?: readonly McpRoot[];
}

/** A request to the server outside a tool call: its timeout (default the connection's `timeoutMs`) and signal. */
export interface McpRequestOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** What a tool list change did to a connection's tools (`ConnectMcpOptions.onToolsChanged`). */
export type McpToolsChange =
  | {
      readonly tools: readonly string[];
      readonly added: readonly string[];
      readonly removed: readonly string[];
    }
  | { readonly error: Error };

/** A Loom tool backed by an MCP server's tool. */
export interface McpTool extends Tool<Record<string, unknown>, unknown> {
  readonly mcp: {
    /** The connection's name. */
    readonly server: string;
    /** The tool's name on the server. */
    readonly name: string;
    readonly annotations: McpToolAnnotations | undefined;
    readonly outputSchema: Record<string, unknown> | undefined;
    readonly policy: McpToolPolicy;
  };
}

export interface McpConnection {
  /** The connection's name (see `ConnectMcpOptions.name`). */
  readonly name: string;
  /** The server's tools as Loom tools, as they are now. For a list that follows the server, `toolSet`. */
  readonly tools: readonly McpTool[];
  /**
   * The server's tools as a `ToolSet`, for `createAgent({ tools: [..., mcp.toolSet] })`: when the
   * server says its list changed, the list is read again and the set follows it, so the agent's next
   * request offers the tools the server has then.
   */
  readonly toolSet: ToolSet;
  /** Loom names of the tools that need a human's approval now (destructive ones, unless overridden). */
  readonly approvalTools: readonly string[];
  /** `(call) => boolean` for `HITLHook({ tools: mcp.needsApproval })`. */
  needsApproval(call: { readonly name: string }): boolean;
  /**
   * An `afterToolExecution` hook that keeps what text cannot carry: with it, a result with images,
   * audio or blobs keeps its content blocks (data included) as the call's `output`, and a result with
   * structured content shows the model the server's text blocks. Optional.
   */
  readonly hook: Hook;
  /** The server's `serverInfo` from the handshake. */
  readonly serverInfo: { readonly name: string; readonly version: string } | undefined;
  /** The server's resources (every page; none when it declares no resources). */
  listResources(options?: McpRequestOptions): Promise<McpResource[]>;
  /** The server's resource templates (URIs with `{placeholders}`, RFC 6570). */
  listResourceTemplates(options?: McpRequestOptions): Promise<McpResourceTemplate[]>;
  /**
   * Reads a resource: its contents as the server sent them and as input parts for a run
   * (`agent.run([{ type: "text", text: "Summarize:" }, ...read.parts])`).
   */
  readResource(uri: string, options?: McpRequestOptions): Promise<McpResourceRead>;
  /** The server's prompts, with their arguments (every page; none when it declares no prompts). */
  listPrompts(options?: McpRequestOptions): Promise<McpPromptInfo[]>;
  /** A prompt filled in with `args` by the server; `promptInput(prompt)` makes it a run's input. */
  getPrompt(
    name: string,
    args?: Readonly<Record<string, string>>,
    options?: McpRequestOptions,
  ): Promise<McpPrompt>;
  /** The roots the server is offered (`roots` option), or undefined when the client offers none. */
  readonly roots: readonly McpRoot[] | undefined;
  /**
   * Replaces the roots and tells the server (`notifications/roots/list_changed`). Only on a
   * connection made with `roots` (the capability is declared in the handshake).
   */
  setRoots(roots: readonly McpRoot[]): Promise<void>;
  /** The stdio server's process id while it runs (undefined over HTTP). */
  readonly pid: number | undefined;
  /** Ends the session (stops a stdio server, ends an HTTP session). Calls after it fail with `mcp_closed`. */
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 60_000;
/** What the hook can restore, by idempotency key; bounded so a missing hook leaks nothing. */
const KEPT_RESULTS = 64;

/**
 * Connects to an MCP server (a command to start over stdio, or a Streamable HTTP URL), lists its
 * tools and returns them as Loom tools. Rejects with `McpError` (`mcp_connect_failed`) when the
 * server cannot be started or reached.
 */
export async function connectMcp(server: McpServer, options: ConnectMcpOptions = {}): Promise<McpConnection> {
  checkServer(server);
  const timeoutMs = positive(options.timeoutMs, "timeoutMs") ?? DEFAULT_TIMEOUT_MS;
  const connectTimeoutMs =
    positive(options.connectTimeoutMs, "connectTimeoutMs") ?? DEFAULT_CONNECT_TIMEOUT_MS;
  if (options.onElicitation !== undefined && typeof options.onElicitation !== "function") {
    throw new ConfigError("connectMcp: onElicitation must be a function (request) => answer.");
  }
  const session = new McpSession(server, options.name ?? label(server), connectTimeoutMs, {
    sampling: samplingOptions(options.sampling),
    onElicitation: options.onElicitation,
    roots: options.roots === undefined ? undefined : checkedRoots(options.roots, "connectMcp"),
  });
  let listed: McpListedTool[];
  try {
    await session.connected();
    if (options.name === undefined && session.serverInfo?.name) session.name = session.serverInfo.name;
    listed = await session.listTools();
  } catch (error) {
    await session.close();
    throw error;
  }

  const overrides = options.tools ?? {};
  const only = options.only ? new Set(options.only) : undefined;
  const resourceTools = options.resourceTools === true;
  if (resourceTools && !(await session.declares("resources"))) {
    await session.close();
    throw new ConfigError(
      `connectMcp: resourceTools needs a server that declares resources, and MCP server "${session.name}" does not. Leave resourceTools off for it.`,
    );
  }
  const known = new Set(listed.map((t) => t.name));
  for (const name of [...(only ?? []), ...Object.keys(overrides)]) {
    if (!known.has(name)) {
      await session.close();
      throw new ConfigError(
        `connectMcp: MCP server "${session.name}" has no tool named "${name}" (in "only" or "tools"). Its tools: ${[...known].join(", ") || "none"}.`,
      );
    }
  }

  const kept = new Map<string, { content: string; output: unknown }>();
  const keep = (key: string, value: { content: string; output: unknown }) => {
    kept.set(key, value);
    if (kept.size > KEPT_RESULTS) kept.delete(kept.keys().next().value as string);
  };

  const requestOptions = (request: McpRequestOptions | undefined, what: string): RequestOptions => ({
    timeoutMs: positive(request?.timeoutMs, "timeoutMs", what) ?? timeoutMs,
    signal: request?.signal,
  });
  const readResource = async (uri: string, request?: McpRequestOptions): Promise<McpResourceRead> => {
    if (typeof uri !== "string" || uri === "") {
      throw new ConfigError(
        `readResource(uri): pass a resource URI (from listResources()), got ${JSON.stringify(uri)}.`,
      );
    }
    const contents = await session.readResource(uri, requestOptions(request, "readResource"));
    return { uri, contents, parts: resourceParts(contents) };
  };
  const extraTools = resourceTools
    ? resourceToolsOf(session, options.prefix ?? "", timeoutMs, keep, options.imagesAsAttachments === true)
    : [];

  /**
   * The listed tools, then the resource tools when asked for, as Loom tools; a bad name or two tools
   * of one Loom name is a ConfigError.
   */
  const loomTools = (listedTools: readonly McpListedTool[]): Toolkit => {
    const tools: McpTool[] = [];
    const byLoomName = new Map<string, string>();
    for (const listedTool of listedTools) {
      if (only && !only.has(listedTool.name)) continue;
      const override = overrides[listedTool.name] ?? {};
      const loomName = override.name ?? loomToolName(options.prefix ?? "", listedTool.name);
      if (!TOOL_NAME.test(loomName)) {
        throw new ConfigError(
          `connectMcp: tools["${listedTool.name}"].name ${JSON.stringify(loomName)} is not a valid tool name: use 1 to 64 letters, digits, "_" or "-".`,
        );
      }
      const clash = byLoomName.get(loomName);
      if (clash !== undefined) {
        throw new ConfigError(
          `connectMcp: MCP tools "${clash}" and "${listedTool.name}" of server "${session.name}" both become the Loom tool "${loomName}". Name one of them: tools: { ${JSON.stringify(listedTool.name)}: { name: "..." } }.`,
        );
      }
      byLoomName.set(loomName, listedTool.name);
      const toolTimeoutMs =
        positive(override.timeoutMs, `tools["${listedTool.name}"].timeoutMs`) ?? timeoutMs;
      tools.push(
        mcpTool(
          session,
          listedTool,
          loomName,
          override,
          toolTimeoutMs,
          keep,
          options.imagesAsAttachments === true,
        ),
      );
    }
    for (const extra of extraTools) {
      const clash = byLoomName.get(extra.name);
      if (clash !== undefined) {
        throw new ConfigError(
          `connectMcp: resourceTools' "${extra.name}" and MCP tool "${clash}" of server "${session.name}" have one name. Name the server's tool: tools: { ${JSON.stringify(clash)}: { name: "..." } }, or set a prefix.`,
        );
      }
      tools.push(extra);
    }
    const approvalTools = tools.filter((t) => t.mcp.policy.needsApproval).map((t) => t.name);
    return { tools, approvalTools, approvalSet: new Set(approvalTools) };
  };

  let now: Toolkit;
  try {
    now = loomTools(listed);
  } catch (error) {
    await session.close();
    throw error;
  }
  const toolSet = new ToolSet(now.tools);
  // A change read while another is being read is read again after it: the last list wins.
  let reading: Promise<void> | undefined;
  let again = false;
  const readAgain = async (): Promise<void> => {
    do {
      again = false;
      try {
        const next = loomTools(await session.listTools());
        const before = new Set(now.tools.map((t) => t.name));
        const after = new Set(next.tools.map((t) => t.name));
        toolSet.replace(next.tools);
        now = next;
        report({
          tools: [...after],
          added: [...after].filter((n) => !before.has(n)),
          removed: [...before].filter((n) => !after.has(n)),
        });
      } catch (error) {
        report({ error: error instanceof Error ? error : new Error(String(error)) });
      }
    } while (again);
  };
  const report = (change: McpToolsChange) => {
    try {
      options.onToolsChanged?.(change);
    } catch {
      // The caller's callback: its errors are its own.
    }
  };
  session.onToolListChanged(() => {
    if (reading) {
      again = true;
      return;
    }
    reading = readAgain().finally(() => {
      reading = undefined;
    });
    toolSet.updating(reading);
  });

  return {
    get name() {
      return session.name;
    },
    get tools() {
      return now.tools;
    },
    toolSet,
    get approvalTools() {
      return now.approvalTools;
    },
    needsApproval: (call) => now.approvalSet.has(call.name),
    hook: {
      name: `mcp-results:${session.name}`,
      afterToolExecution: ({ frame, call, result }) => {
        // Only this connection's calls are kept here (by thread and call ref), also one whose tool
        // the server removed while it ran.
        if (result.isError) return undefined;
        const key = `${frame.threadId}/${call.ref}`;
        const value = kept.get(key);
        if (!value) return undefined;
        kept.delete(key);
        return { result: { content: value.content, output: value.output, isError: false } };
      },
    },
    get serverInfo() {
      return session.serverInfo;
    },
    listResources: (request) => session.listResources(requestOptions(request, "listResources")),
    listResourceTemplates: (request) =>
      session.listResourceTemplates(requestOptions(request, "listResourceTemplates")),
    readResource,
    listPrompts: (request) => session.listPrompts(requestOptions(request, "listPrompts")),
    getPrompt: async (name, args = {}, request) => {
      const prompt = await session.getPrompt(name, args, requestOptions(request, "getPrompt"));
      return {
        name,
        ...(prompt.description !== undefined ? { description: prompt.description } : {}),
        messages: prompt.messages.map((m) => ({ role: m.role, parts: [promptPart(m.content)] })),
      };
    },
    get roots() {
      return session.currentRoots;
    },
    setRoots: async (roots) => {
      if (session.currentRoots === undefined) {
        throw new ConfigError(
          "setRoots: this connection was made without roots, so the server was not offered them. Pass roots: [] to connectMcp to set them later.",
        );
      }
      await session.setRoots(checkedRoots(roots, "setRoots"));
    },
    get pid() {
      return session.pid;
    },
    close: () => session.close(),
  };
}

/** A connection's tools as of one read of the server's list. */
interface Toolkit {
  readonly tools: readonly McpTool[];
  readonly approvalTools: readonly string[];
  readonly approvalSet: ReadonlySet<string>;
}

/**
 * The model's tools for the server's resources (`resourceTools`): read-only and idempotent (reading
 * changes nothing), so they run while their start is written and never ask for approval.
 */
function resourceToolsOf(
  session: McpSession,
  prefix: string,
  timeoutMs: number,
  keep: (key: string, value: { content: string; output: unknown }) => void,
  imagesAsAttachments: boolean,
): McpTool[] {
  const policy: McpToolPolicy = {
    readOnly: true,
    idempotent: true,
    needsApproval: false,
    onUnknownOutcome: "retry",
    destructive: false,
  };
  const make = (
    method: string,
    name: string,
    description: string,
    inputSchema: Record<string, unknown>,
    run: McpTool["run"],
  ): McpTool => {
    const loomName = loomToolName(prefix, name);
    return {
      name: loomName,
      description,
      input: argumentsSchema(inputSchema),
      spec: { name: loomName, description, inputSchema },
      idempotent: true,
      readOnly: true,
      onUnknownOutcome: "retry",
      timeoutMs: timeoutMs + 1_000,
      mcp: { server: session.name, name: method, annotations: undefined, outputSchema: undefined, policy },
      run,
    };
  };
  return [
    make(
      "resources/list",
      "list_resources",
      `Lists the resources of MCP server "${session.name}" (URIs to read with ${loomToolName(prefix, "read_resource")}), and templates for URIs it can read.`,
      { type: "object", properties: {}, additionalProperties: false },
      async (_args, context) => {
        const request = { timeoutMs, signal: context.signal };
        const [resources, templates] = await Promise.all([
          session.listResources(request),
          session.listResourceTemplates(request),
        ]);
        return resourceListText(resources, templates);
      },
    ),
    make(
      "resources/read",
      "read_resource",
      `Reads a resource of MCP server "${session.name}" by its URI.`,
      {
        type: "object",
        properties: { uri: { type: "string", description: "The resource's URI" } },
        required: ["uri"],
        additionalProperties: false,
      },
      async (args, context) => {
        const contents = await session.readResource(String(args.uri), { timeoutMs, signal: context.signal });
        const read = resourceText(contents);
        const images = imagesAsAttachments
          ? contents.flatMap((c) =>
              typeof c.blob === "string" && c.mimeType?.startsWith("image/")
                ? [{ type: "image" as const, mediaType: c.mimeType, data: c.blob }]
                : [],
            )
          : [];
        if (images.length > 0) return toolResult({ content: read.text, attachments: images });
        if (read.binary) keep(context.idempotencyKey, { content: read.text, output: { contents } });
        return read.text;
      },
    ),
  ];
}

/** The names of the tools that need approval, for `HITLHook({ tools: mcpApprovalPolicy(mcp.tools) })`. */
export function mcpApprovalPolicy(tools: readonly Tool[]): string[] {
  return tools.filter((t) => (t as Partial<McpTool>).mcp?.policy.needsApproval === true).map((t) => t.name);
}

function mcpTool(
  session: McpSession,
  listed: McpListedTool,
  name: string,
  override: McpToolOverride,
  timeoutMs: number,
  keep: (key: string, value: { content: string; output: unknown }) => void,
  imagesAsAttachments: boolean,
): McpTool {
  const annotations = listed.annotations as McpToolAnnotations | undefined;
  const policy = policyFromAnnotations(annotations, override);
  const inputSchema = providerSchema(listed.inputSchema);
  const description = listed.description ?? listed.title ?? annotations?.title ?? listed.name;

  const call = async (args: Record<string, unknown>, context: ToolContext): Promise<McpCallResult> => {
    const options = {
      signal: context.signal,
      timeoutMs,
      idempotencyKey: context.idempotencyKey,
      reportUsage: context.reportUsage,
      step: context.step,
      onProgress: (p: { progress: number; total?: number; message?: string }) =>
        context.reportProgress({
          progress: p.progress,
          ...(p.total !== undefined ? { total: p.total } : {}),
          ...(p.message !== undefined ? { message: p.message } : {}),
        }),
    };
    try {
      return await session.callTool(listed.name, args, options);
    } catch (error) {
      // The server died or the session vanished mid-call. A tool that may run twice (idempotent, or
      // `onUnknownOutcome: "retry"`) runs once more on a new connection, with the same key.
      const again =
        McpError.isInstance(error) &&
        error.code === "mcp_server_closed" &&
        !context.signal.aborted &&
        (!error.outcomeUnknown || policy.idempotent || policy.onUnknownOutcome === "retry");
      if (!again) throw unknownOutcome(error, policy);
      return await session.callTool(listed.name, args, options).catch((second: unknown) => {
        throw unknownOutcome(second, policy);
      });
    }
  };

  return {
    name,
    description,
    input: argumentsSchema(inputSchema),
    spec: { name, description, inputSchema },
    idempotent: policy.idempotent,
    readOnly: policy.readOnly,
    onUnknownOutcome: policy.onUnknownOutcome,
    // Core's timer is the backstop; the MCP request's own timeout (same value) answers first and
    // says the outcome is unknown.
    timeoutMs: timeoutMs + 1_000,
    mcp: {
      server: session.name,
      name: listed.name,
      annotations,
      outputSchema: listed.outputSchema,
      policy,
    },
    run: async (args, context) => {
      const result = await call(args, context);
      const read = readCallResult(result);
      if (result.isError)
        throw new McpToolError(session.name, listed.name, read.text || "the tool reported an error");
      const images = imagesAsAttachments ? imageBlocks(result) : [];
      if (images.length > 0) {
        return toolResult({
          content: read.text,
          attachments: images.map((b) => ({ type: "image" as const, mediaType: b.mimeType, data: b.data })),
          ...(read.structured !== undefined ? { output: read.structured } : {}),
        });
      }
      if (read.binary || read.structured !== undefined) {
        keep(context.idempotencyKey, {
          content: read.text,
          output: read.binary
            ? { content: result.content, structuredContent: read.structured }
            : read.structured,
        });
      }
      return read.text;
    },
  };
}

/** The message the model sees when the outcome is unknown: what the tool's policy means for it. */
function unknownOutcome(error: unknown, policy: McpToolPolicy): unknown {
  // A tool that asks: core pauses the run and a human decides (the message is the question's reason).
  if (!McpError.isInstance(error) || !error.outcomeUnknown || policy.onUnknownOutcome === "ask") return error;
  const advice = policy.needsApproval
    ? " Do not assume it happened or did not; check its effect, or ask the user, before calling it again."
    : " Check its effect before calling it again.";
  return new McpError(error.code, error.server, `${error.message}${advice}`, {
    cause: error.cause,
    outcomeUnknown: true,
  });
}

function checkServer(server: McpServer): void {
  if (!server || typeof server !== "object") {
    throw new ConfigError(
      'connectMcp(server): pass { command: "npx", args: [...] } for a stdio server or { url: "http://host/mcp" } for Streamable HTTP.',
    );
  }
  if ("url" in server) {
    try {
      new URL(server.url);
    } catch {
      throw new ConfigError(
        `connectMcp: ${JSON.stringify(redactSecrets(String(server.url), []))} is not a URL (e.g. "http://127.0.0.1:3001/mcp").`,
      );
    }
    return;
  }
  if (typeof (server as { command?: unknown }).command !== "string" || server.command === "") {
    throw new ConfigError(
      'connectMcp: a stdio server needs a "command" (e.g. { command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"] }), or pass { url } for HTTP.',
    );
  }
}

function positive(value: number | undefined, what: string, where = "connectMcp"): number | undefined {
  if (value === undefined) return undefined;
  if (!(Number.isFinite(value) && value > 0)) {
    throw new ConfigError(`${where}: ${what} must be a positive number of milliseconds, got ${value}.`);
  }
  return value;
}

function label(server: McpServer): string {
  if ("url" in server) {
    try {
      return new URL(server.url).host;
    } catch {
      return String(server.url);
    }
  }
  return [server.command, ...(server.args ?? [])].join(" ").slice(0, 80);
}

/** The image blocks of a result, with their data and media type. */
function imageBlocks(result: McpCallResult): { data: string; mimeType: string }[] {
  return (result.content ?? []).flatMap((block) => {
    const b = block as Record<string, unknown>;
    return block.type === "image" && typeof b.data === "string" && typeof b.mimeType === "string"
      ? [{ data: b.data, mimeType: b.mimeType }]
      : [];
  });
}
