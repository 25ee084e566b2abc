import { createHash } from "node:crypto";
import { LoomError, type ToolContext, type Usage } from "@loom/core";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  ListRootsRequestSchema,
  McpError as SdkMcpError,
} from "@modelcontextprotocol/sdk/types.js";
import { BrokenStreams, RECONNECTION } from "./broken-streams.js";
import {
  checkedElicitation,
  type McpElicitationRequest,
  type McpElicitationResult,
  type McpRoot,
  type McpSamplingOptions,
  sample,
} from "./client-features.js";
import { McpError } from "./errors.js";
import { IDEMPOTENCY_META_KEY } from "./names.js";
import { isUnauthorized, type OAuthClientProvider, unauthorizedError } from "./oauth.js";
import { descendantsOf, endProcesses } from "./process-tree.js";
import { RequestCalls } from "./request-calls.js";
import type { McpPromptInfo, McpResource, McpResourceContents, McpResourceTemplate } from "./resources.js";
import type { McpCallResult, McpContentBlock } from "./result.js";
import { ConnectionSecrets, describeServer, shortBody } from "./secrets.js";

/** A server Loom starts as a child process and talks to over stdin/stdout. */
export interface McpStdioServer {
  readonly command: string;
  readonly args?: readonly string[];
  /**
   * Added to what the server gets by default: the SDK's short list (HOME, LOGNAME, PATH, SHELL,
   * TERM, USER) and your proxy and CA settings (`HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY`,
   * `NODE_EXTRA_CA_CERTS`, `SSL_CERT_FILE`, `SSL_CERT_DIR`), so `npx -y` can download it. The server
   * does not see the rest of your environment (API keys, tokens): pass what it needs here.
   */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /**
   * The server's stderr. Default `"pipe"`: kept (its last 4 KB) for error messages, not printed.
   * `"inherit"` prints it with yours.
   */
  readonly stderr?: "pipe" | "inherit" | "ignore";
}

/** A server Loom reaches over Streamable HTTP. */
export interface McpHttpServer {
  readonly url: string | URL;
  /** Sent with every request (e.g. `Authorization`). */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * OAuth for a server that asks for it (401): any `OAuthClientProvider` of the SDK, which keeps the
   * client's registration and tokens (and refreshes them). A first connection without tokens sends
   * the provider to the authorization page and fails with `mcp_unauthorized`; see
   * `finishMcpAuthorization`.
   */
  readonly auth?: OAuthClientProvider;
}

export type McpServer = McpStdioServer | McpHttpServer;

/** A tool as the server lists it (`tools/list`). */
export interface McpListedTool {
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly inputSchema: Record<string, unknown>;
  readonly outputSchema?: Record<string, unknown>;
  readonly annotations?: Record<string, unknown>;
}

/** A request's timeout and, optionally, its signal. */
export interface RequestOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

/** What this client offers the server (each declared as a capability only when given). */
export interface ClientFeatures {
  readonly sampling?: McpSamplingOptions | undefined;
  readonly onElicitation?:
    | ((request: McpElicitationRequest) => McpElicitationResult | Promise<McpElicitationResult>)
    | undefined;
  readonly roots?: readonly McpRoot[] | undefined;
}

export interface CallOptions {
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  readonly idempotencyKey: string;
  readonly onProgress?: (progress: { progress: number; total?: number; message?: string }) => void;
  /** Where the tokens of a sampling request answered while this call runs are counted (core's `reportUsage`). */
  readonly reportUsage?: ToolContext["reportUsage"];
  /** Journals a user's answer to an elicitation this call's server asked (core's `step`). */
  readonly step?: ToolContext["step"];
}

const STDERR_TAIL = 4096;
const CLIENT_INFO = { name: "loom", version: "0.1.0" };
/** How the SDK's Streamable HTTP transport reports a broken SSE stream, and that it gave up (SDK 1.32). */
const STREAM_LOST = /SSE stream disconnected/;
const RECONNECTION_FAILED = /Maximum reconnection attempts|Failed to reconnect: /;

/**
 * One logical connection to a server, over as many physical ones as it takes: a connection that
 * closed (the server exited, the HTTP session is gone) is opened again by the next call.
 */
export class McpSession {
  name: string;
  private listChangeListener: (() => void) | undefined;
  private connections = 0;
  private listChangeUnheard = false;
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private closedByUser = false;
  private stderrTail = "";
  private transport: StdioClientTransport | StreamableHTTPClientTransport | undefined;
  /** Tool calls waiting for the server's answer, oldest first; `resumable` once a numbered event came. */
  private readonly inFlight = new Map<CallOptions, { resumable: boolean }>();
  /** The current HTTP connection's broken streams, while they may resume. */
  private brokenStreams: BrokenStreams | undefined;
  /** Which call each sampling or elicitation request that came over HTTP serves. */
  private readonly requestCalls = new RequestCalls();
  /** Each call attempt's elicitations so far, by question: what names the step that journals an answer. */
  private readonly elicitations = new WeakMap<CallOptions, Map<string, number>>();

  /** The roots the server is told (`roots/list`), when the client offers roots. */
  private roots: readonly McpRoot[] | undefined;
  /** What this connection's errors must not carry; every `McpError` here is made by it. */
  private readonly secrets: ConnectionSecrets;

  constructor(
    readonly server: McpServer,
    name: string,
    private readonly connectTimeoutMs: number,
    private readonly features: ClientFeatures = {},
  ) {
    this.name = name;
    this.roots = features.roots;
    this.secrets = new ConnectionSecrets(server);
  }

  /** Tells the server its roots changed (`notifications/roots/list_changed`); it asks for them again. */
  async setRoots(roots: readonly McpRoot[]): Promise<void> {
    this.roots = roots;
    const client = this.client;
    if (client) await client.sendRootsListChanged().catch(() => undefined);
  }

  get currentRoots(): readonly McpRoot[] | undefined {
    return this.roots;
  }

  /** The stdio server's process id while connected (tests kill it to prove a dead server is handled). */
  get pid(): number | undefined {
    return this.transport instanceof StdioClientTransport ? (this.transport.pid ?? undefined) : undefined;
  }

  get serverInfo(): { name: string; version: string } | undefined {
    return this.client?.getServerVersion();
  }

  async connected(): Promise<Client> {
    if (this.closedByUser) {
      throw this.secrets.error(
        "mcp_closed",
        this.name,
        `The connection to MCP server "${this.name}" was closed with close(); connect again with connectMcp().`,
      );
    }
    if (this.client) return this.client;
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** Every tool the server lists (all pages); none from a server without tools (resources or prompts only). */
  async listTools(): Promise<McpListedTool[]> {
    if (!(await this.declares("tools"))) return [];
    return this.listAll("tools/list", this.connectTimeoutMs, async (client, params, options) => {
      const page = await client.listTools(params, options);
      return { items: page.tools as McpListedTool[], nextCursor: page.nextCursor };
    });
  }

  /** Every resource the server lists (all pages); none from a server without resources. */
  async listResources(request: RequestOptions): Promise<McpResource[]> {
    if (!(await this.declares("resources"))) return [];
    return this.listAll("resources/list", request, async (client, params, options) => {
      const page = await client.listResources(params, options);
      return { items: page.resources.map(resourceOf), nextCursor: page.nextCursor };
    });
  }

  async listResourceTemplates(request: RequestOptions): Promise<McpResourceTemplate[]> {
    if (!(await this.declares("resources"))) return [];
    return this.listAll("resources/templates/list", request, async (client, params, options) => {
      const page = await client.listResourceTemplates(params, options);
      return { items: page.resourceTemplates.map(templateOf), nextCursor: page.nextCursor };
    });
  }

  async readResource(uri: string, request: RequestOptions): Promise<McpResourceContents[]> {
    const what = `resources/read "${uri}"`;
    const client = await this.request("resources", what);
    const result = await client
      .readResource({ uri }, sdkOptions(request))
      .catch((error: unknown) => this.failed(error, what, request));
    return result.contents.map((c) => ({
      uri: c.uri,
      ...(c.mimeType !== undefined ? { mimeType: c.mimeType } : {}),
      ...("text" in c && typeof c.text === "string" ? { text: c.text } : {}),
      ...("blob" in c && typeof c.blob === "string" ? { blob: c.blob } : {}),
    }));
  }

  /** Every prompt the server lists (all pages); none from a server without prompts. */
  async listPrompts(request: RequestOptions): Promise<McpPromptInfo[]> {
    if (!(await this.declares("prompts"))) return [];
    return this.listAll("prompts/list", request, async (client, params, options) => {
      const page = await client.listPrompts(params, options);
      return {
        items: page.prompts.map((p) => ({
          name: p.name,
          ...(p.title !== undefined ? { title: p.title } : {}),
          ...(p.description !== undefined ? { description: p.description } : {}),
          arguments: (p.arguments ?? []).map((a) => ({
            name: a.name,
            ...(a.description !== undefined ? { description: a.description } : {}),
            required: a.required === true,
          })),
        })),
        nextCursor: page.nextCursor,
      };
    });
  }

  async getPrompt(
    name: string,
    args: Readonly<Record<string, string>>,
    request: RequestOptions,
  ): Promise<{ description?: string; messages: { role: "user" | "assistant"; content: McpContentBlock }[] }> {
    const what = `prompts/get "${name}"`;
    const client = await this.request("prompts", what);
    const result = await client
      .getPrompt({ name, arguments: { ...args } }, sdkOptions(request))
      .catch((error: unknown) => this.failed(error, what, request));
    return {
      ...(result.description !== undefined ? { description: result.description } : {}),
      messages: result.messages.map((m) => ({ role: m.role, content: m.content as McpContentBlock })),
    };
  }

  /** Whether the server declared `capability` in the handshake. */
  async declares(capability: "tools" | "resources" | "prompts"): Promise<boolean> {
    const client = await this.connected();
    return client.getServerCapabilities()?.[capability] !== undefined;
  }

  /** The client, for a request a server without `capability` would refuse: refused here, saying so. */
  private async request(capability: "resources" | "prompts", what: string): Promise<Client> {
    const client = await this.connected();
    if (!(await this.declares(capability))) {
      throw this.secrets.error(
        "mcp_request_failed",
        this.name,
        `MCP server "${this.name}" declares no ${capability} (its capabilities: ${Object.keys(client.getServerCapabilities() ?? {}).join(", ") || "none"}), so it cannot answer ${what}.`,
      );
    }
    return client;
  }

  private failed(error: unknown, what: string, request: RequestOptions): never {
    if (request.signal?.aborted) throw request.signal.reason ?? error;
    throw this.toMcpError(error, what, { sent: true, timeoutMs: request.timeoutMs });
  }

  /** Every page of a list (`nextCursor` until there is none). */
  private async listAll<T>(
    what: string,
    request: RequestOptions | number,
    page: (
      client: Client,
      params: { cursor?: string },
      options: { timeout: number; signal?: AbortSignal },
    ) => Promise<{ items: T[]; nextCursor?: string | undefined }>,
  ): Promise<T[]> {
    const options = typeof request === "number" ? { timeoutMs: request } : request;
    const client = await this.connected();
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const next = await page(client, cursor === undefined ? {} : { cursor }, sdkOptions(options)).catch(
        (error: unknown) => this.failed(error, what, options),
      );
      items.push(...next.items);
      cursor = next.nextCursor;
    } while (cursor);
    return items;
  }

  /**
   * Calls `listener` when the server says its tool list changed (`notifications/tools/list_changed`)
   * and when a new connection may list other tools; a change heard before this is passed on at once.
   */
  onToolListChanged(listener: () => void): void {
    this.listChangeListener = listener;
    if (this.listChangeUnheard) {
      this.listChangeUnheard = false;
      listener();
    }
  }

  private toolListChanged(): void {
    if (this.listChangeListener) this.listChangeListener();
    else this.listChangeUnheard = true;
  }

  /** Calls a tool once. Errors are `McpError`s, except an abort, which rejects with the signal's reason. */
  async callTool(name: string, args: Record<string, unknown>, options: CallOptions): Promise<McpCallResult> {
    const client = await this.connected();
    options.signal.throwIfAborted();
    const call = { resumable: false };
    this.inFlight.set(options, call);
    try {
      const result = await client.callTool(
        { name, arguments: args, _meta: { [IDEMPOTENCY_META_KEY]: options.idempotencyKey } },
        undefined,
        {
          signal: options.signal,
          timeout: options.timeoutMs,
          ...(options.onProgress ? { onprogress: options.onProgress } : {}),
          onresumptiontoken: () => {
            call.resumable = true;
          },
        },
      );
      return result as McpCallResult;
    } catch (error) {
      if (options.signal.aborted) throw options.signal.reason ?? error;
      throw this.toMcpError(error, `tools/call "${name}"`, { sent: true, timeoutMs: options.timeoutMs });
    } finally {
      this.inFlight.delete(options);
    }
  }

  /**
   * The tool call a server's request (sampling, elicitation) serves: over HTTP, the call whose
   * response stream carried it (`RequestCalls`). Otherwise MCP does not say which call a request is
   * for: with one call in flight it is that one; with several, the one that started first (the
   * longest waiting). With none (a server asking on its own), none.
   */
  private callOf(requestId: string | number): CallOptions | undefined {
    const key = this.requestCalls.take(requestId);
    const calls = [...this.inFlight.keys()];
    return calls.find((c) => key !== undefined && c.idempotencyKey === key) ?? calls[0];
  }

  /**
   * The name of the step that journals the answer to an elicitation of `call`: the question (its
   * message and schema, hashed) and how many times this attempt of the call asked it before. A call
   * run again after a crash asks the same questions in the same order and gets the journaled answers.
   */
  private elicitationStep(call: CallOptions, message: string, schema: unknown): string {
    const question = createHash("sha256")
      .update(JSON.stringify([message, schema]))
      .digest("hex")
      .slice(0, 16);
    const asked = this.elicitations.get(call) ?? new Map<string, number>();
    this.elicitations.set(call, asked);
    const n = (asked.get(question) ?? 0) + 1;
    asked.set(question, n);
    return `mcp-elicitation ${question}#${n}`;
  }

  async close(): Promise<void> {
    this.closedByUser = true;
    this.brokenStreams?.stop();
    const client = this.client ?? (await this.connecting?.catch(() => undefined));
    this.client = undefined;
    if (!client) return;
    if (this.transport instanceof StreamableHTTPClientTransport) {
      await this.transport.terminateSession().catch(() => {});
    }
    // Read before the SDK stops the server's process, whose children are then no longer its own.
    const pid = this.pid;
    const tree = pid === undefined ? [] : await descendantsOf(pid);
    await client.close().catch(() => {});
    // The SDK ends the process it started (stdin closed, SIGTERM, SIGKILL): a server it started
    // through a launcher such as npx outlives it, and would keep this process from exiting.
    await endProcesses(tree);
  }

  /** Forgets the current connection (a session the server no longer knows): the next call opens a new one. */
  drop(): void {
    const client = this.client;
    this.client = undefined;
    void client?.close().catch(() => {});
  }

  private async open(): Promise<Client> {
    const transport = this.createTransport();
    const { sampling, onElicitation } = this.features;
    const client = new Client(CLIENT_INFO, {
      capabilities: {
        ...(sampling ? { sampling: {} } : {}),
        ...(onElicitation ? { elicitation: {} } : {}),
        ...(this.roots ? { roots: { listChanged: true } } : {}),
      },
      // Heard only from a server that declares tools.listChanged; the list is read by the listener,
      // at once (the SDK waits 300 ms by default): a server that changes its list in a call says so
      // before the call's result, and the agent's next request waits for the list then.
      listChanged: {
        tools: { autoRefresh: false, debounceMs: 0, onChanged: () => this.toolListChanged() },
      },
    });
    if (sampling) {
      client.setRequestHandler(CreateMessageRequestSchema, (request, extra) => {
        const call = this.callOf(extra.requestId);
        const model = { provider: sampling.provider.provider, model: sampling.provider.modelId };
        return sample(this.name, sampling, request.params, extra.signal, (usage) =>
          call?.reportUsage?.(usage, model),
        ).catch((error: unknown) => {
          throw this.answerFailed(error, "model");
        });
      });
    }
    if (onElicitation) {
      client.setRequestHandler(ElicitRequestSchema, async (request, extra) => {
        const params = request.params as { message: string; requestedSchema?: Record<string, unknown> };
        const requestedSchema = params.requestedSchema ?? { type: "object", properties: {} };
        const ask = async () => {
          try {
            const answer = await onElicitation({
              server: this.name,
              message: params.message,
              requestedSchema,
              signal: extra.signal,
            });
            return checkedElicitation(answer, requestedSchema);
          } catch (error) {
            throw this.answerFailed(error, "elicitation handler");
          }
        };
        // The user's answer is journaled as a step of the call it serves, before the server gets it:
        // the call run again (after a crash) gets it back instead of asking the user twice.
        const call = this.callOf(extra.requestId);
        return call?.step
          ? call.step(this.elicitationStep(call, params.message, requestedSchema), ask)
          : ask();
      });
    }
    if (this.roots)
      client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: [...(this.roots ?? [])] }));
    client.onclose = () => {
      if (this.client === client) this.client = undefined;
    };
    try {
      await client.connect(transport, { timeout: this.connectTimeoutMs });
    } catch (error) {
      await client.close().catch(() => {});
      if (isUnauthorized(error) && "url" in this.server) {
        throw unauthorizedError(this.name, this.describe(), this.server.auth !== undefined);
      }
      throw this.secrets.error("mcp_connect_failed", this.name, this.connectFailure(error), { cause: error });
    }
    if (this.closedByUser) {
      await client.close().catch(() => {});
      return this.connected();
    }
    if (transport instanceof StreamableHTTPClientTransport) {
      // A response stream that breaks (the server died, the network dropped) and cannot resume
      // leaves the SDK's pending requests waiting for their timeout. Loom closes the connection
      // instead, so they fail at once with an unknown outcome, and the next call opens a new session.
      // One that can resume (the server numbers its events) is given a few seconds to (BrokenStreams).
      const sdkOnError = transport.onerror;
      const streams = this.brokenStreams;
      transport.onerror = (error: Error) => {
        sdkOnError?.(error);
        if (this.client !== client) return;
        if (STREAM_LOST.test(error.message)) {
          streams?.lost([...this.inFlight.values()].every((call) => call.resumable));
        } else if (RECONNECTION_FAILED.test(error.message)) streams?.failed();
      };
    }
    this.transport = transport;
    this.client = client;
    // A new connection (the server restarted, its HTTP session was gone) may list other tools, and
    // nothing told this client: read the list again, as for a change the server announced.
    if (this.connections++ > 0) this.toolListChanged();
    return client;
  }

  private createTransport(): StdioClientTransport | StreamableHTTPClientTransport {
    const server = this.server;
    if ("url" in server) {
      // Only a client that answers sampling or elicitation has requests to place.
      const placed = this.features.sampling !== undefined || this.features.onElicitation !== undefined;
      this.brokenStreams?.stop();
      const streams = new BrokenStreams(() => {
        const client = this.client;
        if (!client || this.brokenStreams !== streams) return;
        this.client = undefined;
        void client.close().catch(() => {});
      });
      this.brokenStreams = streams;
      return new StreamableHTTPClientTransport(new URL(server.url), {
        ...(server.headers ? { requestInit: { headers: { ...server.headers } } } : {}),
        ...(server.auth ? { authProvider: server.auth } : {}),
        reconnectionOptions: RECONNECTION,
        // The SDK does not say when a stream resumed: a GET it sends after a break, answered, is that
        // (with Last-Event-ID for a call's stream; without it for the notification stream). A call's
        // response stream is watched for the sampling and elicitation requests it carries (RequestCalls).
        fetch: async (url, init) => {
          this.secrets.sent(init?.headers);
          const response = await fetch(url, init);
          if (init?.method === "GET" && response.ok) {
            streams.resumed();
          }
          return placed && init?.method === "POST" ? this.requestCalls.watch(init.body, response) : response;
        },
      });
    }
    const mode = server.stderr ?? "pipe";
    const transport = new StdioClientTransport({
      command: server.command,
      args: [...(server.args ?? [])],
      env: { ...networkEnvironment(), ...server.env },
      ...(server.cwd ? { cwd: server.cwd } : {}),
      stderr: mode,
    });
    if (mode === "pipe") {
      this.stderrTail = "";
      transport.stderr?.on("data", (chunk: Buffer) => {
        this.stderrTail = (this.stderrTail + chunk.toString("utf8")).slice(-STDERR_TAIL);
      });
    }
    return transport;
  }

  /**
   * What the server is told when this client could not answer its request: Loom's own refusals as
   * they are, anything else by its code alone (the server is another party: an error from your
   * model or your handler may say more than it should see).
   */
  private answerFailed(error: unknown, what: string): SdkMcpError {
    if (error instanceof SdkMcpError) return error;
    const code = LoomError.isInstance(error) ? ` (${error.code})` : "";
    return new SdkMcpError(ErrorCode.InternalError, `The client's ${what} failed${code}.`);
  }

  private describe(): string {
    return describeServer(this.server);
  }

  private stderrNote(): string {
    const tail = this.stderrTail.trim();
    return tail === "" ? "" : ` Its last stderr output: ${tail.slice(-1000)}`;
  }

  private connectFailure(error: unknown): string {
    const reason =
      error instanceof SdkMcpError && error.code === ErrorCode.RequestTimeout
        ? `no answer to the MCP handshake within ${this.connectTimeoutMs} ms (a first \`npx -y\` may still be downloading it: raise connectTimeoutMs)`
        : error instanceof Error
          ? error.message
          : String(error);
    if ("url" in this.server) {
      return `Could not connect to MCP server "${this.name}" at ${this.describe()}: ${reason}. Check that the server is running and that the URL is its Streamable HTTP endpoint (often ending in /mcp).`;
    }
    return `Could not start MCP server "${this.name}" (${this.describe()}): ${reason}. Check that the command is installed and runs on its own, and that it speaks MCP over stdio.${this.stderrNote()}`;
  }

  private toMcpError(
    error: unknown,
    what: string,
    context: { sent: boolean; timeoutMs?: number },
  ): McpError | unknown {
    if (McpError.isInstance(error)) return error;
    if (isUnauthorized(error) && "url" in this.server) {
      // Refused before it ran: the outcome is known (nothing happened).
      return unauthorizedError(this.name, this.describe(), this.server.auth !== undefined);
    }
    if (error instanceof SdkMcpError && error.code === ErrorCode.RequestTimeout) {
      return this.secrets.error(
        "mcp_timeout",
        this.name,
        `MCP server "${this.name}" did not answer ${what} within ${context.timeoutMs ?? this.connectTimeoutMs} ms; the outcome is unknown (it may still take effect). Raise timeoutMs for slow tools.`,
        { cause: error, outcomeUnknown: true },
      );
    }
    if (error instanceof SdkMcpError && error.code === ErrorCode.ConnectionClosed) {
      return this.secrets.error(
        "mcp_server_closed",
        this.name,
        `The connection to MCP server "${this.name}" closed during ${what}: the outcome is unknown (it may or may not have taken effect). The next call reconnects.${this.stderrNote()}`,
        { cause: error, outcomeUnknown: true },
      );
    }
    if (
      error instanceof StreamableHTTPError ||
      (error instanceof TypeError && /fetch/i.test(error.message))
    ) {
      const status = error instanceof StreamableHTTPError ? error.code : undefined;
      // The server refused or never received the request: no effect, so the next call may start afresh.
      this.drop();
      return this.secrets.error(
        "mcp_server_closed",
        this.name,
        `MCP server "${this.name}" at ${this.describe()} could not be reached for ${what}${status ? ` (HTTP ${status})` : ""}: ${shortBody(this.secrets.redact((error as Error).message))}. The next call reconnects.`,
        { cause: error, outcomeUnknown: status === undefined ? false : status >= 500 },
      );
    }
    const message = error instanceof Error ? error.message : String(error);
    return this.secrets.error(
      "mcp_request_failed",
      this.name,
      `MCP server "${this.name}" failed ${what}: ${message}`,
      {
        cause: error,
      },
    );
  }
}

function sdkOptions(request: RequestOptions): { timeout: number; signal?: AbortSignal } {
  return { timeout: request.timeoutMs, ...(request.signal ? { signal: request.signal } : {}) };
}

function resourceOf(r: {
  uri: string;
  name: string;
  title?: string | undefined;
  description?: string | undefined;
  mimeType?: string | undefined;
  size?: number | undefined;
}): McpResource {
  return {
    uri: r.uri,
    name: r.name,
    ...(r.title !== undefined ? { title: r.title } : {}),
    ...(r.description !== undefined ? { description: r.description } : {}),
    ...(r.mimeType !== undefined ? { mimeType: r.mimeType } : {}),
    ...(r.size !== undefined ? { size: r.size } : {}),
  };
}

function templateOf(t: {
  uriTemplate: string;
  name: string;
  title?: string | undefined;
  description?: string | undefined;
  mimeType?: string | undefined;
}): McpResourceTemplate {
  return {
    uriTemplate: t.uriTemplate,
    name: t.name,
    ...(t.title !== undefined ? { title: t.title } : {}),
    ...(t.description !== undefined ? { description: t.description } : {}),
    ...(t.mimeType !== undefined ? { mimeType: t.mimeType } : {}),
  };
}

/** Proxy and CA variables: without them `npx -y` cannot reach the registry behind a proxy. */
const NETWORK_VARIABLES = [
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  "NODE_EXTRA_CA_CERTS",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
];

function networkEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of NETWORK_VARIABLES) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}
