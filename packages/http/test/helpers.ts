import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Agent, createAgent, type Journal, tool } from "@loom/core";
import { HITLHook } from "@loom/hooks";
import { ScriptedProvider } from "@loom/testing";
import { afterAll } from "vitest";
import { z } from "zod";
import {
  createThreadHandler,
  type ThreadHandler,
  type ThreadHandlerOptions,
  toNodeHandler,
} from "../src/index.js";

export const TOKEN = "test-token-0123456789abcdef";

export function tempDirs(name: string): () => string {
  const root = mkdtempSync(join(tmpdir(), `loom-http-${name}-`));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  return () => join(root, `case-${n++}`);
}

/** The handler behind a real Node http server on 127.0.0.1. */
export async function serve(
  options: ThreadHandlerOptions,
): Promise<{ url: string; handler: ThreadHandler; close: () => Promise<void> }> {
  const handler = createThreadHandler(options);
  const server: Server = createServer(toNodeHandler(handler));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    handler,
    close: async () => {
      await handler.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export function post(
  url: string,
  body: unknown,
  token: string | null = TOKEN,
  headers: Record<string, string> = {},
) {
  return fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

/** An agent that calls a slow tool `steps` times, then answers "done". */
export function slowAgent(journal: Journal, steps: number, ran: number[] = [], stepMs = 10): Agent {
  const wait = tool({
    name: "wait",
    description: "waits a little",
    input: z.object({ n: z.number() }),
    run: async ({ n }, { signal }) => {
      await new Promise((resolve) => setTimeout(resolve, stepMs));
      signal.throwIfAborted();
      ran.push(n);
      return `waited ${n}`;
    },
  });
  return createAgent({
    journal,
    tools: [wait],
    maxIterations: steps + 2,
    provider: new ScriptedProvider({
      mode: "conversation",
      turns: [
        ...Array.from({ length: steps }, (_, i) => ({
          toolCalls: [{ id: `c${i}`, name: "wait", args: { n: i } }],
        })),
        { text: "done" },
      ],
    }),
  });
}

/** An agent whose one call to `delete_path` waits for a human. */
export function guardedAgent(journal: Journal, deleted: string[]): Agent {
  const deletePath = tool({
    name: "delete_path",
    description: "deletes a path",
    input: z.object({ path: z.string() }),
    run: ({ path }) => {
      deleted.push(path);
      return `deleted ${path}`;
    },
  });
  return createAgent({
    journal,
    tools: [deletePath],
    hooks: [HITLHook({ tools: ["delete_path"] })],
    provider: new ScriptedProvider({
      mode: "conversation",
      turns: [
        { toolCalls: [{ id: "call_1", name: "delete_path", args: { path: "/tmp/junk" } }] },
        { text: "cleaned" },
      ],
    }),
  });
}
