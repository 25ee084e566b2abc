import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Agent, Journal } from "@loom/core";
import { createThreadHandler, toNodeHandler } from "@loom/http";
import { PAGE } from "./page.js";

export { exampleAgent } from "./agent.js";

export interface ExampleServerOptions {
  readonly journal: Journal;
  /** Runs threads in this process; without one the server only streams what others run. */
  readonly agent?: Agent;
  readonly host?: string;
  readonly port?: number;
  /** Default: 24 random bytes. */
  readonly token?: string;
}

/** The page at `/` and the thread API under `/api`, on one Node http server (127.0.0.1 by default). */
export async function startExampleServer(options: ExampleServerOptions): Promise<{
  url: string;
  origin: string;
  token: string;
  /** Cuts every open connection, as a network blip would: try the page's reconnects with it. */
  dropConnections: () => void;
  close: () => Promise<void>;
}> {
  const token = options.token ?? randomBytes(24).toString("base64url");
  const handler = createThreadHandler({
    journal: options.journal,
    ...(options.agent ? { agent: options.agent } : {}),
    token,
    basePath: "/api",
  });
  const api = toNodeHandler(handler);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname.startsWith("/api/")) return api(req, res);
    if (url.pathname !== "/") {
      res.writeHead(404).end();
      return;
    }
    const given = Buffer.from(url.searchParams.get("token") ?? "");
    const expected = Buffer.from(token);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      res.writeHead(401, { "content-type": "text/plain" }).end("Open the URL with its ?token=, as printed.");
      return;
    }
    res.writeHead(200, {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
      "cache-control": "no-store",
    });
    res.end(PAGE);
  });
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve),
  );
  const { port } = server.address() as AddressInfo;
  const origin = `http://${options.host ?? "127.0.0.1"}:${port}`;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    dropConnections: () => server.closeAllConnections(),
    close: async () => {
      await handler.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
