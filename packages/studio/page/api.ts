import type { StoredEvent } from "@loom/core";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function answer<T>(response: Response): Promise<T> {
  const body = (await response.json()) as T & { error?: { code: string; message: string } };
  if (!response.ok) {
    throw new ApiError(
      response.status,
      body.error?.code ?? "error",
      body.error?.message ?? response.statusText,
    );
  }
  return body;
}

export function get<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query))
    if (value !== undefined && value !== "") params.set(key, String(value));
  const search = params.toString();
  return fetch(`${path}${search ? `?${search}` : ""}`, { credentials: "same-origin" }).then(answer<T>);
}

export function post<T>(path: string, body: unknown): Promise<T> {
  return fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  }).then(answer<T>);
}

export const threadPath = (threadId: string, action: string) =>
  `/api/threads/${encodeURIComponent(threadId)}/${action}`;

export interface ThreadRow {
  threadId: string;
  status?: string;
  eventCount: number;
  lastSeq: number;
  createdAt: number;
  updatedAt: number;
}

export interface Summary {
  threadId: string;
  lastSeq: number;
  status?: string;
  iterations: number;
  inputTokens: number;
  outputTokens: number;
  cost?: number;
  unpriced: string[];
  errors: number;
  lastActivity?: number;
  agent?: string;
  input?: string;
  resumeError?: { code: string; message: string };
}

export interface Approval {
  threadId: string;
  ref: string;
  callId: string;
  frameId: string;
  name: string;
  args: unknown;
  reason: string;
  inputSchema?: unknown;
}

export interface EventsPage {
  head: number;
  events: StoredEvent[];
}
