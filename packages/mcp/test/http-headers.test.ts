import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { connectMcp } from "../src/index.js";
import { answerWithPingServer } from "./servers.js";
import { runTool } from "./tool-context.js";

describe("Streamable HTTP with headers", () => {
  it("sends the given headers with every request (e.g. a bearer token)", async () => {
    const seen: IncomingHttpHeaders[] = [];
    // A stateless SDK server in this process: a new server and transport per request.
    const http = createServer(async (req, res) => {
      seen.push(req.headers);
      await answerWithPingServer(req, res);
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    const { port } = http.address() as AddressInfo;
    const mcp = await connectMcp(
      { url: `http://127.0.0.1:${port}/mcp`, headers: { Authorization: "Bearer t0ken" } },
      { name: "headers" },
    );
    try {
      expect(await runTool(mcp.tools[0]!, {})).toBe("pong");
      const posts = seen.filter((h) => h["content-type"]?.includes("application/json"));
      expect(posts.length).toBeGreaterThanOrEqual(3); // initialize, initialized, tools/list, tools/call
      for (const h of posts) expect(h.authorization).toBe("Bearer t0ken");
    } finally {
      await mcp.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }
  });
});
