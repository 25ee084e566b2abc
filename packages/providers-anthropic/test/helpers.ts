import type { ModelRequest, Provider, ProviderStreamPart } from "@loom/core";
import type { RecordedExchange } from "@loom/testing";

export async function collect(provider: Provider, request: ModelRequest): Promise<ProviderStreamPart[]> {
  const parts: ProviderStreamPart[] = [];
  for await (const part of provider.doStream(request, { signal: new AbortController().signal })) {
    parts.push(part);
  }
  return parts;
}

export async function failure(provider: Provider, request: ModelRequest): Promise<unknown> {
  return collect(provider, request).then(
    () => {
      throw new Error("expected the call to fail");
    },
    (error: unknown) => error,
  );
}

export const ask = (content: string, extra: Partial<ModelRequest> = {}): ModelRequest => ({
  messages: [{ role: "user", content }],
  tools: [],
  settings: {},
  ...extra,
});

export function jsonExchange(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): RecordedExchange {
  return {
    response: {
      status,
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    },
  };
}

export function sseExchange(
  events: readonly unknown[],
  options: { named?: boolean; done?: boolean } = {},
): RecordedExchange {
  const body =
    events
      .map((e) =>
        options.named
          ? `event: ${(e as { type: string }).type}\ndata: ${JSON.stringify(e)}\n\n`
          : `data: ${JSON.stringify(e)}\n\n`,
      )
      .join("") + (options.done ? "data: [DONE]\n\n" : "");
  return { response: { status: 200, headers: { "content-type": "text/event-stream" }, body } };
}
