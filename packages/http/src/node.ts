import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";

/**
 * Adapts a web-standard handler to Node's `http.createServer`: the request becomes a `Request`
 * (its signal aborts when the client goes away), the `Response` is streamed back as it is produced.
 */
export function toNodeHandler(
  handler: (request: Request) => Promise<Response>,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const controller = new AbortController();
    res.on("close", () => controller.abort());
    const host = req.headers.host ?? "127.0.0.1";
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
    }
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const request = new Request(`http://${host}${req.url ?? "/"}`, {
      method: req.method ?? "GET",
      headers,
      signal: controller.signal,
      ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: "half" } : {}),
    } as RequestInit);
    void (async () => {
      try {
        const response = await handler(request);
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.flushHeaders();
        if (!response.body) {
          res.end();
          return;
        }
        const reader = response.body.getReader();
        controller.signal.addEventListener("abort", () => void reader.cancel().catch(() => undefined), {
          once: true,
        });
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          res.write(value);
        }
        res.end();
      } catch {
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end();
      }
    })();
  };
}
