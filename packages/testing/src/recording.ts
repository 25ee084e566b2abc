import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { gunzipSync } from "node:zlib";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

/** One HTTP exchange of a recording: what was asked (when the recording kept it) and what came back. */
export interface RecordedExchange {
  readonly request?: { readonly method: string; readonly path: string; readonly body: unknown };
  readonly response: {
    readonly status: number;
    readonly headers: Readonly<Record<string, string>>;
    /** The exact body the API sent (UTF-8 text: JSON or `text/event-stream`). */
    readonly body: string;
  };
}

/** A recording loaded from any of the supported formats, as the replay server serves it. */
export interface Recording {
  readonly name: string;
  readonly exchanges: readonly RecordedExchange[];
}

export interface LoadRecordingOptions {
  /**
   * HTTP status for a body-only JSON file, whose status was not stored. Default: inferred from
   * the error body (`insufficient_quota` and rate limits → 429, `invalid_request_error` → 400, ...),
   * else 200.
   */
  readonly status?: number;
}

/** Headers that describe the original transfer, not the body we send again. */
const TRANSFER_HEADERS = new Set(["content-length", "transfer-encoding", "connection", "content-encoding"]);

/**
 * Reads a recorded API response file in any of the formats of the shared fixtures: raw SSE
 * (`.sse`), vercel/ai chunk files (`.chunks.txt`), response bodies (`.json`), inline-snapshot and
 * nock arrays (`.json`), and VCR cassettes (`.yaml`, gzip bodies included).
 */
export function loadRecording(file: string, options: LoadRecordingOptions = {}): Recording {
  const name = basename(file);
  const text = readFileSync(file, "utf8");
  try {
    if (file.endsWith(".sse")) {
      return { name, exchanges: [{ response: { status: 200, headers: SSE, body: text } }] };
    }
    if (file.endsWith(".chunks.txt")) return { name, exchanges: chunkExchanges(text) };
    if (file.endsWith(".yaml") || file.endsWith(".yml")) return { name, exchanges: vcrExchanges(text) };
    if (file.endsWith(".json")) {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) return { name, exchanges: parsed.map(arrayExchange) };
      return {
        name,
        exchanges: [
          {
            response: {
              status: options.status ?? inferStatus(parsed),
              headers: JSON_TYPE,
              body: JSON.stringify(parsed),
            },
          },
        ],
      };
    }
  } catch (error) {
    throw new Error(
      `Recording ${name} could not be read: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  throw new Error(
    `Recording ${name}: unknown format. Use .sse, .chunks.txt, .json (body, snapshot or nock array) or .yaml (VCR cassette).`,
  );
}

const SSE = { "content-type": "text/event-stream; charset=utf-8" };
const JSON_TYPE = { "content-type": "application/json" };

/**
 * vercel/ai chunk files hold one payload per line without SSE framing. Chat Completions chunks get
 * `data:` lines and `[DONE]`; Responses and Anthropic payloads get `event: <type>` lines. Several
 * Responses streams in one file are split at each `response.created`.
 */
function chunkExchanges(text: string): RecordedExchange[] {
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  const types = lines.map((line) =>
    z.object({ type: z.string().optional() }).passthrough().parse(JSON.parse(line)),
  );
  const isChat = types.some((payload) => payload.object === "chat.completion.chunk");
  if (isChat) {
    const body = `${lines.map((line) => `data: ${line}\n\n`).join("")}data: [DONE]\n\n`;
    return [{ response: { status: 200, headers: SSE, body } }];
  }
  const streams: string[][] = [];
  lines.forEach((line, i) => {
    const type = types[i]?.type ?? "message";
    if (streams.length === 0 || (type === "response.created" && streams.at(-1)!.length > 0)) streams.push([]);
    streams.at(-1)!.push(`event: ${type}\ndata: ${line}\n\n`);
  });
  return streams.map((events) => ({ response: { status: 200, headers: SSE, body: events.join("") } }));
}

const VcrSchema = z.object({
  interactions: z.array(
    z.object({
      request: z.object({
        method: z.string(),
        uri: z.string(),
        body: z.string().nullish(),
        parsed_body: z.unknown().optional(),
      }),
      response: z.object({
        status: z.object({ code: z.number() }),
        headers: z.record(z.string(), z.array(z.string())).default({}),
        body: z.object({ string: z.union([z.string(), z.instanceof(Uint8Array)]) }).optional(),
        parsed_body: z.unknown().optional(),
      }),
    }),
  ),
});

function vcrExchanges(text: string): RecordedExchange[] {
  const cassette = VcrSchema.parse(parseYaml(text));
  return cassette.interactions.map(({ request, response }) => {
    const headers: Record<string, string> = {};
    let gzip = false;
    for (const [key, values] of Object.entries(response.headers)) {
      const lower = key.toLowerCase();
      if (lower === "content-encoding" && values.includes("gzip")) gzip = true;
      if (!TRANSFER_HEADERS.has(lower) && values[0] !== undefined) headers[lower] = values[0];
    }
    let body: string;
    const raw = response.body?.string;
    if (raw instanceof Uint8Array) body = (gzip ? gunzipSync(raw) : Buffer.from(raw)).toString("utf8");
    else if (typeof raw === "string" && raw !== "") body = raw;
    else body = response.parsed_body === undefined ? "" : JSON.stringify(response.parsed_body);
    const requestBody =
      request.parsed_body !== undefined
        ? request.parsed_body
        : request.body
          ? JSON.parse(request.body)
          : undefined;
    return {
      request: { method: request.method, path: pathOf(request.uri), body: requestBody },
      response: { status: response.status.code, headers, body },
    };
  });
}

const SnapshotSchema = z.object({
  request: z.object({ method: z.string(), url: z.string(), body: z.unknown().optional() }),
  response: z.object({
    status_code: z.number(),
    headers: z.record(z.string(), z.string()).default({}),
    body: z.unknown(),
  }),
});

const NockSchema = z.object({
  method: z.string(),
  path: z.string(),
  body: z.unknown().optional(),
  status: z.number(),
  response: z.unknown(),
  rawHeaders: z.union([z.array(z.string()), z.record(z.string(), z.string())]).default([]),
});

/** An element of an anthropic-sdk-python inline snapshot or of a nock recording. */
function arrayExchange(entry: unknown): RecordedExchange {
  const snapshot = SnapshotSchema.safeParse(entry);
  if (snapshot.success) {
    const { request, response } = snapshot.data;
    const isText = typeof response.body === "string";
    return {
      request: { method: request.method, path: pathOf(request.url), body: request.body },
      response: {
        status: response.status_code,
        headers: {
          ...keepHeaders(response.headers),
          "content-type": isText ? SSE["content-type"] : JSON_TYPE["content-type"],
        },
        body: isText ? (response.body as string) : JSON.stringify(response.body),
      },
    };
  }
  const nock = NockSchema.parse(entry);
  const pairs: Record<string, string> = {};
  if (Array.isArray(nock.rawHeaders)) {
    for (let i = 0; i + 1 < nock.rawHeaders.length; i += 2)
      pairs[nock.rawHeaders[i]!] = nock.rawHeaders[i + 1]!;
  } else Object.assign(pairs, nock.rawHeaders);
  return {
    request: { method: nock.method, path: nock.path, body: nock.body },
    response: {
      status: nock.status,
      headers: { ...keepHeaders(pairs), "content-type": JSON_TYPE["content-type"] },
      body: typeof nock.response === "string" ? nock.response : JSON.stringify(nock.response),
    },
  };
}

function keepHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (!TRANSFER_HEADERS.has(key.toLowerCase())) kept[key.toLowerCase()] = value;
  }
  return kept;
}

function pathOf(uri: string): string {
  const url = new URL(uri, "http://recorded.invalid");
  return url.pathname + url.search;
}

const ErrorBodySchema = z.object({
  error: z.object({ type: z.string().nullish(), code: z.string().nullish() }),
});

/** The status the real API sends with an error body whose status was not recorded. */
function inferStatus(body: unknown): number {
  const parsed = ErrorBodySchema.safeParse(body);
  if (!parsed.success) return 200;
  const kind = `${parsed.data.error.type ?? ""} ${parsed.data.error.code ?? ""}`;
  if (/insufficient_quota|rate_limit/.test(kind)) return 429;
  if (/authentication_error|invalid_api_key/.test(kind)) return 401;
  if (/permission_error/.test(kind)) return 403;
  if (/not_found_error/.test(kind)) return 404;
  if (/overloaded_error/.test(kind)) return 529;
  if (/api_error|server_error/.test(kind)) return 500;
  return 400;
}
