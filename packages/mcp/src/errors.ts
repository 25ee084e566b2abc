import { LoomError } from "@loom/core";

export type McpErrorCode =
  /** The server could not be started or reached, or did not complete the MCP handshake. */
  | "mcp_connect_failed"
  /** The connection closed (the server exited or the HTTP stream broke) while a call was pending. */
  | "mcp_server_closed"
  /** The server did not answer a call within `timeoutMs`. */
  | "mcp_timeout"
  /** The server answered a request with a JSON-RPC error (not a tool result with `isError`). */
  | "mcp_request_failed"
  /** `close()` was called: the connection gives no more tools. */
  | "mcp_closed"
  /** The HTTP server wants credentials (401), or its OAuth flow needs the user: nothing ran. */
  | "mcp_unauthorized";

/**
 * A failure of an MCP server or of the connection to it. `code` is stable; `message` says what
 * happened and what to do. `outcomeUnknown` is true when a tool call may or may not have taken
 * effect on the server (the connection closed or the call timed out after it was sent).
 */
export class McpError extends LoomError {
  declare readonly code: McpErrorCode;
  /** The `name` of the connection (its server) the error came from. */
  readonly server: string;
  readonly outcomeUnknown: boolean;

  constructor(
    code: McpErrorCode,
    server: string,
    message: string,
    options?: { cause?: unknown; outcomeUnknown?: boolean },
  ) {
    super(code, message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.server = server;
    this.outcomeUnknown = options?.outcomeUnknown ?? false;
  }
}

/** A tool answered with `isError: true`: its text is what the model sees. */
export class McpToolError extends LoomError {
  declare readonly code: "mcp_tool_error";
  readonly server: string;
  readonly tool: string;

  constructor(server: string, tool: string, message: string) {
    super("mcp_tool_error", message);
    this.server = server;
    this.tool = tool;
  }
}
