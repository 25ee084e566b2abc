import { randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { type AddressInfo, isIP } from "node:net";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type Agent,
  ConfigError,
  type Journal,
  LoomError,
  type Tool,
  validateThreadId,
  watchThread,
} from "@loom/core";
import { z } from "zod";
import {
  ApprovalsQuery,
  CancelBody,
  ContextQuery,
  DecisionsBody,
  DeleteBody,
  EventsQuery,
  FlameQuery,
  ForkBody,
  LiveQuery,
  type Resume,
  StateQuery,
  StudioApi,
  ThreadsQuery,
} from "./api.js";
import { StudioError } from "./errors.js";
import { type Prices, PricesSchema } from "./prices.js";
import { ThreadListWatch } from "./thread-list-watch.js";

export interface StudioOptions {
  readonly journal: Journal;
  /** Default "127.0.0.1". Anything else exposes the studio (token-guarded) to that network. */
  readonly host?: string;
  /** Default 0: a free port. */
  readonly port?: number;
  /** Decided threads resume in this process with this agent. Without it (or `resume`), decisions are only journaled. */
  readonly agent?: Agent;
  /**
   * How a thread goes on once a person decided its last waiting call; default `agent.resume`. Pass
   * e.g. `(threadId) => queue.resume(threadId)` to hand it to a `ThreadQueue`'s workers instead.
   */
  readonly resume?: Resume;
  /**
   * The agent's tools, when known (default: the `agent`'s): arguments a person edits are checked
   * against their input schemas before they are journaled, and the page shows each waiting call's
   * JSON Schema.
   */
  readonly tools?: readonly Tool[];
  /** The secret every request must carry. Default: 32 random bytes (base64url). 16–512 of A–Z a–z 0–9 -._~ */
  readonly token?: string;
  /** Told of requests that failed inside the studio (HTTP 500). Their details never reach the page. */
  readonly onError?: (error: unknown) => void;
  /** How often a live view looks for new events on a journal that cannot `subscribe`. Default 250 ms. */
  readonly pollMs?: number;
  /**
   * US dollars per million tokens, by provider name and model id (as `llm.requested` journals them):
   * `{ openai: { "gpt-4.1": { input: 2, output: 8, cached: 0.5 } } }`. With them the page shows each
   * thread's and each iteration's cost; a call whose model has no price makes its sum "—". The studio
   * ships no price list: take them from the providers' pricing pages.
   */
  readonly prices?: Prices;
  /** How often an open page of the thread list is read again for changes. Default 1,000 ms. */
  readonly listPollMs?: number;
}

export interface Studio {
  /** The page's address with its token: open it in a browser. */
  readonly url: string;
  /** The address without the token. */
  readonly origin: string;
  readonly token: string;
  /**
   * Stops the server and its live streams, then waits for the resumes it started to reach their end
   * or next pause (they are not cancelled). The journal stays open: it is yours.
   */
  close(): Promise<void>;
}

const MAX_BODY = 1_000_000;
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};
const PAGE_FILES = new Set(["/index.html", "/app.js", "/app.css"]);

/** The prebuilt page: beside the built module (dist/page), or in dist/page when running from src. */
function pageDir(): string {
  for (const candidate of ["./page/", "../dist/page/"]) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(join(dir, "index.html"))) return dir;
  }
  throw new StudioError(
    "page_missing",
    "The studio's page is not built: run `pnpm --filter @loom/studio build` (a published package ships it in dist/page).",
  );
}

/**
 * Starts Loom Studio over `journal`: a page and a JSON/SSE API on `host:port`, every request guarded
 * by a random token that is part of the printed `url`.
 */
export async function startStudio(options: StudioOptions): Promise<Studio> {
  const { journal, agent } = options;
  const host = options.host ?? "127.0.0.1";
  const token = options.token ?? randomBytes(32).toString("base64url");
  // It travels in a URL and a cookie: letters, digits and -._~ only.
  if (!/^[A-Za-z0-9._~-]{16,512}$/.test(token)) {
    throw new ConfigError(
      "startStudio: token must be 16 to 512 characters of letters, digits and -._~ (the default is 32 random bytes).",
    );
  }
  if (!journal || typeof journal.read !== "function") {
    throw new ConfigError(
      "startStudio: pass { journal }, a Journal (FsJournal, PostgresJournal, MemoryJournal...).",
    );
  }
  const dir = pageDir();
  const resume: Resume | undefined =
    options.resume ?? (agent ? (threadId) => agent.resume(threadId) : undefined);
  let prices: Prices | undefined;
  if (options.prices !== undefined) {
    const parsed = PricesSchema.safeParse(options.prices);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ConfigError(
        `startStudio: prices at "${issue?.path.join(".")}": ${issue?.message}. Prices are { [provider]: { [model]: { input, output, cached? } } } in US dollars per million tokens.`,
      );
    }
    prices = parsed.data;
  }
  // The agent's tools as they are at each check: a ToolSet of the agent can gain tools later.
  const api = new StudioApi(
    journal,
    resume,
    options.tools ?? (agent ? () => agent.tools : undefined),
    prices,
  );
  const listWatch = new ThreadListWatch(api, options.listPollMs ?? 1_000, options.onError);
  const live = new Set<AbortController>();
  const tokenBytes = Buffer.from(token);
  let port = options.port ?? 0;
  const cookieName = () => `loom_studio_${port}`;

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => sendError(res, error));
  });

  const sendError = (res: ServerResponse, error: unknown) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const known = knownError(error);
    if (!known) options.onError?.(error);
    const body = known ?? {
      status: 500,
      code: "internal",
      message: "The studio failed to answer; see its log.",
    };
    sendJson(res, body.status, { error: { code: body.code, message: body.message } });
  };

  const tokenOk = (given: string | undefined): boolean => {
    if (!given) return false;
    const bytes = Buffer.from(given);
    return bytes.length === tokenBytes.length && timingSafeEqual(bytes, tokenBytes);
  };

  /**
   * A page on another site that resolves its own name to 127.0.0.1 (DNS rebinding) sends that name as
   * its Host: only an IP address, localhost, or the host the studio was started on, with its port, pass.
   */
  const hostOk = (header: string | undefined): boolean => {
    const match = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(header ?? "");
    if (!match || Number(match[2]) !== port) return false;
    const name = match[1]!.replace(/^\[|\]$/g, "").toLowerCase();
    return name === host.toLowerCase() || name === "localhost" || isIP(name) !== 0;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostOk(req.headers.host)) {
      throw new StudioError("forbidden_host", `Host "${req.headers.host ?? ""}" is not this studio.`);
    }
    const url = new URL(req.url ?? "/", `http://${req.headers.host}`);
    const queryToken = url.searchParams.get("token") ?? undefined;
    const given = queryToken ?? headerToken(req) ?? cookieToken(req, cookieName());
    if (!tokenOk(given)) {
      throw new StudioError(
        "unauthorized",
        "This studio needs its token: open the URL it printed (with ?token=...).",
      );
    }
    if (req.method === "POST") {
      const origin = req.headers.origin;
      if (origin !== `http://${req.headers.host}`) {
        throw new StudioError(
          "forbidden_origin",
          `A change needs the studio's own Origin (http://${req.headers.host}); got ${origin ?? "none"}.`,
        );
      }
    } else if (req.method !== "GET" && req.method !== "HEAD") {
      throw new StudioError(
        "method_not_allowed",
        `${req.method} is not allowed: reads are GET, changes POST.`,
      );
    }
    const path = url.pathname;
    if (!path.startsWith("/api/")) {
      if (queryToken !== undefined) {
        // Keep the token out of the address bar, history and Referer: a cookie for this port carries it.
        res.writeHead(303, {
          "set-cookie": `${cookieName()}=${token}; HttpOnly; SameSite=Strict; Path=/`,
          location: path,
          "cache-control": "no-store",
        });
        res.end();
        return;
      }
      return servePage(res, path === "/" ? "/index.html" : path);
    }
    await route(req, res, path, url.searchParams);
  }

  async function servePage(res: ServerResponse, file: string): Promise<void> {
    if (!PAGE_FILES.has(file)) throw new StudioError("not_found", `No page ${file}.`);
    const body = await readFile(join(dir, file.slice(1)));
    res.writeHead(200, {
      "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "x-frame-options": "DENY",
      "content-security-policy":
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    });
    res.end(body);
  }

  async function route(req: IncomingMessage, res: ServerResponse, path: string, params: URLSearchParams) {
    const query = Object.fromEntries(params);
    const post = req.method === "POST";
    if (path === "/api/threads" && !post)
      return sendJson(res, 200, await api.threads(ThreadsQuery.parse(query)));
    if (path === "/api/threads/live" && !post) return streamThreads(req, res, ThreadsQuery.parse(query));
    if (path === "/api/approvals" && !post) {
      return sendJson(res, 200, {
        approvals: await api.approvals(undefined, ApprovalsQuery.parse(query).prefix),
      });
    }
    if (path === "/api/info" && !post) {
      return sendJson(res, 200, {
        agent: agent?.name ?? null,
        resumes: resume !== undefined,
        prices: prices !== undefined,
      });
    }
    const match = /^\/api\/threads\/([^/]+)\/([a-z]+)$/.exec(path);
    if (!match) throw new StudioError("not_found", `No API route ${path}.`);
    const threadId = decodeURIComponent(match[1]!);
    const action = match[2]!;
    switch (`${req.method === "HEAD" ? "GET" : req.method} ${action}`) {
      case "GET summary":
        return sendJson(res, 200, await api.summary(threadId));
      case "GET events":
        return sendJson(res, 200, await api.events(threadId, EventsQuery.parse(query)));
      case "GET state":
        return sendJson(res, 200, await api.state(threadId, StateQuery.parse(query).seq));
      case "GET context":
        return sendJson(res, 200, await api.context(threadId, ContextQuery.parse(query)));
      case "GET changes":
        return sendJson(res, 200, await api.changes(threadId, ContextQuery.parse(query)));
      case "GET approvals":
        return sendJson(res, 200, { approvals: await api.approvals(threadId, undefined) });
      case "GET flame":
        return sendFlame(res, await api.flame(threadId, FlameQuery.parse(query)));
      case "GET live": {
        // A browser's EventSource reconnects with the last id it saw: go on after it.
        const lastId = Number(req.headers["last-event-id"]);
        const from = LiveQuery.parse(query).from;
        return streamLive(req, res, threadId, Number.isInteger(lastId) && lastId >= from ? lastId + 1 : from);
      }
      case "POST decisions": {
        const body = DecisionsBody.parse(await readJson(req));
        return sendJson(res, 200, await api.decide(threadId, body.decisions));
      }
      case "POST cancel": {
        const body = CancelBody.parse(await readJson(req));
        return sendJson(res, 200, await api.cancel(threadId, body.reason));
      }
      case "POST delete": {
        const body = DeleteBody.parse(await readJson(req));
        return sendJson(res, 200, await api.delete(threadId, body.expectedSeq));
      }
      case "POST fork": {
        const body = ForkBody.parse(await readJson(req));
        return sendJson(res, 200, await api.fork(threadId, body.at, body.to));
      }
      default:
        throw new StudioError("not_found", `No API route ${req.method} ${path}.`);
    }
  }

  /** The open page of the thread list, live: a snapshot first, then the page again whenever a row changed. */
  function streamThreads(req: IncomingMessage, res: ServerResponse, query: z.infer<typeof ThreadsQuery>) {
    const stop = new AbortController();
    live.add(stop);
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-accel-buffering": "no",
      connection: "keep-alive",
    });
    res.write(": threads\n\n");
    const ping = setInterval(() => res.write(": ping\n\n"), 15_000);
    const unsubscribe = listWatch.subscribe(query, (page) => {
      res.write(`event: threads\ndata: ${JSON.stringify(page)}\n\n`);
    });
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      unsubscribe();
      clearInterval(ping);
      live.delete(stop);
      res.end();
    };
    req.on("close", end);
    stop.signal.addEventListener("abort", end, { once: true });
  }

  async function streamLive(req: IncomingMessage, res: ServerResponse, threadId: string, from: number) {
    validateThreadId(threadId); // a thread that does not exist yet is watched until it does
    const stop = new AbortController();
    live.add(stop);
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-accel-buffering": "no",
      connection: "keep-alive",
    });
    res.write(": live\n\n");
    const ping = setInterval(() => res.write(": ping\n\n"), 15_000);
    const end = () => stop.abort();
    req.on("close", end);
    try {
      for await (const event of watchThread(journal, threadId, {
        fromSeq: from,
        signal: stop.signal,
        ...(options.pollMs ? { pollIntervalMs: options.pollMs } : {}),
      })) {
        if (stop.signal.aborted) break;
        res.write(`id: ${event.seq}\nevent: loom\ndata: ${JSON.stringify(event)}\n\n`);
      }
    } catch (error) {
      if (!stop.signal.aborted) options.onError?.(error);
    } finally {
      clearInterval(ping);
      req.off("close", end);
      live.delete(stop);
      res.end();
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    close: async () => {
      for (const stop of live) stop.abort();
      listWatch.close();
      await api.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function headerToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith("Bearer ")) return auth.slice("Bearer ".length);
  const header = req.headers["x-loom-studio-token"];
  return typeof header === "string" ? header : undefined;
}

function cookieToken(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return undefined;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  if (!(req.headers["content-type"] ?? "").startsWith("application/json")) {
    throw new StudioError("bad_request", "A change is sent as JSON (content-type: application/json).");
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new StudioError("bad_request", `The request body is over ${MAX_BODY} bytes.`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new StudioError("bad_request", "The request body is not JSON.");
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  });
  res.end(JSON.stringify(body));
}

/** The debugger's flame graph page, in a sandbox of its own: its inline script cannot reach the studio. */
function sendFlame(res: ServerResponse, html: string): void {
  res.writeHead(200, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "content-security-policy":
      "sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'",
  });
  res.end(html);
}

const NOT_FOUND = new Set([
  "thread_not_found",
  "frame_not_found",
  "iteration_not_found",
  "component_not_found",
]);
const BAD_REQUEST = new Set(["invalid_thread_id", "invalid_range", "invalid_decision", "invalid_config"]);
const CONFLICT = new Set(["thread_exists", "thread_busy", "thread_finished", "journal_conflict"]);

/** The status and words of an error the user can act on; undefined for a failure of the studio itself. */
function knownError(error: unknown): { status: number; code: string; message: string } | undefined {
  if (StudioError.isInstance(error))
    return { status: error.status, code: error.code, message: error.message };
  if (error instanceof z.ZodError) {
    const issue = error.issues[0];
    return {
      status: 400,
      code: "bad_request",
      message: `Bad request at "${issue?.path.join(".") || "(root)"}": ${issue?.message}`,
    };
  }
  if (LoomError.isInstance(error)) {
    const status = NOT_FOUND.has(error.code)
      ? 404
      : BAD_REQUEST.has(error.code)
        ? 400
        : CONFLICT.has(error.code)
          ? 409
          : undefined;
    if (status) return { status, code: error.code, message: error.message };
  }
  return undefined;
}
