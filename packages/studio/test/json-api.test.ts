import { listRecentThreads, readAll, type StoredEvent, stateAt, ToolSet } from "@loom/core";
import { sampleEvents } from "@loom/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Studio, startStudio } from "../src/index.js";
import {
  appendFromAnotherProcess,
  deletingAgent,
  fsJournal,
  pausedThread,
  readLive,
  tempDir,
} from "./helpers.ts";

const folder = tempDir("api");
const journal = fsJournal(folder.dir);
const { agent, deleted, tools } = deletingAgent(journal);
let studio: Studio;
let auth: Record<string, string>;

async function api<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(`${studio.origin}${path}`, { ...init, headers: { ...auth, ...init.headers } });
  return { status: response.status, body: (await response.json()) as T };
}
const post = <T>(path: string, body: unknown) =>
  api<T>(path, {
    method: "POST",
    headers: { "content-type": "application/json", origin: studio.origin },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  for (let i = 0; i < 7; i++) await journal.append(`list-${i}`, sampleEvents(9), -1);
  await journal.append("long", sampleEvents(1_200), -1);
  studio = await startStudio({ journal, agent });
  auth = { authorization: `Bearer ${studio.token}` };
});
afterAll(async () => {
  await studio.close();
  await journal.close();
  folder.remove();
});

describe("threads", () => {
  it("pages through threads with a cursor and filters by prefix", async () => {
    const first = await api<{ threads: { threadId: string }[]; next?: string }>(
      "/api/threads?prefix=list-&limit=3",
    );
    expect(first.body.threads.map((t) => t.threadId)).toEqual(["list-0", "list-1", "list-2"]);
    const second = await api<{ threads: { threadId: string }[]; next?: string }>(
      `/api/threads?prefix=list-&limit=3&after=${first.body.next}`,
    );
    expect(second.body.threads.map((t) => t.threadId)).toEqual(["list-3", "list-4", "list-5"]);
    const last = await api<{ threads: { threadId: string }[]; next?: string }>(
      `/api/threads?prefix=list-&limit=3&after=${second.body.next}`,
    );
    expect(last.body.threads.map((t) => t.threadId)).toEqual(["list-6"]);
    expect(last.body.next).toBeUndefined();
  });

  it("pages by last activity (order=recent): a thread written again comes first, no thread lost or repeated", async () => {
    await journal.append("list-2", sampleEvents(1, { start: 9 }), 8);
    const expected: string[] = [];
    for await (const t of listRecentThreads(journal, { prefix: "list-" })) expected.push(t.threadId);
    expect(expected[0]).toBe("list-2");
    const listed: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 5; page++) {
      const { body } = await api<{ threads: { threadId: string }[]; next?: string }>(
        `/api/threads?prefix=list-&order=recent&limit=3${after ? `&after=${encodeURIComponent(after)}` : ""}`,
      );
      listed.push(...body.threads.map((t) => t.threadId));
      after = body.next;
      if (!after) break;
    }
    expect(listed).toEqual(expected);
    const bad = await api<{ error: { code: string; message: string } }>(
      "/api/threads?order=recent&after=list-3",
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('pass the "next" of the page before');
  });

  it("filters by status: a thread paused for approval is 'paused'", async () => {
    await pausedThread(agent, "paused-1");
    const paused = await api<{ threads: { threadId: string; status: string }[] }>(
      "/api/threads?status=paused",
    );
    expect(paused.body.threads).toEqual([
      expect.objectContaining({ threadId: "paused-1", status: "paused" }),
    ]);
    const bad = await api<{ error: { code: string } }>("/api/threads?status=asleep");
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("bad_request");
  });

  it("summarises a thread: iterations, tokens, errors, last activity", async () => {
    const { body } = await api<{ iterations: number; inputTokens: number; lastSeq: number; status: string }>(
      "/api/threads/paused-1/summary",
    );
    expect(body).toMatchObject({ iterations: 1, status: "interrupted" });
    expect(body.inputTokens).toBeGreaterThan(0);
    expect(body.lastSeq).toBe(await journal.head("paused-1"));
    const missing = await api<{ error: { code: string } }>("/api/threads/nope/summary");
    expect(missing.status).toBe(404);
  });
});

describe("events", () => {
  it("reads the tail first, then pages back with `before`", async () => {
    const tail = await api<{ head: number; events: StoredEvent[] }>("/api/threads/long/events?limit=500");
    expect(tail.body.head).toBe(1_199);
    expect(tail.body.events.map((e) => e.seq)).toEqual(Array.from({ length: 500 }, (_, i) => 700 + i));
    const earlier = await api<{ events: StoredEvent[] }>("/api/threads/long/events?before=700&limit=500");
    expect(earlier.body.events[0]!.seq).toBe(200);
    expect(earlier.body.events.at(-1)!.seq).toBe(699);
    const first = await api<{ events: StoredEvent[] }>("/api/threads/long/events?before=200&limit=500");
    expect(first.body.events.map((e) => e.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it("reads a seq range, bounded by the page size", async () => {
    const range = await api<{ events: StoredEvent[] }>("/api/threads/long/events?from=10&to=12");
    expect(range.body.events).toEqual(await readAll(journal, "long", { from: 10, to: 12 }));
    const capped = await api<{ events: StoredEvent[] }>("/api/threads/long/events?from=0&limit=5");
    expect(capped.body.events).toHaveLength(5);
  });
});

describe("time travel, context and fork", () => {
  it("gives the state at a seq, as core's stateAt folds it", async () => {
    const { body } = await api<unknown>("/api/threads/paused-1/state?seq=3");
    expect(body).toEqual(JSON.parse(JSON.stringify(await stateAt(journal, "paused-1", 3))));
    const past = await api<{ error: { code: string } }>("/api/threads/paused-1/state?seq=9999");
    expect(past.status).toBe(400);
    expect(past.body.error.code).toBe("invalid_range");
  });

  it("explains an iteration's context with the debugger", async () => {
    const overview = await api<{ iterations: number[]; frames: { frameId: string }[] }>(
      "/api/threads/paused-1/context",
    );
    expect(overview.body.iterations).toEqual([1]);
    const one = await api<{ iteration: number; included: { id: string }[]; budget: number }>(
      "/api/threads/paused-1/context?iteration=1",
    );
    expect(one.body.iteration).toBe(1);
    expect(one.body.included.map((c) => c.id)).toContain("history");
    const missing = await api<{ error: { code: string } }>("/api/threads/paused-1/context?iteration=7");
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("iteration_not_found");
  });

  it("forks a thread at a seq", async () => {
    const { status, body } = await post<{ threadId: string }>("/api/threads/long/fork", {
      at: 41,
      to: "long-copy",
    });
    expect(status).toBe(200);
    expect(body.threadId).toBe("long-copy");
    expect(await journal.head("long-copy")).toBe(41);
    const again = await post<{ error: { code: string } }>("/api/threads/long/fork", {
      at: 41,
      to: "long-copy",
    });
    expect(again.status).toBe(409);
  });
});

describe("approvals", () => {
  it("lists pending calls, across threads and per thread", async () => {
    const all = await api<{ approvals: { threadId: string; name: string; ref: string }[] }>("/api/approvals");
    expect(all.body.approvals).toEqual([
      expect.objectContaining({
        threadId: "paused-1",
        name: "delete_file",
        ref: expect.stringMatching(/^call_1@\d+$/),
      }),
    ]);
    const one = await api<{ approvals: unknown[] }>("/api/threads/paused-1/approvals");
    expect(one.body.approvals).toEqual(all.body.approvals);
  });

  it("refuses a decision for a call that is not waiting, and a malformed one", async () => {
    const unknown = await post<{ error: { code: string } }>("/api/threads/paused-1/decisions", {
      decisions: { "call_9@1": { approve: true } },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe("invalid_decision");
    const malformed = await post<{ error: { code: string; message: string } }>(
      "/api/threads/paused-1/decisions",
      {
        decisions: { call_1: { approve: "yes" } },
      },
    );
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.message).toContain(
      "{ approve: true }, { approve: false, reason? } or { args }",
    );
    expect(deleted).toEqual([]);
  });

  it("rejects with a reason: the call never runs and the run finishes", async () => {
    await pausedThread(agent, "reject-1");
    const answer = await post<{ recorded: string[]; resuming: boolean }>("/api/threads/reject-1/decisions", {
      decisions: { call_1: { approve: false, reason: "keep my notes" } },
    });
    expect(answer.body).toMatchObject({ resuming: true, recorded: [expect.stringMatching(/^call_1@/)] });
    const events = await untilStatus("reject-1", "run.completed");
    const resolved = events.find((e) => e.type === "approval.resolved");
    expect(resolved?.data).toMatchObject({ decision: "reject", reason: "keep my notes" });
    expect(events.some((e) => e.type === "tool.started")).toBe(false);
    expect(deleted).toEqual([]);
  });

  it("approves with edited arguments: the tool runs once, with them", async () => {
    await pausedThread(agent, "edit-1");
    await post("/api/threads/edit-1/decisions", {
      decisions: { call_1: { args: { path: "old-notes.txt" } } },
    });
    const events = await untilStatus("edit-1", "run.completed");
    expect(events.filter((e) => e.type === "tool.started").map((e) => e.data)).toEqual([
      expect.objectContaining({ args: { path: "old-notes.txt" }, originalArgs: { path: "notes.txt" } }),
    ]);
    expect(deleted).toEqual(["old-notes.txt"]);
  });

  it("without an agent, journals the decision and leaves the run to its runner", async () => {
    const plain = await startStudio({ journal });
    try {
      await pausedThread(agent, "elsewhere-1");
      const response = await fetch(`${plain.origin}/api/threads/elsewhere-1/decisions`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${plain.token}`,
          origin: plain.origin,
          "content-type": "application/json",
        },
        body: JSON.stringify({ decisions: { call_1: { approve: true } } }),
      });
      expect(await response.json()).toMatchObject({ resuming: false, pending: 0 });
      expect((await journal.head("elsewhere-1")) >= 0).toBe(true);
      const before = deleted.length;
      const result = await agent.resume("elsewhere-1");
      expect(result.status).toBe("completed");
      expect(deleted.length).toBe(before + 1);
    } finally {
      await plain.close();
    }
  });

  it("hands a decided thread to the `resume` it was given, once nothing else waits", async () => {
    const handed: string[] = [];
    const queued = await startStudio({
      journal,
      resume: async (threadId) => {
        handed.push(threadId);
        return agent.resume(threadId);
      },
    });
    try {
      await pausedThread(agent, "queued-1");
      const response = await fetch(`${queued.origin}/api/threads/queued-1/decisions`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${queued.token}`,
          origin: queued.origin,
          "content-type": "application/json",
        },
        body: JSON.stringify({ decisions: { call_1: { approve: false } } }),
      });
      expect(await response.json()).toMatchObject({ resuming: true, pending: 0 });
      await untilStatus("queued-1", "run.completed");
      expect(handed).toEqual(["queued-1"]);
    } finally {
      await queued.close();
    }
  });

  it("refuses a decision on a thread its own resume is still running (409 thread_busy)", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = await startStudio({
      journal,
      resume: async (threadId) => gate.then(() => agent.resume(threadId)),
    });
    try {
      await pausedThread(agent, "busy-1");
      const decide = () =>
        fetch(`${slow.origin}/api/threads/busy-1/decisions`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${slow.token}`,
            origin: slow.origin,
            "content-type": "application/json",
          },
          body: JSON.stringify({ decisions: { call_1: { approve: false } } }),
        });
      expect((await decide()).status).toBe(200);
      const again = await decide();
      expect(again.status).toBe(409);
      expect(((await again.json()) as { error: { code: string } }).error.code).toBe("thread_busy");
      release();
      await untilStatus("busy-1", "run.completed");
    } finally {
      release();
      await slow.close();
    }
  });

  it.each([
    ["given as tools", () => ({ tools })],
    ["taken from the agent", () => ({ agent })],
  ])(
    "checks edited arguments against the tool's schema when it knows the tools (%s): nothing is journaled otherwise",
    async (how, known) => {
      const checked = await startStudio({ journal, ...known() });
      const threadId = `schema-${how.length}`;
      const decide = (decision: unknown) =>
        fetch(`${checked.origin}/api/threads/${threadId}/decisions`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${checked.token}`,
            origin: checked.origin,
            "content-type": "application/json",
          },
          body: JSON.stringify({ decisions: { call_1: decision } }),
        });
      try {
        await pausedThread(agent, threadId);
        const pending = await fetch(`${checked.origin}/api/threads/${threadId}/approvals`, {
          headers: { authorization: `Bearer ${checked.token}` },
        });
        const { approvals } = (await pending.json()) as {
          approvals: { inputSchema?: { properties?: object } }[];
        };
        expect(approvals[0]!.inputSchema?.properties).toHaveProperty("path");
        const head = await journal.head(threadId);
        const bad = await decide({ args: { path: 42 } });
        expect(bad.status).toBe(400);
        const body = (await bad.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe("invalid_arguments");
        expect(body.error.message).toContain('"path"');
        expect(await journal.head(threadId)).toBe(head);
        expect((await decide({ args: { path: "fine.txt" } })).status).toBe(200);
        // The edit is journaled right after the head the bad one left alone (a resume the studio
        // started may have written after it).
        expect((await readAll(journal, threadId, { from: head + 1 }))[0]).toMatchObject({
          type: "approval.resolved",
          data: { decision: "edit", args: { path: "fine.txt" } },
        });
      } finally {
        await checked.close();
      }
    },
  );

  it("checks edited arguments with the agent's tools as they are now: a tool its ToolSet gained after the studio started", async () => {
    const set = new ToolSet();
    const later = deletingAgent(journal, { toolSet: set });
    const checked = await startStudio({ journal, agent: later.agent });
    try {
      set.add(...later.tools);
      await pausedThread(later.agent, "schema-later");
      const pending = await fetch(`${checked.origin}/api/threads/schema-later/approvals`, {
        headers: { authorization: `Bearer ${checked.token}` },
      });
      const { approvals } = (await pending.json()) as {
        approvals: { inputSchema?: { properties?: object } }[];
      };
      expect(approvals[0]!.inputSchema?.properties).toHaveProperty("path");
      const bad = await fetch(`${checked.origin}/api/threads/schema-later/decisions`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${checked.token}`,
          origin: checked.origin,
          "content-type": "application/json",
        },
        body: JSON.stringify({ decisions: { call_1: { args: { path: 42 } } } }),
      });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("invalid_arguments");
    } finally {
      await checked.close();
    }
  });

  it("close() waits for a resume the studio started, and never cancels the person's thread", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const closing = await startStudio({
      journal,
      resume: async (threadId) => gate.then(() => agent.resume(threadId)),
    });
    await pausedThread(agent, "closing-1");
    const answer = await fetch(`${closing.origin}/api/threads/closing-1/decisions`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${closing.token}`,
        origin: closing.origin,
        "content-type": "application/json",
      },
      body: JSON.stringify({ decisions: { call_1: { approve: false, reason: "no" } } }),
    });
    expect(answer.status).toBe(200);
    let closed = false;
    const done = closing.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(closed).toBe(false);
    release();
    await done;
    const events = await readAll(journal, "closing-1");
    expect(events.at(-1)?.type).toBe("run.completed");
    expect(events.some((e) => e.type === "run.cancelled")).toBe(false);
  });

  it("cancels a paused thread: its call never runs", async () => {
    await pausedThread(agent, "cancel-1");
    const { status } = await post("/api/threads/cancel-1/cancel", { reason: "not today" });
    expect(status).toBe(200);
    const events = await readAll(journal, "cancel-1");
    expect(events.at(-1)).toMatchObject({ type: "run.cancelled", data: { reason: "not today" } });
    const again = await post<{ error: { code: string } }>("/api/threads/cancel-1/cancel", {
      reason: "twice",
    });
    expect(again.status).toBe(409);
  });

  it("deletes a thread only as it was shown: refused once it took events, or while a run holds it", async () => {
    await pausedThread(agent, "delete-1");
    const head = await journal.head("delete-1");
    const stale = await post<{ error: { code: string } }>("/api/threads/delete-1/delete", {
      expectedSeq: head - 1,
    });
    expect([stale.status, stale.body.error.code]).toEqual([409, "journal_conflict"]);
    const bad = await post<{ error: { code: string } }>("/api/threads/delete-1/delete", { expectedSeq: "x" });
    expect(bad.status).toBe(400);
    const lease = await journal.acquire("delete-1");
    const held = await post<{ error: { code: string } }>("/api/threads/delete-1/delete", {
      expectedSeq: head,
    });
    await lease.release();
    expect([held.status, held.body.error.code]).toEqual([409, "thread_busy"]);
    expect(await journal.head("delete-1")).toBe(head);
    const done = await post("/api/threads/delete-1/delete", { expectedSeq: head });
    expect([done.status, done.body]).toEqual([200, { deleted: true }]);
    expect(await journal.head("delete-1")).toBe(-1);
    expect((await post("/api/threads/delete-1/delete", { expectedSeq: -1 })).status).toBe(404);
  });
});

describe("live events", () => {
  it("streams an event another process appends to the same journal folder", async () => {
    // The other process writes the thread (one writer per thread); the studio only reads it.
    const head = await appendFromAnotherProcess(folder.dir, "worker-1", "first");
    const live = readLive(
      `${studio.origin}/api/threads/worker-1/live?from=${head + 1}`,
      auth,
      (e) => e.type === "run.started" && e.data.input === "from another process",
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const seq = await appendFromAnotherProcess(folder.dir, "worker-1", "from another process");
    const seen = await live;
    expect(seq).toBe(head + 1);
    expect(seen.map((e) => e.seq)).toEqual([head + 1]);
  });

  it("replays from a seq, so a reconnecting page misses nothing", async () => {
    const seen = await readLive(`${studio.origin}/api/threads/list-0/live?from=5`, auth, (e) => e.seq === 8);
    expect(seen.map((e) => e.seq)).toEqual([5, 6, 7, 8]);
  });

  it("goes on after the Last-Event-ID an EventSource reconnects with, and sends nothing twice", async () => {
    const seen = await readLive(
      `${studio.origin}/api/threads/list-0/live?from=2`,
      { ...auth, "last-event-id": "6" },
      (e) => e.seq === 8,
    );
    expect(seen.map((e) => e.seq)).toEqual([7, 8]);
  });
});

/** Waits until the thread's last event is `type` (the studio resumes it in the background). */
async function untilStatus(threadId: string, type: StoredEvent["type"]): Promise<StoredEvent[]> {
  for (let i = 0; i < 200; i++) {
    const events = await readAll(journal, threadId);
    if (events.at(-1)?.type === type) return events;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(
    `${threadId} never reached ${type}; last: ${(await readAll(journal, threadId)).at(-1)?.type}`,
  );
}
