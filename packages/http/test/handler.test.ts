import { createAgent, foldAll, MemoryJournal, readAll, tool } from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { followThreadOverHttp, listThreadsOverHttp, type ThreadStreamMessage } from "../src/index.js";
import { guardedAgent, post, serve, slowAgent, TOKEN } from "./helpers.js";

async function collect(stream: AsyncIterable<ThreadStreamMessage>): Promise<ThreadStreamMessage[]> {
  const out: ThreadStreamMessage[] = [];
  for await (const message of stream) out.push(message);
  return out;
}

describe("createThreadHandler", () => {
  it("starts a run and streams its journaled events, each once, then the end", async () => {
    const journal = new MemoryJournal();
    const server = await serve({ journal, agent: slowAgent(journal, 3), token: TOKEN });
    try {
      const started = await post(`${server.url}/threads/t1/runs`, { input: "go" });
      expect(started.status).toBe(202);
      const messages = await collect(
        followThreadOverHttp(`${server.url}/threads/t1/events`, { token: TOKEN }),
      );
      const journaled = await readAll(journal, "t1");
      expect(messages.filter((m) => m.kind === "event").map((m) => m.kind === "event" && m.event)).toEqual(
        journaled,
      );
      expect(messages.at(-1)).toEqual({ kind: "end", status: "completed", lastSeq: journaled.at(-1)!.seq });

      const summary = (await (await fetch(`${server.url}/threads/t1?token=${TOKEN}`)).json()) as Record<
        string,
        unknown
      >;
      expect(summary).toMatchObject({ threadId: "t1", status: "completed", text: "done", pending: [] });
      // A client that comes back after the end is told so at once.
      const after = await collect(
        followThreadOverHttp(`${server.url}/threads/t1/events`, { token: TOKEN, fromSeq: journaled.length }),
      );
      expect(after).toEqual([{ kind: "end", status: "completed", lastSeq: journaled.at(-1)!.seq }]);
    } finally {
      await server.close();
    }
  });

  it("streams a snapshot with its seq but without its state; the events fold to the journal's state", async () => {
    const journal = new MemoryJournal();
    let n = 0;
    const agent = createAgent({
      journal,
      tools: [tool({ name: "add", description: "adds one", input: z.object({}), run: () => `total ${++n}` })],
      maxIterations: 40,
      maxRepeatedToolCalls: 40,
      maxNearRepeatedToolCalls: 0,
      snapshots: { everyEvents: 20, sizeRatio: 1e9 },
      provider: new ScriptedProvider({
        select: () => (n < 30 ? 0 : 1),
        turns: [{ text: "adding", toolCalls: [{ name: "add", args: {} }] }, { text: "done" }],
      }),
    });
    await agent.run("count", { threadId: "t1" });
    const server = await serve({ journal, token: TOKEN });
    try {
      const streamed = (
        await collect(followThreadOverHttp(`${server.url}/threads/t1/events`, { token: TOKEN }))
      )
        .filter((m) => m.kind === "event")
        .map((m) => (m.kind === "event" ? m.event : undefined)!);
      const journaled = await readAll(journal, "t1");
      expect(streamed.map((e) => e.seq)).toEqual(journaled.map((e) => e.seq));
      const snapshots = streamed.filter((e) => e.type === "snapshot");
      expect(snapshots.length).toBeGreaterThan(2);
      for (const e of snapshots) expect(e.data).toEqual({ state: { omitted: true } });
      const bytes = (events: readonly unknown[]) => JSON.stringify(events).length;
      expect(bytes(streamed)).toBeLessThan(bytes(journaled) * 0.8);
      const { contents: _a, ...fromStream } = foldAll("t1", streamed);
      const { contents: _b, ...fromJournal } = foldAll("t1", journaled);
      expect(fromStream.messages.toArray()).toEqual(fromJournal.messages.toArray());
      expect({ ...fromStream, messages: 0 }).toEqual({ ...fromJournal, messages: 0 });
    } finally {
      await server.close();
    }
  });

  it("sends the text of a model call in progress to a client that connects mid-call, then its deltas", async () => {
    const journal = new MemoryJournal();
    const text = "The quick brown fox jumps over the lazy dog, twice over.";
    const agent = createAgent({
      journal,
      provider: new ScriptedProvider([{ text, chunkSize: 4, chunkDelayMs: 15 }]),
    });
    const server = await serve({ journal, agent, token: TOKEN });
    try {
      await post(`${server.url}/threads/t1/runs`, { input: "go" });
      await new Promise((resolve) => setTimeout(resolve, 80));
      const messages = await collect(
        followThreadOverHttp(`${server.url}/threads/t1/events`, { token: TOKEN }),
      );
      const partial = messages.find((m) => m.kind === "partial");
      expect(partial?.kind === "partial" && partial.partial.text.length).toBeGreaterThan(0);
      const deltas = messages.flatMap((m) => (m.kind === "delta" ? [m.delta.delta] : []));
      const seen = (partial?.kind === "partial" ? partial.partial.text : "") + deltas.join("");
      expect(seen).toBe(text);
      expect(messages.at(-1)).toMatchObject({ kind: "end", status: "completed" });
    } finally {
      await server.close();
    }
  });

  it("tells a cancel from a disconnect: a client going away leaves the run going; a cancel stops it", async () => {
    const journal = new MemoryJournal();
    const ran: number[] = [];
    const server = await serve({ journal, agent: slowAgent(journal, 40, ran, 20), token: TOKEN });
    try {
      await post(`${server.url}/threads/t1/runs`, { input: "go" });
      const controller = new AbortController();
      const early = await fetch(`${server.url}/threads/t1/events?token=${TOKEN}`, {
        signal: controller.signal,
      });
      const reader = early.body!.getReader();
      await reader.read();
      controller.abort();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const before = ran.length;
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(ran.length).toBeGreaterThan(before);

      const cancelled = await post(`${server.url}/threads/t1/cancel`, { reason: "user pressed stop" });
      expect(cancelled.status).toBe(200);
      const stopped = ran.length;
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(ran.length).toBe(stopped);
      const last = (await readAll(journal, "t1")).at(-1)!;
      expect(last.type).toBe("run.cancelled");
      const messages = await collect(
        followThreadOverHttp(`${server.url}/threads/t1/events`, { token: TOKEN }),
      );
      expect(messages.at(-1)).toMatchObject({ kind: "end", status: "cancelled" });
      expect(stopped).toBeLessThan(40);
    } finally {
      await server.close();
    }
  });

  it("lists a paused call, journals the decision and resumes the run here: the call runs once", async () => {
    const journal = new MemoryJournal();
    const deleted: string[] = [];
    const server = await serve({ journal, agent: guardedAgent(journal, deleted), token: TOKEN });
    try {
      await post(`${server.url}/threads/t1/runs`, { input: "clean" });
      const paused = await collect(followThreadOverHttp(`${server.url}/threads/t1/events`, { token: TOKEN }));
      expect(paused.at(-1)).toMatchObject({ kind: "end", status: "interrupted" });
      const { pending } = (await (await fetch(`${server.url}/pending?token=${TOKEN}`)).json()) as {
        pending: { threadId: string; ref: string; name: string; args: unknown }[];
      };
      expect(pending).toMatchObject([{ threadId: "t1", name: "delete_path", args: { path: "/tmp/junk" } }]);
      const decided = await post(`${server.url}/threads/t1/decisions`, {
        decisions: { [pending[0]!.ref]: { approve: true } },
      });
      expect(decided.status).toBe(200);
      expect(await decided.json()).toMatchObject({ recorded: [pending[0]!.ref], pending: [], resumed: true });
      const lastSeq = (paused.at(-1) as { lastSeq: number }).lastSeq;
      const rest = await collect(
        followThreadOverHttp(`${server.url}/threads/t1/events`, { token: TOKEN, fromSeq: lastSeq + 1 }),
      );
      expect(rest.at(-1)).toMatchObject({ kind: "end", status: "completed" });
      expect(deleted).toEqual(["/tmp/junk"]);
      const again = await post(`${server.url}/threads/t1/decisions`, {
        decisions: { call_1: { approve: true } },
      });
      expect(again.status).toBe(400);
      expect(((await again.json()) as { error: { code: string } }).error.code).toBe("invalid_decision");
      expect(deleted).toEqual(["/tmp/junk"]);
    } finally {
      await server.close();
    }
  });

  it("refuses requests without the token, mutations without a token configured, and foreign origins", async () => {
    const journal = new MemoryJournal();
    const guarded = await serve({ journal, agent: slowAgent(journal, 1), token: TOKEN });
    const readOnly = await serve({ journal });
    try {
      const status = async (response: Promise<Response>) => {
        const r = await response;
        return [r.status, ((await r.json()) as { error: { code: string } }).error.code];
      };
      expect(await status(fetch(`${guarded.url}/pending`))).toEqual([401, "unauthorized"]);
      expect(await status(fetch(`${guarded.url}/pending?token=wrong-token-0123456789abc`))).toEqual([
        401,
        "unauthorized",
      ]);
      expect(await status(post(`${guarded.url}/threads/t1/runs`, { input: "go" }, null))).toEqual([
        401,
        "unauthorized",
      ]);
      expect(
        await status(
          post(`${guarded.url}/threads/t1/runs`, { input: "go" }, TOKEN, { origin: "https://evil.example" }),
        ),
      ).toEqual([403, "forbidden_origin"]);
      expect(await status(post(`${readOnly.url}/threads/t1/runs`, { input: "go" }, null))).toEqual([
        403,
        "read_only",
      ]);
      expect(await readAll(journal, "t1")).toEqual([]);
      expect((await fetch(`${readOnly.url}/pending`)).status).toBe(200);
    } finally {
      await guarded.close();
      await readOnly.close();
    }
  });

  it("answers bad input with a typed error and changes nothing", async () => {
    const journal = new MemoryJournal();
    const server = await serve({ journal, agent: slowAgent(journal, 1), token: TOKEN });
    try {
      const codeOf = async (response: Promise<Response>) => {
        const r = await response;
        return [r.status, ((await r.json()) as { error: { code: string; message: string } }).error.code];
      };
      expect(await codeOf(post(`${server.url}/threads/t1/runs`, { text: "go" }))).toEqual([
        400,
        "invalid_body",
      ]);
      expect(await codeOf(post(`${server.url}/threads/..%2Fx/runs`, { input: "go" }))).toEqual([
        400,
        "invalid_thread_id",
      ]);
      expect(await codeOf(fetch(`${server.url}/threads/t1/events?fromSeq=-2&token=${TOKEN}`))).toEqual([
        400,
        "invalid_range",
      ]);
      expect(await codeOf(fetch(`${server.url}/threads/nope?token=${TOKEN}`))).toEqual([
        404,
        "thread_not_found",
      ]);
      expect(await codeOf(post(`${server.url}/threads/nope/cancel`, {}))).toEqual([404, "thread_not_found"]);
      expect(await codeOf(post(`${server.url}/threads/nope/decisions`, { decisions: {} }))).toEqual([
        404,
        "thread_not_found",
      ]);
      expect(await codeOf(fetch(`${server.url}/elsewhere?token=${TOKEN}`))).toEqual([404, "not_found"]);
      expect(await readAll(journal, "t1")).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it("asks the owner to cancel a run it does not drive (another handler or process), and answers 200 once the owner journaled run.cancelled", async () => {
    const journal = new MemoryJournal();
    const ran: number[] = [];
    // The run is driven outside this handler (a worker, another server process on a shared journal).
    const elsewhere = slowAgent(journal, 40, ran, 20).run("go", { threadId: "t1" });
    const stopped = elsewhere.catch((e: unknown) => e);
    const server = await serve({ journal, token: TOKEN });
    try {
      while (ran.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
      const asked = await post(`${server.url}/threads/t1/cancel`, { reason: "stopped from the page" });
      expect(asked.status).toBe(200);
      expect(await asked.json()).toEqual({ threadId: "t1", cancelled: true });
      expect(String(await stopped)).toContain('Run on thread "t1" was cancelled: stopped from the page');
      expect((await readAll(journal, "t1")).at(-1)).toMatchObject({
        type: "run.cancelled",
        data: { reason: 'Run on thread "t1" was cancelled: stopped from the page' },
      });
      expect(ran.length).toBeLessThan(40);
      // Nobody runs it now, and the run is over: nothing to cancel.
      const again = await post(`${server.url}/threads/t1/cancel`, {});
      expect(again.status).toBe(409);
    } finally {
      await server.close();
    }
  });

  it("answers 202 when the owner still runs after cancelWaitMs (its tool is slow to stop); the owner journals run.cancelled later", async () => {
    const journal = new MemoryJournal();
    const ran: number[] = [];
    const elsewhere = slowAgent(journal, 40, ran, 150).run("go", { threadId: "t1" });
    const stopped = elsewhere.catch((e: unknown) => e);
    const server = await serve({ journal, token: TOKEN, cancelWaitMs: 20 });
    try {
      while (ran.length < 1) await new Promise((resolve) => setTimeout(resolve, 10));
      const asked = await post(`${server.url}/threads/t1/cancel`, { reason: "stopped from the page" });
      expect(asked.status).toBe(202);
      expect(await asked.json()).toEqual({ threadId: "t1", cancelRequested: true });
      expect(String(await stopped)).toContain("stopped from the page");
      expect((await readAll(journal, "t1")).at(-1)?.type).toBe("run.cancelled");
    } finally {
      await server.close();
    }
  });

  it("deletes a thread with the token (DELETE /threads/:id), never one a run holds or that moved past expectedSeq", async () => {
    const journal = new MemoryJournal();
    const server = await serve({ journal, agent: slowAgent(journal, 30, [], 20), token: TOKEN });
    const readOnly = await serve({ journal });
    const del = (id: string, token: string | null = TOKEN, query = "") =>
      fetch(`${server.url}/threads/${id}${query}`, {
        method: "DELETE",
        ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
      });
    const answer = async (response: Promise<Response>) => {
      const r = await response;
      return [r.status, await r.json()];
    };
    try {
      await createAgent({ journal, provider: new ScriptedProvider([{ text: "ok" }]) }).run("hi", {
        threadId: "done",
      });
      const head = await journal.head("done");
      expect((await answer(del("done", null)))[0]).toBe(401);
      expect((await answer(fetch(`${readOnly.url}/threads/done`, { method: "DELETE" })))[1]).toMatchObject({
        error: { code: "read_only" },
      });
      expect(await answer(del("done", TOKEN, `?expectedSeq=${head - 1}`))).toEqual([
        409,
        { error: { code: "journal_conflict", message: expect.stringContaining(`its last seq is ${head}`) } },
      ]);
      expect(await answer(del("done", TOKEN, "?expectedSeq=x"))).toMatchObject([
        400,
        { error: { code: "invalid_range" } },
      ]);
      expect(await journal.head("done")).toBe(head);
      expect(await answer(del("done", TOKEN, `?expectedSeq=${head}`))).toEqual([
        200,
        { threadId: "done", deleted: true },
      ]);
      expect(await journal.head("done")).toBe(-1);
      expect(await answer(del("done"))).toMatchObject([404, { error: { code: "thread_not_found" } }]);
      expect(await answer(del(".hidden"))).toMatchObject([400, { error: { code: "invalid_thread_id" } }]);

      await post(`${server.url}/threads/busy/runs`, { input: "go" });
      expect(await answer(del("busy"))).toMatchObject([
        409,
        { error: { code: "thread_busy", message: expect.stringContaining("a run this server drives") } },
      ]);
      expect(await journal.head("busy")).toBeGreaterThanOrEqual(0);
      expect((await post(`${server.url}/threads/busy/cancel`, {})).status).toBe(200);
      expect((await answer(del("busy")))[0]).toBe(200);
    } finally {
      await server.close();
      await readOnly.close();
    }
  });

  it("lists threads a page at a time (GET /threads), by status and age, with the token; a bad parameter is 400", async () => {
    let now = Date.UTC(2026, 11, 1);
    const journal = new MemoryJournal({ now: () => now });
    const answering = (text: string) => createAgent({ journal, provider: new ScriptedProvider([{ text }]) });
    for (let i = 0; i < 5; i++) {
      await answering("done").run("go", { threadId: `done-${i}` });
      now += 60_000;
    }
    await guardedAgent(journal, []).run("delete it", { threadId: "waiting" });
    const server = await serve({ journal, token: TOKEN });
    const get = async (query: string) => {
      const response = await fetch(`${server.url}/threads?token=${TOKEN}&${query}`);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const ids = (body: Record<string, unknown>) =>
      (body.threads as { threadId: string }[]).map((t) => t.threadId);
    try {
      const first = await get("limit=2");
      expect(ids(first.body)).toEqual(["done-0", "done-1"]);
      expect(first.body.next).toBe("done-1");
      const rest = await get("limit=10&after=done-1");
      expect(ids(rest.body)).toEqual(["done-2", "done-3", "done-4", "waiting"]);
      expect(rest.body.next).toBeUndefined();
      expect(rest.body.threads).toContainEqual(
        expect.objectContaining({ threadId: "waiting", status: "interrupted" }),
      );
      expect(ids((await get("status=interrupted")).body)).toEqual(["waiting"]);
      expect(
        ids((await get(`status=completed&updatedBefore=${Date.UTC(2026, 11, 1) + 120_000}`)).body),
      ).toEqual(["done-0", "done-1"]);
      expect(ids((await get("prefix=done-&status=completed,failed&limit=1&after=done-3")).body)).toEqual([
        "done-4",
      ]);
      for (const [query, words] of [
        ["status=asleep", "statuses must be an array of idle, running"],
        ["updatedBefore=yesterday", 'updatedBefore must be a number, got "yesterday"'],
        ["limit=0", "limit must be an integer from 1 to 1000, got 0"],
        ["limit=5000", "limit must be an integer from 1 to 1000"],
      ] as const) {
        const bad = await get(query);
        expect(bad.status, query).toBe(400);
        expect(bad.body).toMatchObject({ error: { code: "invalid_range" } });
        expect((bad.body.error as { message: string }).message).toContain(words);
      }
      expect((await fetch(`${server.url}/threads`)).status).toBe(401);
      // The client follows `next` page after page.
      const listed: string[] = [];
      for await (const t of listThreadsOverHttp(`${server.url}/threads`, { token: TOKEN, pageSize: 2 })) {
        listed.push(t.threadId);
      }
      expect(listed).toEqual(["done-0", "done-1", "done-2", "done-3", "done-4", "waiting"]);
      const completed = listThreadsOverHttp(`${server.url}/threads`, {
        token: TOKEN,
        statuses: ["completed"],
        updatedBefore: Date.UTC(2026, 11, 1) + 60_000,
      });
      const old: string[] = [];
      for await (const t of completed) old.push(t.threadId);
      expect(old).toEqual(["done-0"]);
      // By last activity: "waiting" was written last, then done-4 ... done-0.
      const recent: string[] = [];
      for await (const t of listThreadsOverHttp(`${server.url}/threads`, {
        token: TOKEN,
        pageSize: 2,
        order: "recent",
      }))
        recent.push(t.threadId);
      expect(recent).toEqual(["waiting", "done-4", "done-3", "done-2", "done-1", "done-0"]);
      const page = await get("order=recent&limit=2");
      expect(page.body.next).toBe(`${Date.UTC(2026, 11, 1) + 4 * 60_000}~done-4`);
      expect(
        ids(
          (await get(`order=recent&status=completed&updatedBefore=${Date.UTC(2026, 11, 1) + 120_000}`)).body,
        ),
      ).toEqual(["done-1", "done-0"]);
      for (const [query, words] of [
        ["order=newest", 'order is "id" or "recent", got "newest"'],
        ["order=recent&after=done-3", 'pass the "next" of the page before'],
      ] as const) {
        const bad = await get(query);
        expect(bad.status, query).toBe(400);
        expect((bad.body.error as { message: string }).message).toContain(words);
      }
      const refused = listThreadsOverHttp(`${server.url}/threads`, { token: TOKEN, pageSize: 0 });
      await expect(refused[Symbol.asyncIterator]().next()).rejects.toThrow(
        "answered 400: invalid_range: limit must be an integer from 1 to 1000, got 0.",
      );
    } finally {
      await server.close();
    }
  });

  it("refuses a second run of a thread this handler is running", async () => {
    const journal = new MemoryJournal();
    const server = await serve({ journal, agent: slowAgent(journal, 10, [], 20), token: TOKEN });
    try {
      expect((await post(`${server.url}/threads/t1/runs`, { input: "go" })).status).toBe(202);
      const second = await post(`${server.url}/threads/t1/runs`, { input: "again" });
      expect(second.status).toBe(409);
      expect(((await second.json()) as { error: { code: string } }).error.code).toBe("thread_busy");
    } finally {
      await server.close();
    }
  });
});
