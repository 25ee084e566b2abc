import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Studio, StudioError, startStudio } from "../src/index.js";
import { deletingAgent, fsJournal, PROVIDER_SECRET, pausedThread, tempDir } from "./helpers.ts";

const folder = tempDir("security");
const journal = fsJournal(folder.dir);
const { agent } = deletingAgent(journal);
let studio: Studio;

beforeAll(async () => {
  await pausedThread(agent, "guarded");
  studio = await startStudio({ journal, agent });
});
afterAll(async () => {
  await studio.close();
  await journal.close();
  folder.remove();
});

/** A raw request, so Host and Origin are exactly what the test says. */
function raw(
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { hostname, port } = new URL(studio.origin);
  return new Promise((resolve, reject) => {
    const req = request(
      { hostname, port, path, method: options.method ?? "GET", headers: options.headers ?? {} },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

const decisionBody = JSON.stringify({ decisions: { call_1: { approve: true } } });

describe("the token", () => {
  it("is in the printed URL, and the server listens on 127.0.0.1 only", () => {
    expect(studio.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}$/);
    expect(studio.url).toBe(`${studio.origin}/?token=${studio.token}`);
  });

  it("is required on every request: without it, or with a wrong one, 401 and nothing of the journal", async () => {
    for (const path of [
      "/",
      "/app.js",
      "/api/threads",
      "/api/threads/guarded/events",
      "/api/threads/guarded/live",
      "/api/threads/live",
      "/api/threads/guarded/changes",
      "/api/threads/guarded/flame?from=0&to=3",
    ]) {
      const none = await raw(path);
      expect(none.status, path).toBe(401);
      expect(none.body).not.toContain("guarded");
      const wrong = await raw(`${path}${path.includes("?") ? "&" : "?"}token=${"x".repeat(43)}`);
      expect(wrong.status, path).toBe(401);
    }
    const nearly = await raw("/api/threads", {
      headers: { authorization: `Bearer ${studio.token.slice(0, -1)}` },
    });
    expect(nearly.status).toBe(401);
    expect(JSON.parse(nearly.body)).toEqual({
      error: { code: "unauthorized", message: expect.stringContaining("token") },
    });
  });

  it("moves from the URL into an HttpOnly, SameSite=Strict cookie for this port on first load", async () => {
    const first = await raw(`/?token=${studio.token}`);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe("/");
    const cookie = String(first.headers["set-cookie"]);
    expect(cookie).toContain(`loom_studio_${new URL(studio.origin).port}=${studio.token}`);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    const page = await raw("/", { headers: { cookie: cookie.split(";")[0]! } });
    expect(page.status).toBe(200);
    expect(page.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(page.body).toContain("<title>Loom Studio</title>");
    expect(page.body).not.toMatch(/https?:\/\//); // nothing from a CDN: works offline
  });
});

describe("changes", () => {
  const auth = () => ({ authorization: `Bearer ${studio.token}`, "content-type": "application/json" });

  it("need POST: another method is refused", async () => {
    const put = await raw("/api/threads/guarded/decisions", {
      method: "PUT",
      headers: auth(),
      body: decisionBody,
    });
    expect(put.status).toBe(405);
    const get = await raw("/api/threads/guarded/decisions", { headers: auth() });
    expect(get.status).toBe(404);
  });

  it("need the studio's own Origin, even with the token", async () => {
    const none = await raw("/api/threads/guarded/decisions", {
      method: "POST",
      headers: auth(),
      body: decisionBody,
    });
    expect(none.status).toBe(403);
    expect(JSON.parse(none.body).error.code).toBe("forbidden_origin");
    const other = await raw("/api/threads/guarded/decisions", {
      method: "POST",
      headers: { ...auth(), origin: "http://evil.example" },
      body: decisionBody,
    });
    expect(other.status).toBe(403);
    const form = await raw("/api/threads/guarded/decisions", {
      method: "POST",
      headers: {
        authorization: `Bearer ${studio.token}`,
        origin: studio.origin,
        "content-type": "text/plain",
      },
      body: decisionBody,
    });
    expect(form.status).toBe(400);
    // None of them decided anything.
    const pending = await raw("/api/threads/guarded/approvals", { headers: auth() });
    expect(JSON.parse(pending.body).approvals).toHaveLength(1);
  });

  it("refuse a Host that is not the studio's (DNS rebinding)", async () => {
    const { port } = new URL(studio.origin);
    const rebound = await raw(`/api/threads?token=${studio.token}`, {
      headers: { host: `evil.example:${port}` },
    });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).error.code).toBe("forbidden_host");
    const local = await raw(`/api/threads?token=${studio.token}`, { headers: { host: `localhost:${port}` } });
    expect(local.status).toBe(200);
    // An address, not a name, cannot be rebound: a studio started on 0.0.0.0 is reached by its LAN address.
    const address = await raw(`/api/threads?token=${studio.token}`, {
      headers: { host: `10.1.2.3:${port}` },
    });
    expect(address.status).toBe(200);
    const otherPort = await raw(`/api/threads?token=${studio.token}`, { headers: { host: "127.0.0.1:1" } });
    expect(otherPort.status).toBe(403);
  });
});

describe("what is served", () => {
  it("never carries the provider's configuration or secrets, on any route", async () => {
    const headers = { authorization: `Bearer ${studio.token}` };
    const paths = [
      "/api/info",
      "/api/threads",
      "/api/approvals",
      "/api/threads/guarded/summary",
      "/api/threads/guarded/events",
      "/api/threads/guarded/state?seq=3",
      "/api/threads/guarded/context",
      "/api/threads/guarded/context?iteration=1",
      "/api/threads/guarded/changes?iteration=1",
      "/api/threads/guarded/approvals",
      "/api/threads/guarded/flame",
      "/api/threads/guarded/flame?from=0&to=3",
    ];
    for (const path of paths) {
      const response = await raw(path, { headers });
      expect(response.status, path).toBe(200);
      expect(response.body, path).not.toContain(PROVIDER_SECRET);
      expect(response.body, path).not.toContain("apiKey");
    }
  });

  it("answers an internal failure with a generic message, and tells onError", async () => {
    const errors: unknown[] = [];
    const broken = await startStudio({
      journal: {
        ...journal,
        specificationVersion: "v1",
        append: journal.append.bind(journal),
        read: journal.read.bind(journal),
        head: journal.head.bind(journal),
        fork: journal.fork.bind(journal),
        close: journal.close.bind(journal),
        threads: () => {
          throw new Error(`connection to postgres://loom:${PROVIDER_SECRET}@db failed`);
        },
      },
      onError: (error) => errors.push(error),
    });
    try {
      const response = await fetch(`${broken.origin}/api/threads`, {
        headers: { authorization: `Bearer ${broken.token}` },
      });
      expect(response.status).toBe(500);
      const body = await response.text();
      expect(body).not.toContain(PROVIDER_SECRET);
      expect(JSON.parse(body).error.code).toBe("internal");
      expect(errors).toHaveLength(1);
    } finally {
      await broken.close();
    }
  });

  it("refuses a short token and a missing journal with typed errors", async () => {
    await expect(startStudio({ journal, token: "short" })).rejects.toMatchObject({ code: "invalid_config" });
    await expect(startStudio({ journal, token: "long enough; but=cookie-breaking" })).rejects.toMatchObject({
      code: "invalid_config",
    });
    // @ts-expect-error: no journal on purpose
    await expect(startStudio({})).rejects.toMatchObject({ code: "invalid_config" });
    expect(StudioError.isInstance(new StudioError("not_found", "x"))).toBe(true);
  });
});
