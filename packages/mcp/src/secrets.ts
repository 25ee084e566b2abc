import { redactedCause, redactSecrets } from "@loom/core";
import { McpError, type McpErrorCode } from "./errors.js";
import type { McpServer } from "./session.js";

/**
 * A value this short is not removed wherever it appears: a query's `v=2` or an env's `DEBUG=1`
 * would blank out every digit of a message. Credential-shaped text (`Bearer …`, `api_key=…`) is
 * removed at any length.
 */
const SHORTEST_SECRET = 8;
/** Request headers that carry no credential: the SDK's and fetch's own. */
const PLAIN_HEADERS = new Set([
  "accept",
  "content-type",
  "content-length",
  "last-event-id",
  "mcp-protocol-version",
  "mcp-session-id",
  "user-agent",
]);
/** A command-line flag whose value is a credential: `--api-key X`, `--token=X`. */
const SECRET_FLAG = /^--?[\w-]*(key|token|secret|passw(or)?d|auth|credential)[\w-]*$/i;
/** How much of a server's HTTP error body a message keeps (an HTML error page can be 50 kB). */
const BODY_LIMIT = 500;

/**
 * What a connection's errors must not carry, and the one way its errors are made. The credentials
 * a server is given (its headers, the URL's user, password and query, a stdio server's `env` and
 * secret flags) and every header a request sent (an OAuth provider's bearer token) are removed from
 * every message, from the text a server answered with (a 4xx or 5xx body that echoes the request)
 * and from its stderr; the SDK's error is kept as a redacted copy (`redactedCause`), not itself.
 */
export class ConnectionSecrets {
  private readonly values = new Set<string>();

  constructor(server: McpServer) {
    if ("url" in server) {
      const url = new URL(server.url);
      this.add(decodeURIComponent(url.username));
      this.add(decodeURIComponent(url.password));
      for (const value of url.searchParams.values()) this.add(value);
      this.sent(server.headers ? { ...server.headers } : undefined);
    } else {
      for (const value of Object.values(server.env ?? {})) this.add(value);
      for (const value of flagValues(server.args ?? [])) this.add(value);
    }
  }

  /** Notes the credentials among a request's headers (a token without its scheme: a server may echo it bare). */
  sent(headers: ConstructorParameters<typeof Headers>[0]): void {
    if (headers === undefined) return;
    for (const [name, value] of new Headers(headers)) {
      if (!PLAIN_HEADERS.has(name)) this.add(value.replace(/^(Bearer|Basic)\s+/i, ""));
    }
  }

  redact(text: string): string {
    return redactSecrets(text, [...this.values]);
  }

  /** An `McpError` whose message and cause hold none of the connection's secrets. */
  error(
    code: McpErrorCode,
    server: string,
    message: string,
    options: { cause?: unknown; outcomeUnknown?: boolean } = {},
  ): McpError {
    const redact = (text: string) => this.redact(text);
    return new McpError(code, server, redact(message), {
      ...(options.cause !== undefined ? { cause: redactedCause(options.cause, redact) } : {}),
      ...(options.outcomeUnknown !== undefined ? { outcomeUnknown: options.outcomeUnknown } : {}),
    });
  }

  private add(value: string): void {
    if (value.length >= SHORTEST_SECRET) this.values.add(value);
  }
}

/**
 * How messages name a server: a URL without its user, password, query values and fragment; a
 * command line with the value of every secret flag hidden.
 */
export function describeServer(server: McpServer): string {
  if ("url" in server) {
    const url = new URL(server.url);
    const query = [...url.searchParams.keys()].map((key) => `${encodeURIComponent(key)}=…`).join("&");
    return `${url.protocol}//${url.host}${url.pathname}${query ? `?${query}` : ""}`;
  }
  const hidden = new Set(flagValues(server.args ?? []));
  return [server.command, ...(server.args ?? []).map((arg) => hideFlagValue(arg, hidden))]
    .map((a) => (/\s/.test(a) ? JSON.stringify(a) : a))
    .join(" ");
}

/** A server's HTTP error text cut to what a message needs: cut after redacting, or a secret's start would stay. */
export function shortBody(text: string): string {
  return text.length > BODY_LIMIT ? `${text.slice(0, BODY_LIMIT)}… (${text.length} characters)` : text;
}

/** The values of secret flags: the argument after `--token`, the part after `--token=`. */
function flagValues(args: readonly string[]): string[] {
  const values: string[] = [];
  args.forEach((arg, i) => {
    const eq = arg.indexOf("=");
    if (eq > 0 && SECRET_FLAG.test(arg.slice(0, eq))) values.push(arg.slice(eq + 1));
    else if (SECRET_FLAG.test(arg) && i + 1 < args.length && !args[i + 1]!.startsWith("-")) {
      values.push(args[i + 1]!);
    }
  });
  return values;
}

function hideFlagValue(arg: string, hidden: ReadonlySet<string>): string {
  const eq = arg.indexOf("=");
  if (eq > 0 && SECRET_FLAG.test(arg.slice(0, eq))) return `${arg.slice(0, eq)}=…`;
  return hidden.has(arg) ? "…" : arg;
}
