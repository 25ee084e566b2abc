import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { createAgent, MemoryJournal, readAll } from "@loom/core";
import { ScriptedProvider, secretLeaks } from "@loom/testing";
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import { afterEach, describe, expect, it } from "vitest";
import { connectMcp, McpError } from "../src/index.js";
import { answerWithPingServer } from "./servers.js";
import { runTool } from "./tool-context.js";

const QUERY_KEY = "query-secret-4f1c9a";
const HEADER_TOKEN = "header-secret-8d2e7b";
const CUSTOM_KEY = "custom-secret-3a6f0c";
const PROVIDER_TOKEN = "provider-secret-5b9d1e";

/**
 * An SDK server (stateless, a server per request) that, once `failing` is set, answers every
 * request (only `tools/call` with `callsOnly`) with an HTTP error whose body echoes what it was
 * sent: its URL and every header, and a raw bearer token as a careless server's error text would.
 */
function echoingServer(status: number, padding: number) {
  const state = { failing: false, callsOnly: false };
  const http = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : undefined;
    if (state.failing && (!state.callsOnly || body?.method === "tools/call")) {
      const token = (req.headers.authorization ?? "").replace(/^Bearer /, "");
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(
        `upstream refused ${req.url} (${JSON.stringify(req.headers)}); token ${token} is unknown${".".repeat(padding)}`,
      );
      return;
    }
    await answerWithPingServer(req, res, body);
  });
  return { http, state };
}

/** A provider that already holds a token, so the SDK sends `Authorization: Bearer <token>` itself. */
function tokenProvider(): OAuthClientProvider {
  return {
    redirectUrl: "http://127.0.0.1:1/callback",
    clientMetadata: { redirect_uris: ["http://127.0.0.1:1/callback"] },
    clientInformation: () => ({ client_id: "loom-test" }),
    tokens: () => ({ access_token: PROVIDER_TOKEN, token_type: "Bearer" }),
    saveTokens: () => {},
    redirectToAuthorization: () => {},
    saveCodeVerifier: () => {},
    codeVerifier: () => "verifier",
  };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const http of servers.splice(0)) {
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  }
});

async function listen(status: number, padding = 0) {
  const { http, state } = echoingServer(status, padding);
  servers.push(http);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/mcp?api_key=${QUERY_KEY}&v=2`, state };
}

function expectNoSecrets(value: unknown): void {
  for (const secret of [QUERY_KEY, HEADER_TOKEN, CUSTOM_KEY, PROVIDER_TOKEN]) {
    expect(secretLeaks(value, secret), secret).toEqual([]);
  }
}

const headers = { Authorization: `Bearer ${HEADER_TOKEN}`, "X-Custom-Key": CUSTOM_KEY };

describe("MCP errors carry no credentials", () => {
  it("a refused handshake: the URL's key, the headers and an echoing body are not in the error", async () => {
    const { url, state } = await listen(500);
    state.failing = true;
    const error = await connectMcp({ url, headers }, { name: "echoing" }).catch((e: unknown) => e);
    expect(McpError.isInstance(error) && error.code).toBe("mcp_connect_failed");
    const message = (error as Error).message;
    // What helps is still said: where (without the key), the status, the server's words.
    expect(message).toMatch(/\/mcp\?api_key=(…|\[redacted\])&v=…:/);
    expect(message).toMatch(/HTTP 500|Error POSTing/);
    expect(message).toContain("upstream refused");
    expectNoSecrets(error);
  });

  it("a call refused mid-session: the error the agent journals holds none, nor does the journal", async () => {
    const { url, state } = await listen(502);
    // The provider's token is sent by the SDK, not in `headers`: known only as it is sent.
    const mcp = await connectMcp(
      { url, headers: { "X-Custom-Key": CUSTOM_KEY }, auth: tokenProvider() },
      { name: "echoing" },
    );
    try {
      expect(await runTool(mcp.tools[0]!, {})).toBe("pong");
      Object.assign(state, { failing: true, callsOnly: true });
      const direct = await runTool(mcp.tools[0]!, {}).catch((e: unknown) => e);
      expect(McpError.isInstance(direct) && direct.code).toBe("mcp_server_closed");
      expect((direct as Error).message).toContain("HTTP 502");
      expect((direct as Error).message).toContain("token [redacted] is unknown");
      expectNoSecrets(direct);

      const journal = new MemoryJournal();
      const provider = new ScriptedProvider([
        { toolCalls: [{ id: "c1", name: mcp.tools[0]!.name, args: {} }] },
        { text: "done" },
      ]);
      await createAgent({ journal, provider, tools: mcp.tools }).run("ping", { threadId: "leaky" });
      const events = await readAll(journal, "leaky");
      const completed = events.find((e) => e.type === "tool.completed");
      expect(completed?.data.error?.message).toContain("HTTP 502");
      expectNoSecrets(events);
      expectNoSecrets(provider.requests);
    } finally {
      await mcp.close();
    }
  });

  it("a long error page is cut in the message", async () => {
    const { url, state } = await listen(503, 5_000);
    const mcp = await connectMcp({ url }, { name: "echoing" });
    try {
      Object.assign(state, { failing: true, callsOnly: true });
      const error = await runTool(mcp.tools[0]!, {}).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(/… \(\d+ characters\)/);
    } finally {
      await mcp.close();
    }
  });

  it("a stdio server that prints its env and flags to stderr: the error's stderr tail holds neither", async () => {
    const envToken = "env-secret-7c2a9d41";
    const flagKey = "flag-secret-0e5b3f88";
    const error = await connectMcp(
      {
        command: process.execPath,
        args: [fileURLToPath(new URL("./fixtures/leaky-server.mjs", import.meta.url)), "--api-key", flagKey],
        env: { SERVICE_TOKEN: envToken },
      },
      { name: "leaky", connectTimeoutMs: 5_000 },
    ).catch((e: unknown) => e);
    expect(McpError.isInstance(error) && error.code).toBe("mcp_connect_failed");
    const message = (error as Error).message;
    expect(message).toContain("--api-key …");
    expect(message).toContain("cannot log in with token [redacted]");
    for (const secret of [envToken, flagKey]) expect(secretLeaks(error, secret), secret).toEqual([]);
  });
});
