import { ConfigError, redactSecrets } from "@loom/core";
import { auth, type OAuthClientProvider, UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpError } from "./errors.js";

export type { OAuthClientProvider };

/** Whether an SDK error means the server wants (other) credentials: HTTP 401, or the OAuth flow needs the user. */
export function isUnauthorized(error: unknown): boolean {
  return error instanceof UnauthorizedError || (error instanceof StreamableHTTPError && error.code === 401);
}

/**
 * What a refused connection or call says: how to authorize. Without the SDK's error as its cause: a
 * 401's body is the server's text, and one that echoes the request would carry its credentials.
 */
export function unauthorizedError(server: string, where: string, hasAuth: boolean): McpError {
  const next = hasAuth
    ? "Your `auth` provider was sent to the authorization page (its redirectToAuthorization); once the user approves, pass the code from the redirect to finishMcpAuthorization(server, code) and connect again."
    : "Pass an OAuth provider as the server's `auth` (an OAuthClientProvider from @modelcontextprotocol/sdk/client/auth.js), or a token in `headers`.";
  return new McpError(
    "mcp_unauthorized",
    server,
    `MCP server "${server}" at ${where} needs authorization. ${next}`,
  );
}

/**
 * Completes an OAuth authorization the server asked for: exchanges the code the authorization
 * server sent to the provider's redirect URL for tokens, which the provider saves
 * (`saveTokens`). Connect again afterwards. A code that is refused (wrong, used, expired) is an
 * `McpError` `mcp_unauthorized`.
 */
export async function finishMcpAuthorization(
  server: { readonly url: string | URL; readonly auth?: OAuthClientProvider },
  authorizationCode: string,
): Promise<void> {
  if (!server?.auth) {
    throw new ConfigError(
      "finishMcpAuthorization(server, code): the server has no `auth` provider; pass the same { url, auth } you connect with.",
    );
  }
  if (typeof authorizationCode !== "string" || authorizationCode === "") {
    throw new ConfigError(
      "finishMcpAuthorization(server, code): code is the `code` parameter of the URL the authorization server redirected the user to.",
    );
  }
  const url = new URL(server.url);
  try {
    await auth(server.auth, { serverUrl: url, authorizationCode });
  } catch (error) {
    // The authorization server's words, without the code or the client's secret should it echo them.
    const client = await Promise.resolve(server.auth.clientInformation()).catch(() => undefined);
    const reason = redactSecrets(error instanceof Error ? error.message : String(error), [
      authorizationCode,
      client?.client_secret ?? "",
    ]);
    throw new McpError(
      "mcp_unauthorized",
      url.host,
      `MCP server "${url.host}": the authorization server refused the code (${reason}). Start again: connect, let the user approve, and pass the new code.`,
    );
  }
}
