import { timingSafeEqual } from "node:crypto";
import {
  type Agent,
  ConfigError,
  cancelRun,
  deleteThread,
  type FrameStatus,
  type Journal,
  LoomError,
  listPendingApprovals,
  listRecentThreads,
  listThreads,
  loadThread,
  parseRecentCursor,
  pendingApprovals,
  readAll,
  recentCursorText,
  recordDecisions,
  type StoredEvent,
  ThreadBusyError,
  type ThreadInfo,
  type ThreadQuery,
  threadStatusAfter,
  validateThreadId,
  watchThread,
} from "@loom/core";
import { z } from "zod";
import { type LiveDelta, LiveRuns } from "./live-runs.js";
import { encodeEvent, HEARTBEAT } from "./sse.js";

export interface ThreadHandlerOptions {
  /** Where the threads live. Any process with the same journal sees the same threads. */
  readonly journal: Journal;
  /** Runs and resumes threads in this process (`POST .../runs`, `.../resume`, after decisions). */
  readonly agent?: Agent;
  /**
   * Required on every request when set (`Authorization: Bearer <token>`, or `?token=` for
   * `EventSource`, which cannot set headers). Without it the handler only reads: every request that
   * starts, decides, cancels or deletes is refused.
   */
  readonly token?: string;
  /** The path the routes live under, e.g. `"/api/loom"`. Default: none. */
  readonly basePath?: string;
  /** Origins (besides the request's own) allowed to send mutations. Default: none. */
  readonly allowedOrigins?: readonly string[];
  /** How often an idle event stream sends a comment, so proxies keep it open. Default 15 s. */
  readonly heartbeatMs?: number;
  /** For a journal without `subscribe`: how often new events are polled. Default 250 ms. */
  readonly pollIntervalMs?: number;
  /** How long a browser's `EventSource` waits before it reconnects (the SSE `retry` field). Default 1 s. */
  readonly reconnectMs?: number;
  /**
   * How long a cancel of a run another process drives waits for that run to stop (`cancelRun`'s
   * `waitMs`) before it answers `202`. Default 3 s.
   */
  readonly cancelWaitMs?: number;
}

/** A web-standard handler: give it a `Request`, get a `Response` (Node http via `toNodeHandler`). */
export interface ThreadHandler {
  (request: Request): Promise<Response>;
  /** Cancels the runs this handler started (each journals `run.cancelled`) and ends their streams. */
  close(): Promise<void>;
}

const RunBodySchema = z.object({ input: z.string().min(1) });
const DecisionsBodySchema = z.object({ decisions: z.record(z.string(), z.unknown()) });
const CancelBodySchema = z.object({ reason: z.string().min(1).optional() });
const ResumeBodySchema = z.object({ decisions: z.record(z.string(), z.unknown()).optional() });

/** A request the handler refuses: its status and a `code` clients can act on. */
class HttpError extends LoomError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
  ) {
    super(code, message);
  }
}

/**
 * The status `event` ends the thread's current run with (completed, failed, cancelled, interrupted),
 * as core's `threadStatusAfter` says, or undefined: the stream then ends with an `end` event.
 */
/**
 * A `snapshot` goes out with its seq but not its state (hundreds of kB of the window's messages,
 * which a client following events already has): `{ omitted: true }` folds to the same state but
 * for the texts a snapshot lists, which a client never needs.
 */
function forStream(event: StoredEvent): StoredEvent {
  return event.type === "snapshot" ? { ...event, data: { state: { omitted: true } } } : event;
}

function endOf(event: StoredEvent): FrameStatus | undefined {
  const status = threadStatusAfter("running", event);
  return status === "running" ? undefined : status;
}

/** The `end` event of a stream, after the event that ended the run. */
function endEvent(status: FrameStatus, lastSeq: number): string {
  return encodeEvent({ event: "end", data: JSON.stringify({ status, lastSeq }) });
}

/**
 * Serves a journal's threads over HTTP:
 *
 * - `GET  {base}/threads/:id/events` — Server-Sent Events: each journaled event as `event: event`
 *   with `id: <seq>` (`Last-Event-ID` or `?fromSeq=` picks up after a reconnect, nothing missed or
 *   repeated; a `snapshot` without its state), `partial`/`delta` for a model call in progress in this process, and `end` when the
 *   run completes, fails, is cancelled or pauses.
 * - `GET  {base}/threads/:id` — status, last seq and the calls waiting for a human.
 * - `GET  {base}/threads` — threads in id order, a page at a time (`?prefix=&status=&updatedBefore=&after=&limit=`).
 * - `GET  {base}/pending` — every call waiting for a human (`?prefix=`).
 * - `POST {base}/threads/:id/runs` `{ input }` — starts a run here (needs `agent`).
 * - `POST {base}/threads/:id/decisions` `{ decisions }` — journals decisions; with `agent`, resumes.
 * - `POST {base}/threads/:id/resume` `{ decisions? }` — resumes here (needs `agent`).
 * - `POST {base}/threads/:id/cancel` `{ reason? }` — stops the run (not the same as closing a stream).
 * - `DELETE {base}/threads/:id` (`?expectedSeq=`) — deletes the thread (`deleteThread`); 409 while a
 *   run holds it or when it moved past `expectedSeq`.
 */
export function createThreadHandler(options: ThreadHandlerOptions): ThreadHandler {
  if (!options || typeof options !== "object" || typeof options.journal?.read !== "function") {
    throw new ConfigError("createThreadHandler({ journal }): pass the Journal the threads live in.");
  }
  if (options.token !== undefined && (typeof options.token !== "string" || options.token.length < 16)) {
    throw new ConfigError(
      "createThreadHandler: token must be a string of at least 16 characters (e.g. randomBytes(24).toString('base64url')).",
    );
  }
  const { journal, agent } = options;
  const base = (options.basePath ?? "").replace(/\/+$/, "");
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const live = new LiveRuns();
  const closing = new AbortController();

  const handler = async (request: Request): Promise<Response> => {
    try {
      const url = new URL(request.url);
      if (!url.pathname.startsWith(`${base}/`))
        throw new HttpError(404, "not_found", `No route ${url.pathname}.`);
      const parts = url.pathname
        .slice(base.length + 1)
        .split("/")
        .map(decodeURIComponent);
      const mutation = request.method === "POST" || request.method === "DELETE";
      authorize(request, url, mutation);

      if (request.method === "GET" && parts.length === 1 && parts[0] === "pending") {
        const prefix = url.searchParams.get("prefix") ?? undefined;
        return json(200, { pending: await listPendingApprovals(journal, prefix ? { prefix } : {}) });
      }
      if (request.method === "GET" && parts.length === 1 && parts[0] === "threads") {
        return json(200, await threadList(url));
      }
      if (parts[0] !== "threads" || parts.length < 2)
        throw new HttpError(404, "not_found", `No route ${url.pathname}.`);
      const threadId = validateThreadId(parts[1]!);
      const action = parts.slice(2).join("/");

      if (request.method === "GET" && action === "events") return await events(request, url, threadId);
      if (request.method === "GET" && action === "") return json(200, await summary(threadId));
      if (!mutation)
        throw new HttpError(405, "method_not_allowed", `${request.method} ${url.pathname} is not served.`);
      if (request.method === "DELETE") {
        if (action !== "")
          throw new HttpError(404, "not_found", `No route ${request.method} ${url.pathname}.`);
        return json(200, await remove(threadId, url));
      }

      if (action === "runs") {
        const { input } = await body(request, RunBodySchema);
        const runner = needAgent("start a run");
        await live.start(threadId, (signal) => runner.stream(input, { threadId, signal }));
        return json(202, { threadId, events: `${base}/threads/${encodeURIComponent(threadId)}/events` });
      }
      if (action === "resume") {
        const { decisions } = await body(request, ResumeBodySchema);
        const runner = needAgent("resume a run");
        await live.start(threadId, (signal) =>
          runner.resumeStream(threadId, { signal, ...(decisions ? { decisions: decisions as never } : {}) }),
        );
        return json(202, { threadId });
      }
      if (action === "decisions") {
        const { decisions } = await body(request, DecisionsBodySchema);
        const recorded = await recordDecisions(journal, threadId, decisions as never);
        const resumed = agent !== undefined && recorded.pending.length === 0;
        if (resumed) await live.start(threadId, (signal) => agent.resumeStream(threadId, { signal }));
        return json(200, { ...recorded, resumed });
      }
      if (action === "cancel") {
        const { reason = "cancelled by a client" } = await body(request, CancelBodySchema);
        if (await live.cancel(threadId, reason)) return json(200, { threadId, cancelled: true });
        // Nobody runs it: journaled here; another process runs it: asked there, which journals it.
        const waitMs = options.cancelWaitMs;
        return (await cancelRun(journal, threadId, reason, waitMs === undefined ? {} : { waitMs })) ===
          "cancelled"
          ? json(200, { threadId, cancelled: true })
          : json(202, { threadId, cancelRequested: true });
      }
      throw new HttpError(404, "not_found", `No route ${request.method} ${url.pathname}.`);
    } catch (error) {
      return errorResponse(error);
    }
  };

  function needAgent(what: string): Agent {
    if (!agent) {
      throw new HttpError(
        501,
        "no_agent",
        `This handler has no agent, so it cannot ${what}; pass createThreadHandler({ journal, agent }).`,
      );
    }
    return agent;
  }

  function authorize(request: Request, url: URL, mutation: boolean): void {
    const expected = options.token;
    if (expected === undefined) {
      if (mutation) {
        throw new HttpError(
          403,
          "read_only",
          "This handler has no token, so it only reads; pass createThreadHandler({ token }) to start, decide, cancel or delete.",
        );
      }
      return;
    }
    const header = request.headers.get("authorization");
    const given = header?.startsWith("Bearer ") ? header.slice(7) : url.searchParams.get("token");
    if (given === null || given === undefined || !sameSecret(given, expected)) {
      throw new HttpError(401, "unauthorized", "A valid token is required (Authorization: Bearer <token>).");
    }
    if (mutation) {
      const origin = request.headers.get("origin");
      if (origin !== null && origin !== url.origin && !options.allowedOrigins?.includes(origin)) {
        throw new HttpError(403, "forbidden_origin", `Requests from origin ${origin} may not change runs.`);
      }
    }
  }

  /**
   * A page of threads (`listThreads`: the journal filters where it can; with `order=recent`,
   * `listRecentThreads`: the most recently written first); `next` continues it.
   */
  async function threadList(url: URL) {
    const param = (name: string) => url.searchParams.get(name) ?? undefined;
    const number = (name: string) => {
      const raw = param(name);
      if (raw === undefined) return undefined;
      const value = raw.trim() === "" ? Number.NaN : Number(raw);
      if (Number.isNaN(value)) {
        throw new HttpError(400, "invalid_range", `${name} must be a number, got "${raw}".`);
      }
      return value;
    };
    const limit = number("limit") ?? DEFAULT_THREAD_PAGE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_THREAD_PAGE) {
      throw new HttpError(
        400,
        "invalid_range",
        `limit must be an integer from 1 to ${MAX_THREAD_PAGE}, got ${limit}.`,
      );
    }
    const [prefix, after, status] = [param("prefix"), param("after"), param("status")];
    const updatedBefore = number("updatedBefore");
    const order = param("order") ?? "id";
    if (order !== "id" && order !== "recent") {
      throw new HttpError(400, "invalid_range", `order is "id" or "recent", got "${order}".`);
    }
    const statuses = status ? { statuses: status.split(",").map((s) => s.trim()) as FrameStatus[] } : {};
    const common = { limit: limit + 1, ...(prefix ? { prefix } : {}), ...statuses };
    // By last activity, `updatedBefore` is where the first page starts: just under it.
    const before = () =>
      after
        ? { before: parseRecentCursor(after) }
        : updatedBefore !== undefined
          ? { before: { updatedAt: updatedBefore, threadId: "" } }
          : {};
    const listing =
      order === "recent"
        ? listRecentThreads(journal, { ...common, ...before() })
        : listThreads(journal, {
            ...common,
            ...(after ? { after } : {}),
            ...(updatedBefore !== undefined ? { updatedBefore } : {}),
          } satisfies ThreadQuery);
    const threads: ThreadInfo[] = [];
    for await (const info of listing) threads.push(info);
    const more = threads.length > limit;
    if (more) threads.length = limit;
    if (!more) return { threads };
    const last = threads.at(-1)!;
    return { threads, next: order === "recent" ? recentCursorText(last) : last.threadId };
  }

  /** A run this handler drives is refused like one another process drives (the journal's lease). */
  async function remove(threadId: string, url: URL) {
    const raw = url.searchParams.get("expectedSeq");
    const expectedSeq = raw === null ? undefined : Number(raw);
    if (raw !== null && (raw.trim() === "" || !Number.isInteger(expectedSeq))) {
      throw new HttpError(400, "invalid_range", `expectedSeq must be an integer seq, got "${raw}".`);
    }
    if (live.has(threadId)) {
      throw ThreadBusyError.owned(threadId, "a run this server drives (cancel it first)");
    }
    if (!(await deleteThread(journal, threadId, expectedSeq === undefined ? {} : { expectedSeq }))) {
      throw new HttpError(404, "thread_not_found", `Thread "${threadId}" has no events.`);
    }
    return { threadId, deleted: true };
  }

  async function summary(threadId: string) {
    if ((await journal.head(threadId)) < 0)
      throw new HttpError(404, "thread_not_found", `Thread "${threadId}" has no events.`);
    // From the latest snapshot: a long thread's summary costs its end.
    const root = await loadThread(journal, threadId);
    return {
      threadId,
      status: root.status,
      lastSeq: root.lastSeq,
      running: live.has(threadId),
      pending: pendingApprovals(root),
      ...(root.result ? { text: root.result.text } : {}),
      ...(root.error ? { error: root.error } : {}),
    };
  }

  async function events(request: Request, url: URL, threadId: string): Promise<Response> {
    const fromSeq = startSeq(request, url);
    const head = await journal.head(threadId);
    const last =
      head >= 0 && fromSeq > head ? (await readAll(journal, threadId, { from: head }))[0] : undefined;
    const stop = new AbortController();
    const encoder = new TextEncoder();
    const abort = () => stop.abort();
    request.signal?.addEventListener("abort", abort, { once: true });
    closing.signal.addEventListener("abort", abort, { once: true });

    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        const send = (text: string) => {
          if (!stop.signal.aborted) controller.enqueue(encoder.encode(text));
        };
        const finish = () => {
          if (stop.signal.aborted) return;
          stop.abort();
          controller.close();
        };
        send(`retry: ${options.reconnectMs ?? 1000}\n\n`);
        // Already past the end of a finished run: say so now rather than wait for nothing.
        const ended = last && endOf(last);
        if (last && ended) {
          send(endEvent(ended, last.seq));
          finish();
          return;
        }
        const heartbeat = setInterval(() => send(HEARTBEAT), heartbeatMs);
        const onDelta = (delta: LiveDelta) =>
          send(encodeEvent({ event: "delta", data: JSON.stringify(delta) }));
        const deltas = live.follow(threadId, onDelta);
        for (const partial of deltas.partial) {
          send(encodeEvent({ event: "partial", data: JSON.stringify(partial) }));
        }
        void (async () => {
          try {
            for await (const event of watchThread(journal, threadId, {
              fromSeq,
              signal: stop.signal,
              ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
            })) {
              send(
                encodeEvent({
                  id: String(event.seq),
                  event: "event",
                  data: JSON.stringify(forStream(event)),
                }),
              );
              const end = endOf(event);
              if (end) {
                send(endEvent(end, event.seq));
                break;
              }
            }
          } catch (error) {
            send(encodeEvent({ event: "error", data: JSON.stringify(errorBody(error)) }));
          } finally {
            clearInterval(heartbeat);
            deltas.stop();
            request.signal?.removeEventListener("abort", abort);
            closing.signal.removeEventListener("abort", abort);
            finish();
          }
        })();
      },
      cancel: () => stop.abort(),
    });
    return new Response(body, {
      status: 200,
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      },
    });
  }

  return Object.assign(handler, {
    close: async () => {
      closing.abort();
      await live.close("the server is shutting down");
    },
  });
}

/** `Last-Event-ID` (the last seq a client saw) wins over `?fromSeq=`; default 0. */
function startSeq(request: Request, url: URL): number {
  const lastEventId = request.headers.get("last-event-id");
  const raw = lastEventId !== null && lastEventId !== "" ? lastEventId : url.searchParams.get("fromSeq");
  if (raw === null || raw === "") return 0;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new HttpError(
      400,
      "invalid_range",
      `${lastEventId ? "Last-Event-ID" : "fromSeq"} must be a non-negative integer seq, got "${raw}".`,
    );
  }
  return lastEventId ? value + 1 : value;
}

async function body<T>(request: Request, schema: z.ZodType<T>): Promise<T> {
  const text = await request.text();
  let raw: unknown = {};
  if (text.trim() !== "") {
    try {
      raw = JSON.parse(text);
    } catch {
      throw new HttpError(400, "invalid_body", "The request body must be JSON.");
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue && issue.path.length > 0 ? ` at "${issue.path.join(".")}"` : "";
    throw new HttpError(
      400,
      "invalid_body",
      `The request body is invalid${at}: ${issue?.message ?? "invalid"}.`,
    );
  }
  return parsed.data;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const DEFAULT_THREAD_PAGE = 100;
const MAX_THREAD_PAGE = 1_000;

const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  thread_busy: 409,
  journal_conflict: 409,
  not_supported: 501,
  thread_finished: 409,
  thread_not_found: 404,
  invalid_decision: 400,
  invalid_thread_id: 400,
  invalid_range: 400,
  invalid_config: 400,
};

function errorBody(error: unknown): { error: { code: string; message: string } } {
  if (LoomError.isInstance(error)) return { error: { code: error.code, message: error.message } };
  // Anything else may hold what a client must not see: only its kind leaves the server.
  return { error: { code: "internal", message: "The server failed to handle the request." } };
}

function errorResponse(error: unknown): Response {
  const status =
    error instanceof HttpError
      ? error.status
      : LoomError.isInstance(error)
        ? (STATUS_BY_CODE[error.code] ?? 500)
        : 500;
  return json(status, errorBody(error));
}

function json(status: number, value: unknown): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });
}
