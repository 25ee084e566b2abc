import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { connect, createServer, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { connectMcp, type McpConnection, type McpStdioServer } from "../src/index.js";

// Real MCP servers from npm (devDependencies), started from the pnpm store: no network needed.
const bin = (pkg: string) =>
  fileURLToPath(new URL(`../node_modules/@modelcontextprotocol/${pkg}/dist/index.js`, import.meta.url));

export const EVERYTHING = bin("server-everything");
export const FILESYSTEM = bin("server-filesystem");

/** server-everything over stdio (its default transport). */
export function everythingStdio(): McpStdioServer {
  return { command: process.execPath, args: [EVERYTHING, "stdio"] };
}

/** server-filesystem over stdio, allowed to touch `dir` only. */
export function filesystemStdio(dir: string): McpStdioServer {
  return { command: process.execPath, args: [FILESYSTEM, dir] };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()));
    });
  });
}

export interface HttpServerProcess {
  readonly url: string;
  readonly port: number;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** server-everything over Streamable HTTP, on a free port; `url` is its /mcp endpoint. */
export function everythingHttp(port?: number): Promise<HttpServerProcess> {
  return httpServer([EVERYTHING, "streamableHttp"], {}, port);
}

export const RESUMABLE_SERVER = fileURLToPath(new URL("./fixtures/resumable-server.mjs", import.meta.url));

/** The resumable fixture over Streamable HTTP (without its event store with `NO_EVENT_STORE: "1"`). */
export function resumableHttp(env: Record<string, string> = {}): Promise<HttpServerProcess> {
  return httpServer([RESUMABLE_SERVER], env);
}

export const OAUTH_SERVER = fileURLToPath(new URL("./fixtures/oauth-server.mjs", import.meta.url));

/** The OAuth-protected fixture: its MCP endpoint, and its authorization server on a port of its own. */
export async function oauthHttp(): Promise<HttpServerProcess & { readonly authUrl: string }> {
  const authPort = await freePort();
  const server = await httpServer(
    [OAUTH_SERVER],
    { AUTH_PORT: String(authPort) },
    undefined,
    "mcp ready on port",
  );
  return { ...server, authUrl: `http://127.0.0.1:${authPort}/` };
}

/** A node script serving MCP over HTTP on a free port (`PORT`), ready once it prints `ready`. */
async function httpServer(
  args: string[],
  env: Record<string, string>,
  port?: number,
  ready = "listening on port",
): Promise<HttpServerProcess> {
  port ??= await freePort();
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not start: ${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(ready)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${args[0]} exited (${code}): ${output}`));
    });
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    port,
    process: child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    },
  };
}

/**
 * A TCP proxy on 127.0.0.1 to `port` whose connections can be cut at once, as a network that drops
 * does; the server behind it stays up. `connections` counts those it accepted.
 */
export async function cuttableProxy(port: number): Promise<{
  url(path: string): string;
  readonly connections: number;
  cut(): void;
  close(): Promise<void>;
}> {
  const open = new Set<Socket>();
  let connections = 0;
  const server = createServer((client) => {
    connections++;
    const upstream = connect(port, "127.0.0.1");
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on("close", () => open.delete(socket));
      socket.on("error", () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const own = typeof address === "object" && address ? address.port : 0;
  return {
    url: (path) => `http://127.0.0.1:${own}${path}`,
    get connections() {
      return connections;
    },
    cut: () => {
      for (const socket of open) socket.destroy();
    },
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export const LEDGER_SERVER = fileURLToPath(new URL("./fixtures/ledger-server.mjs", import.meta.url));

/** The ledger fixture server over stdio, writing its effects to `ledger`. */
export function ledgerStdio(ledger: string): McpStdioServer {
  return { command: process.execPath, args: [LEDGER_SERVER], env: { LEDGER: ledger } };
}

/** The ledger's lines (empty when it does not exist yet). */
export function readLedger(ledger: string): string[] {
  try {
    return readFileSync(ledger, "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

/** Resolves once `test(lines)` holds, polling every 10 ms (rejects after `ms`). */
export async function waitForLedger(
  ledger: string,
  test: (lines: string[]) => boolean,
  ms = 20_000,
): Promise<void> {
  const until = Date.now() + ms;
  while (!test(readLedger(ledger))) {
    if (Date.now() > until) throw new Error(`ledger never matched: ${readLedger(ledger).join(" | ")}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const opened: McpConnection[] = [];

/** `connectMcp`, remembered so that `closeOpened()` (in `afterEach`) closes it. */
export async function connectForTest(...args: Parameters<typeof connectMcp>): Promise<McpConnection> {
  const mcp = await connectMcp(...args);
  opened.push(mcp);
  return mcp;
}

/** Closes every connection `connectForTest` made. */
export async function closeOpened(): Promise<void> {
  await Promise.all(opened.splice(0).map((c) => c.close()));
}

/**
 * Answers one HTTP request as a stateless SDK server (a new server and transport per request) whose
 * one tool, `ping`, answers "pong"; `body` is the request's JSON when it was read already.
 */
export async function answerWithPingServer(
  req: IncomingMessage,
  res: ServerResponse,
  body?: unknown,
): Promise<void> {
  const server = new McpServer({ name: "ping", version: "1.0.0" });
  server.registerTool("ping", { description: "ping", annotations: { readOnlyHint: true } }, async () => ({
    content: [{ type: "text", text: "pong" }],
  }));
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  res.on("close", () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, body);
}
