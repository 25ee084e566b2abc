import { IDEMPOTENCY_META_KEY } from "./names.js";

type RequestId = string | number;

/** The server's requests that serve a tool call: a model call (sampling) and a question to the user. */
const WATCHED = ["sampling/createMessage", "elicitation/create"];

/**
 * Which tool call a server's request (sampling, elicitation) serves, over Streamable HTTP. A server
 * sends a request it makes while handling a call on that call's response stream (the SDK's
 * `relatedRequestId`), so the stream says which call it is for; stdio says nothing of the kind. Read
 * from the response streams of `tools/call` requests as they pass, their bytes unchanged.
 */
export class RequestCalls {
  /** Request id → the idempotency key of the call whose stream carried it. */
  private readonly byRequest = new Map<RequestId, string>();

  /** A POST's response; when the POST was a `tools/call` answered with a stream, that stream watched. */
  watch(body: unknown, response: Response): Response {
    const key = callKey(body);
    if (key === undefined || !response.body) return response;
    if (!response.headers.get("content-type")?.includes("text/event-stream")) return response;
    const decoder = new TextDecoder();
    let pending = "";
    const scan = (text: string) => {
      pending += text;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        if (!line.startsWith("data:") || !WATCHED.some((method) => line.includes(method))) continue;
        try {
          const message = JSON.parse(line.slice(5)) as { method?: unknown; id?: unknown };
          if (
            WATCHED.includes(message.method as string) &&
            (typeof message.id === "string" || typeof message.id === "number")
          ) {
            this.byRequest.set(message.id, key);
          }
        } catch {
          // not JSON: the SDK reports it
        }
      }
    };
    const watched = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          controller.enqueue(chunk);
          scan(decoder.decode(chunk, { stream: true }));
        },
      }),
    );
    return new Response(watched, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  }

  /** The idempotency key of the call a request came with, if its stream said (once). */
  take(requestId: RequestId): string | undefined {
    const key = this.byRequest.get(requestId);
    this.byRequest.delete(requestId);
    return key;
  }
}

/** The idempotency key of a `tools/call` request body Loom sent, if it is one. */
function callKey(body: unknown): string | undefined {
  if (typeof body !== "string" || !body.includes('"tools/call"')) return undefined;
  try {
    const message = JSON.parse(body) as { method?: unknown; params?: { _meta?: Record<string, unknown> } };
    const key = message.method === "tools/call" ? message.params?._meta?.[IDEMPOTENCY_META_KEY] : undefined;
    return typeof key === "string" ? key : undefined;
  } catch {
    return undefined;
  }
}
