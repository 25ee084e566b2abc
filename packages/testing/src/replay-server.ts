import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { RecordedExchange, Recording } from "./recording.js";

/** A request the replay server received. `body` is the parsed JSON body (or the raw text if not JSON). */
export interface ReplayCall {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

export interface ReplayServerOptions {
  /**
   * Answer no request: record it, then hold the connection open until the client goes away or the
   * server closes. For abort tests.
   */
  readonly hold?: boolean;
  /** Stream only this many SSE events of each streamed response, then hold the connection open. */
  readonly stallAfterEvents?: number;
  /** Stream only this many SSE events of each streamed response, then cut the connection. */
  readonly cutAfterEvents?: number;
}

export interface ReplayServer {
  /** `http://127.0.0.1:<port>`, the origin to use as (the start of) an SDK's `baseURL`. */
  readonly url: string;
  /** Every request received, in order. */
  readonly calls: readonly ReplayCall[];
  /** Recorded exchanges not served yet. */
  readonly remaining: number;
  /** Resolves once `count` requests have arrived. */
  waitForCalls(count: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts an HTTP server on 127.0.0.1 (random port) that answers each request with the next
 * recorded exchange, byte for byte, in the recording's order. Streams are written one SSE event at
 * a time so clients parse them across chunks as they do on the real wire. A request past the end of
 * the recording gets a 500 that says so.
 */
export async function startReplayServer(
  recording: Recording | readonly RecordedExchange[],
  options: ReplayServerOptions = {},
): Promise<ReplayServer> {
  const exchanges = "exchanges" in recording ? recording.exchanges : recording;
  const name = "name" in recording ? recording.name : "recording";
  const calls: ReplayCall[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let next = 0;

  const server = createServer((req, res) => {
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    let body: unknown = text;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      // Not JSON: keep the text.
    }
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers)) {
      if (typeof value === "string") headers[key] = value;
    }
    calls.push({ method: req.method ?? "GET", path: req.url ?? "/", headers, body });
    for (const waiter of waiters.filter((w) => calls.length >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    if (options.hold) return;
    const exchange = exchanges[next];
    if (!exchange) {
      res.writeHead(500, { "content-type": "application/json", "x-should-retry": "false" });
      res.end(
        JSON.stringify({
          error: {
            type: "replay_exhausted",
            message: `Replay server: ${name} has ${exchanges.length} recorded response(s), all served; request ${calls.length} has none.`,
          },
        }),
      );
      return;
    }
    next++;
    const { status, headers: responseHeaders, body: responseBody } = exchange.response;
    res.writeHead(status, responseHeaders);
    if (!(responseHeaders["content-type"] ?? "").includes("text/event-stream")) {
      res.end(responseBody);
      return;
    }
    const events = responseBody.split(/(?<=\n\n)/);
    const limit = options.cutAfterEvents ?? options.stallAfterEvents ?? events.length;
    for (const event of events.slice(0, limit)) {
      if (!res.write(event)) await new Promise((resolve) => res.once("drain", resolve));
    }
    if (options.cutAfterEvents !== undefined) {
      // Let the written events reach the client before the connection drops.
      await new Promise((resolve) => setImmediate(resolve));
      res.socket?.destroy();
    } else if (options.stallAfterEvents === undefined) res.end();
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    get remaining() {
      return exchanges.length - next;
    },
    waitForCalls(count) {
      if (calls.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
