// A local OpenAI-compatible server for tests and examples (no API key): the native OpenAI provider
// and the AI SDK adapter are both proven against it.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A request the server received. */
export interface CompatibleCall {
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Record<string, unknown>;
}

export interface CompatibleServerOptions {
  /** Answer 400 to a body with these fields, as strict servers do (`stream_options`, `max_completion_tokens`). */
  readonly rejectFields?: readonly string[];
}

export interface CompatibleServer {
  /** `http://127.0.0.1:<port>/v1`: the `baseURL` for a client. */
  readonly baseURL: string;
  readonly calls: readonly CompatibleCall[];
  close(): Promise<void>;
}

interface ChatMessage {
  role: string;
  content?: unknown;
  tool_call_id?: string;
}

/**
 * A local server that speaks the Chat Completions wire format (`POST /v1/chat/completions`,
 * streamed as server-sent events or not), the way Ollama, vLLM, llama.cpp and LM Studio do, with
 * no API key. Its "model" is a rule: with a `get_weather` tool and no tool result yet, it calls
 * the tool for Paris; once it has the result, it answers with it.
 */
export async function startCompatibleServer(
  options: CompatibleServerOptions = {},
): Promise<CompatibleServer> {
  const calls: CompatibleCall[] = [];
  const server = createServer((req, res) => {
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
    } catch {
      return json(res, 400, { error: { message: "The body is not JSON.", type: "invalid_request_error" } });
    }
    calls.push({ path: req.url ?? "/", headers: req.headers, body });
    if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
      return json(res, 404, { error: { message: `No route ${req.method} ${req.url}.`, type: "not_found" } });
    }
    const rejected = (options.rejectFields ?? []).find((field) => field in body);
    if (rejected) {
      return json(res, 400, {
        error: {
          message: `Unrecognized request argument supplied: ${rejected}`,
          type: "invalid_request_error",
        },
      });
    }
    const messages = (body.messages ?? []) as ChatMessage[];
    const tools = (body.tools ?? []) as { function?: { name?: string } }[];
    const result = messages.findLast((m) => m.role === "tool");
    const callTool = !result && tools.some((t) => t.function?.name === "get_weather");
    const text = result
      ? `It is ${String(result.content)} in Paris.`
      : callTool
        ? ""
        : "Hello from the local model.";
    const usage = {
      prompt_tokens: 20 + messages.length,
      completion_tokens: 7,
      total_tokens: 27 + messages.length,
    };
    const model = String(body.model);
    const id = `chatcmpl-local-${calls.length}`;

    if (body.stream !== true) {
      return json(res, 200, {
        id,
        object: "chat.completion",
        created: 1_700_000_000,
        model,
        choices: [
          {
            index: 0,
            message: {
              role: "assistant",
              content: callTool ? null : text,
              ...(callTool
                ? {
                    tool_calls: [
                      {
                        id: "call_local_1",
                        type: "function",
                        function: { name: "get_weather", arguments: '{"city":"Paris"}' },
                      },
                    ],
                  }
                : {}),
            },
            finish_reason: callTool ? "tool_calls" : "stop",
          },
        ],
        usage,
      });
    }

    res.writeHead(200, { "content-type": "text/event-stream", "x-request-id": `req_local_${calls.length}` });
    const send = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      res.write(
        `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created: 1_700_000_000, model, choices, ...extra })}\n\n`,
      );
    send([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]);
    if (callTool) {
      send([
        {
          index: 0,
          delta: {
            tool_calls: [
              {
                index: 0,
                id: "call_local_1",
                type: "function",
                function: { name: "get_weather", arguments: "" },
              },
            ],
          },
          finish_reason: null,
        },
      ]);
      for (const piece of ['{"city"', ':"Par', 'is"}']) {
        send([
          {
            index: 0,
            delta: { tool_calls: [{ index: 0, function: { arguments: piece } }] },
            finish_reason: null,
          },
        ]);
      }
    } else {
      for (const word of text.split(/(?<= )/))
        send([{ index: 0, delta: { content: word }, finish_reason: null }]);
    }
    send([{ index: 0, delta: {}, finish_reason: callTool ? "tool_calls" : "stop" }]);
    const streamOptions = body.stream_options as { include_usage?: boolean } | undefined;
    if (streamOptions?.include_usage) send([], { usage });
    res.end("data: [DONE]\n\n");
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    calls,
    close() {
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
