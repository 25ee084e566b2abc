import type { ModelRequest, Provider, ProviderStreamPart } from "@loom/core";
import type { RecordedExchange } from "./recording.js";

/** Every part a provider streams for one request. */
export async function collectParts(
  provider: Provider,
  request: ModelRequest,
  signal: AbortSignal = new AbortController().signal,
): Promise<ProviderStreamPart[]> {
  const parts: ProviderStreamPart[] = [];
  for await (const part of provider.doStream(request, { signal })) parts.push(part);
  return parts;
}

/** The error a provider call fails with; throws if the call succeeds. */
export function failedCall(provider: Provider, request: ModelRequest): Promise<unknown> {
  return collectParts(provider, request).then(
    () => {
      throw new Error("expected the call to fail");
    },
    (error: unknown) => error,
  );
}

/** A request holding one user message. */
export const userRequest = (content: string, extra: Partial<ModelRequest> = {}): ModelRequest => ({
  messages: [{ role: "user", content }],
  tools: [],
  settings: {},
  ...extra,
});

/** A hand-made JSON response for the replay server (for cases no recording holds). */
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

/** A hand-made server-sent-events stream for the replay server; `named` adds `event:` lines. */
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
