import { type FrameStatus, parseEvent, type StoredEvent, type ThreadInfo } from "@loom/core";
import type { LiveDelta, PartialCall } from "./live-runs.js";
import { parseEventStream } from "./sse.js";

/** What a thread's event stream carries, parsed. */
export type ThreadStreamMessage =
  | { readonly kind: "event"; readonly event: StoredEvent }
  | { readonly kind: "partial"; readonly partial: PartialCall }
  | { readonly kind: "delta"; readonly delta: LiveDelta }
  | { readonly kind: "end"; readonly status: string; readonly lastSeq: number };

export interface FollowOverHttpOptions {
  /** The token of a handler created with one. */
  readonly token?: string;
  /** The first seq wanted (the last seq seen + 1). Default 0. */
  readonly fromSeq?: number;
  readonly signal?: AbortSignal;
  /** Wait before reconnecting after the stream broke. Default 250 ms. */
  readonly retryMs?: number;
  /** Give up after this many failed connections in a row. Default 20. */
  readonly maxRetries?: number;
  readonly fetch?: typeof fetch;
}

/**
 * Follows a thread served by `createThreadHandler` from another process (a Node client, a worker):
 * reconnects with `Last-Event-ID` whenever the stream breaks, so every journaled event arrives once
 * and in order, and ends after the `end` of the run. Events are validated with `parseEvent`.
 */
export async function* followThreadOverHttp(
  eventsUrl: string,
  options: FollowOverHttpOptions = {},
): AsyncIterable<ThreadStreamMessage> {
  const doFetch = options.fetch ?? fetch;
  let next = options.fromSeq ?? 0;
  let failures = 0;
  for (;;) {
    if (options.signal?.aborted) return;
    const headers: Record<string, string> = { accept: "text/event-stream" };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (next > 0) headers["last-event-id"] = String(next - 1);
    try {
      const response = await doFetch(eventsUrl, {
        headers,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (!response.ok || !response.body) {
        const text = await response.text().catch(() => "");
        // A refusal (bad token, bad seq) will not change by retrying.
        if (response.status >= 400 && response.status < 500) {
          throw new Error(`GET ${eventsUrl} answered ${response.status}: ${text}`);
        }
        throw new RetryableStreamError(`GET ${eventsUrl} answered ${response.status}`);
      }
      failures = 0;
      for await (const message of parseEventStream(response.body)) {
        if (message.event === "event") {
          const event = parseEvent(JSON.parse(message.data));
          if (event.seq < next) continue;
          next = event.seq + 1;
          yield { kind: "event", event };
        } else if (message.event === "partial") {
          yield { kind: "partial", partial: JSON.parse(message.data) as PartialCall };
        } else if (message.event === "delta") {
          yield { kind: "delta", delta: JSON.parse(message.data) as LiveDelta };
        } else if (message.event === "end") {
          const end = JSON.parse(message.data) as { status: string; lastSeq: number };
          yield { kind: "end", status: end.status, lastSeq: end.lastSeq };
          return;
        } else if (message.event === "error") {
          throw new Error(`The stream of ${eventsUrl} failed: ${message.data}`);
        }
      }
    } catch (error) {
      if (options.signal?.aborted) return;
      if (!(error instanceof RetryableStreamError) && !isNetworkError(error)) throw error;
      if (++failures > (options.maxRetries ?? 20)) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, options.retryMs ?? 250));
  }
}

export interface ListOverHttpOptions {
  /** The token of a handler created with one. */
  readonly token?: string;
  readonly prefix?: string;
  /** Only threads whose root status is one of these. */
  readonly statuses?: readonly FrameStatus[];
  /** Only threads last written before this time (ms since the epoch). */
  readonly updatedBefore?: number;
  /** Threads asked for per request (1–1,000). Default 100. */
  readonly pageSize?: number;
  /** `id` (default), or `recent`: the most recently written first. */
  readonly order?: "id" | "recent";
  readonly signal?: AbortSignal;
  readonly fetch?: typeof fetch;
}

/**
 * Every thread `GET {base}/threads` lists (`threadsUrl`), page after page following `next`, in id
 * order (or by last activity, `order: "recent"`). A refused request throws with the server's code and message.
 */
export async function* listThreadsOverHttp(
  threadsUrl: string,
  options: ListOverHttpOptions = {},
): AsyncIterable<ThreadInfo> {
  const doFetch = options.fetch ?? fetch;
  let after: string | undefined;
  do {
    const url = new URL(threadsUrl);
    url.searchParams.set("limit", String(options.pageSize ?? 100));
    if (options.prefix) url.searchParams.set("prefix", options.prefix);
    if (options.order) url.searchParams.set("order", options.order);
    if (options.statuses) url.searchParams.set("status", options.statuses.join(","));
    if (options.updatedBefore !== undefined)
      url.searchParams.set("updatedBefore", String(options.updatedBefore));
    if (after !== undefined) url.searchParams.set("after", after);
    const response = await doFetch(url, {
      headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const body = (await response.json().catch(() => ({}))) as {
      threads?: ThreadInfo[];
      next?: string;
      error?: { code: string; message: string };
    };
    if (!response.ok || !body.threads) {
      const why = body.error ? `${body.error.code}: ${body.error.message}` : "no thread list";
      throw new Error(`GET ${threadsUrl} answered ${response.status}: ${why}`);
    }
    yield* body.threads;
    after = body.next;
  } while (after !== undefined);
}

class RetryableStreamError extends Error {}

function isNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    error.name === "TypeError" ||
    error.name === "AbortError" ||
    /terminated|ECONNRESET|socket|fetch failed/i.test(error.message)
  );
}
