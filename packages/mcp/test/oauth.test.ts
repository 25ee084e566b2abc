import { createAgent, MemoryJournal, readAll } from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectMcp, finishMcpAuthorization, McpError, type OAuthClientProvider } from "../src/index.js";
import { type HttpServerProcess, oauthHttp } from "./servers.js";
import { runTool } from "./tool-context.js";

/** An OAuth client that keeps everything in memory and remembers where it was sent to authorize. */
class MemoryOAuthClient implements OAuthClientProvider {
  authorizationUrl: URL | undefined;
  saved: OAuthTokens | undefined;
  private info: OAuthClientInformationMixed | undefined;
  private verifier = "";

  get redirectUrl(): string {
    return "http://127.0.0.1:9/callback";
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: "loom test",
      redirect_uris: [this.redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
    };
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}

/** The user approves in a browser: the authorization server redirects back with a code. */
async function approve(authorizationUrl: URL): Promise<string> {
  const response = await fetch(authorizationUrl, { redirect: "manual" });
  const location = response.headers.get("location");
  if (!location) throw new Error(`no redirect from the authorization page: HTTP ${response.status}`);
  return new URL(location).searchParams.get("code")!;
}

describe("an MCP server behind OAuth", () => {
  let server: HttpServerProcess & { authUrl: string };
  beforeAll(async () => {
    server = await oauthHttp();
  });
  afterAll(() => server.stop());

  it("without auth, connecting says it needs authorization and how to give it", async () => {
    const error = await connectMcp({ url: server.url }).catch((e: unknown) => e);
    expect(McpError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "mcp_unauthorized", outcomeUnknown: false });
    expect((error as Error).message).toMatch(
      /needs authorization\. Pass an OAuth provider as the server's `auth`/,
    );
    // The server's 401 text is not carried along: a server that echoed the request would leak it.
    expect((error as Error).cause).toBeUndefined();
  });

  it("the authorization code flow: the user approves once, then tools run with the token, which no journal sees", async () => {
    const client = new MemoryOAuthClient();
    const protectedServer = { url: server.url, auth: client };
    const first = await connectMcp(protectedServer).catch((e: unknown) => e);
    expect(first).toMatchObject({ code: "mcp_unauthorized" });
    expect((first as Error).message).toContain("finishMcpAuthorization(server, code)");
    // The provider was sent to the authorization server's page, with PKCE and this resource.
    const page = client.authorizationUrl!;
    expect(page.href.startsWith(server.authUrl)).toBe(true);
    expect(page.searchParams.get("code_challenge_method")).toBe("S256");
    expect(page.searchParams.get("resource")).toBe(server.url);

    await finishMcpAuthorization(protectedServer, await approve(page));
    const token = client.saved!.access_token;
    expect(token).toBeTruthy();

    const mcp = await connectMcp(protectedServer);
    try {
      const whoami = mcp.tools.find((t) => t.mcp.name === "whoami")!;
      expect(await runTool(whoami, {})).toBe(`client ${client.clientInformation()!.client_id}`);
      const journal = new MemoryJournal();
      const result = await createAgent({
        journal,
        tools: mcp.tools,
        provider: new ScriptedProvider([{ toolCalls: [{ name: "whoami", args: {} }] }, { text: "done" }]),
      }).run("who am I?", { threadId: "oauth" });
      expect(result.status).toBe("completed");
      expect(JSON.stringify(await readAll(journal, "oauth"))).not.toContain(token);
    } finally {
      await mcp.close();
    }
  });

  it("a code the authorization server refuses is mcp_unauthorized, naming no secret", async () => {
    const client = new MemoryOAuthClient();
    const protectedServer = { url: server.url, auth: client };
    await connectMcp(protectedServer).catch(() => undefined);
    const error = await finishMcpAuthorization(protectedServer, "not-a-code").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "mcp_unauthorized" });
    const secret = (client.clientInformation() as { client_secret?: string }).client_secret;
    expect(secret).toBeTruthy();
    expect((error as Error).message).not.toContain(secret);
    expect((error as Error).cause).toBeUndefined();
  });

  it("finishMcpAuthorization without a provider or code is a ConfigError", async () => {
    await expect(finishMcpAuthorization({ url: server.url }, "x")).rejects.toThrow(/has no `auth` provider/);
    await expect(
      finishMcpAuthorization({ url: server.url, auth: new MemoryOAuthClient() }, ""),
    ).rejects.toThrow(/code is the `code` parameter/);
  });
});
