import {
  cancelThread,
  createAgent,
  type Journal,
  listPendingApprovals,
  MemoryJournal,
  ResumeError,
  readAll,
  recordDecisions,
  ThreadBusyError,
  type Tool,
  tool,
} from "@loom/core";
import { HITLHook } from "@loom/hooks";
import { ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { eventsOf } from "./helpers.js";

// Approvals and cancels from outside the agent: an operator's CLI or a web page journals a
// decision; the run goes on at the next resume, in any process. The promise holds across the
// hand-off: an approved call runs once, a rejected or cancelled one never.

function deletePath(log: string[]): Tool {
  return tool({
    name: "delete_path",
    description: "deletes a path",
    input: z.object({ path: z.string() }),
    run: ({ path }) => {
      log.push(path);
      return `deleted ${path}`;
    },
  });
}

function cleaner(journal: Journal, log: string[], paths: readonly string[] = ["/tmp/junk"]) {
  const provider = new ScriptedProvider({
    mode: "conversation",
    turns: [
      { toolCalls: paths.map((path, i) => ({ id: `call_${i + 1}`, name: "delete_path", args: { path } })) },
      { text: "cleaned" },
    ],
  });
  const agent = createAgent({
    journal,
    provider,
    tools: [deletePath(log)],
    hooks: [HITLHook({ tools: ["delete_path"] })],
  });
  return { agent, provider };
}

async function pausedThread(journal: Journal, threadId: string, paths?: readonly string[]) {
  const log: string[] = [];
  const paused = await cleaner(journal, log, paths).agent.run("clean up", { threadId });
  expect(paused.status).toBe("interrupted");
  return log;
}

describe("listPendingApprovals", () => {
  it("lists every waiting call across threads, with its thread, ref, tool, arguments and reason", async () => {
    const journal = new MemoryJournal();
    await pausedThread(journal, "ops-a", ["/a"]);
    await pausedThread(journal, "ops-b", ["/b1", "/b2"]);
    await pausedThread(journal, "other-c", ["/c"]);
    const done = new MemoryJournal();
    const all = await listPendingApprovals(journal);
    expect(all.map((p) => [p.threadId, p.name, (p.args as { path: string }).path])).toEqual([
      ["ops-a", "delete_path", "/a"],
      ["ops-b", "delete_path", "/b1"],
      ["ops-b", "delete_path", "/b2"],
      ["other-c", "delete_path", "/c"],
    ]);
    expect(all[0]!.ref).toMatch(/^call_1@\d+$/);
    expect(all[0]!.reason).toContain("delete_path");
    expect((await listPendingApprovals(journal, { prefix: "ops-" })).map((p) => p.threadId)).toEqual([
      "ops-a",
      "ops-b",
      "ops-b",
    ]);
    expect(await listPendingApprovals(done)).toEqual([]);
  });

  it("leaves out threads that finished or were cancelled", async () => {
    const journal = new MemoryJournal();
    await pausedThread(journal, "t-cancelled");
    await cancelThread(journal, "t-cancelled", "not needed");
    const log: string[] = [];
    const { agent } = cleaner(journal, log);
    await pausedThread(journal, "t-done");
    const [call] = await listPendingApprovals(journal, { prefix: "t-done" });
    await recordDecisions(journal, "t-done", { [call!.ref]: { approve: true } });
    await agent.resume("t-done");
    expect(await listPendingApprovals(journal)).toEqual([]);
  });
});

describe("recordDecisions", () => {
  it("journals an approval that the next resume carries out, once, in another agent", async () => {
    const journal = new MemoryJournal();
    const paused = await pausedThread(journal, "t1");
    const [call] = await listPendingApprovals(journal);
    const recorded = await recordDecisions(journal, "t1", { [call!.ref]: { approve: true } });
    expect(recorded).toEqual({ recorded: [call!.ref], pending: [] });
    expect(paused).toEqual([]);
    const resolved = await eventsOf(journal, "t1", "approval.resolved");
    expect(resolved.map((e) => e.data)).toEqual([{ callId: "call_1", decision: "approve" }]);

    const log: string[] = [];
    const result = await cleaner(journal, log).agent.resume("t1");
    expect(result.status === "completed" && result.text).toBe("cleaned");
    expect(log).toEqual(["/tmp/junk"]);
    expect((await eventsOf(journal, "t1", "run.resumed")).map((e) => e.data.reason)).toEqual(["decisions"]);
    // A second resume of the finished thread runs nothing again.
    await cleaner(journal, log).agent.resume("t1");
    expect(log).toEqual(["/tmp/junk"]);
    expect(await eventsOf(journal, "t1", "tool.started")).toHaveLength(1);
  });

  it("journals a rejection with its reason; the call never runs and the model is told why", async () => {
    const journal = new MemoryJournal();
    await pausedThread(journal, "t1");
    await recordDecisions(journal, "t1", { call_1: { approve: false, reason: "keep it" } });
    const log: string[] = [];
    const { agent, provider } = cleaner(journal, log);
    const result = await agent.resume("t1");
    expect(result.status).toBe("completed");
    expect(log).toEqual([]);
    expect(await eventsOf(journal, "t1", "tool.started")).toEqual([]);
    const [completion] = await eventsOf(journal, "t1", "tool.completed");
    expect(completion!.data.content).toContain("keep it");
    expect(JSON.stringify(provider.requests.at(-1))).toContain("keep it");
  });

  it("edits arguments: the call runs with the operator's arguments", async () => {
    const journal = new MemoryJournal();
    await pausedThread(journal, "t1");
    await recordDecisions(journal, "t1", { call_1: { args: { path: "/tmp/junk/old" } } });
    const log: string[] = [];
    await cleaner(journal, log).agent.resume("t1");
    expect(log).toEqual(["/tmp/junk/old"]);
  });

  it("keeps the run paused until every call of the turn has an answer", async () => {
    const journal = new MemoryJournal();
    await pausedThread(journal, "t1", ["/a", "/b"]);
    const first = await recordDecisions(journal, "t1", { call_1: { approve: true } });
    expect(first.pending.map((p) => p.callId)).toEqual(["call_2"]);
    const log: string[] = [];
    const still = await cleaner(journal, log, ["/a", "/b"]).agent.resume("t1");
    expect(still.status).toBe("interrupted");
    expect(log).toEqual([]);
    await recordDecisions(journal, "t1", { call_2: { approve: false } });
    const done = await cleaner(journal, log, ["/a", "/b"]).agent.resume("t1");
    expect(done.status).toBe("completed");
    expect(log).toEqual(["/a"]);
  });

  it("refuses while a run holds the thread, and journals nothing", async () => {
    const journal = new MemoryJournal();
    await pausedThread(journal, "t1");
    const before = (await readAll(journal, "t1")).length;
    const lease = await journal.acquire("t1");
    const busy = await recordDecisions(journal, "t1", { call_1: { approve: true } }).catch((e: unknown) => e);
    await lease.release();
    expect(ThreadBusyError.isInstance(busy)).toBe(true);
    expect((await readAll(journal, "t1")).length).toBe(before);
  });

  it("refuses a decision for a call that is not waiting, a malformed decision, and an unknown thread", async () => {
    const journal = new MemoryJournal();
    await pausedThread(journal, "t1");
    const codeOf = async (p: Promise<unknown>) => {
      const error = await p.catch((e: unknown) => e);
      return ResumeError.isInstance(error) ? error.code : error;
    };
    expect(await codeOf(recordDecisions(journal, "t1", { call_9: { approve: true } }))).toBe(
      "invalid_decision",
    );
    expect(await codeOf(recordDecisions(journal, "t1", { call_1: { yes: 1 } as never }))).toBe(
      "invalid_decision",
    );
    expect(await codeOf(recordDecisions(journal, "t1", {}))).toBe("invalid_decision");
    expect(await codeOf(recordDecisions(journal, "nope", { call_1: { approve: true } }))).toBe(
      "thread_not_found",
    );
    await recordDecisions(journal, "t1", { call_1: { approve: true } });
    // Decided once: a second answer for the same call is refused, not stacked.
    expect(await codeOf(recordDecisions(journal, "t1", { call_1: { approve: false } }))).toBe(
      "invalid_decision",
    );
    expect(await eventsOf(journal, "t1", "approval.resolved")).toHaveLength(1);
  });

  it("decides calls waiting inside sub-agents by ref", async () => {
    const journal = new MemoryJournal();
    const log: string[] = [];
    const child = (name: string) =>
      createAgent({
        name,
        journal,
        tools: [deletePath(log)],
        provider: new ScriptedProvider({
          mode: "conversation",
          turns: [
            { toolCalls: [{ id: "call_1", name: "delete_path", args: { path: `/${name}` } }] },
            { text: "ok" },
          ],
        }),
      }).asTool({ description: name });
    const parent = () =>
      createAgent({
        journal,
        hooks: [HITLHook({ tools: ["delete_path"] })],
        tools: [child("a"), child("b")],
        provider: new ScriptedProvider({
          mode: "conversation",
          turns: [
            {
              toolCalls: [
                { id: "call_1", name: "a", args: { input: "go" } },
                { id: "call_2", name: "b", args: { input: "go" } },
              ],
            },
            { text: "both done" },
          ],
        }),
      });
    expect((await parent().run("go", { threadId: "t1" })).status).toBe("interrupted");
    const pending = await listPendingApprovals(journal);
    expect(pending.map((p) => p.callId)).toEqual(["call_1", "call_1"]);
    const refOf = (path: string) => pending.find((p) => (p.args as { path: string }).path === path)!.ref;
    await recordDecisions(journal, "t1", {
      [refOf("/a")]: { approve: true },
      [refOf("/b")]: { approve: false },
    });
    const done = await parent().resume("t1");
    expect(done.status === "completed" && done.text).toBe("both done");
    expect(log).toEqual(["/a"]);
  });
});

describe("cancelThread", () => {
  it("cancels a paused thread: nothing of it runs until a human decides again", async () => {
    const journal = new MemoryJournal();
    await pausedThread(journal, "t1");
    await cancelThread(journal, "t1", "operator stopped it");
    const [cancelled] = await eventsOf(journal, "t1", "run.cancelled");
    expect(cancelled!.data.reason).toBe("operator stopped it");
    const statuses = async () => {
      const out = [];
      for await (const info of journal.threads()) out.push(info.status);
      return out;
    };
    expect(await statuses()).toEqual(["cancelled"]);
    expect(await listPendingApprovals(journal)).toEqual([]);

    // A cancel is a stop, as through a run's AbortSignal: a resume takes the thread up again, and
    // the call still waits for a human: resuming alone runs nothing.
    const log: string[] = [];
    const resumed = await cleaner(journal, log).agent.resume("t1");
    expect(resumed.status).toBe("interrupted");
    expect(log).toEqual([]);
    expect(await eventsOf(journal, "t1", "tool.started")).toEqual([]);
    expect(await statuses()).toEqual(["interrupted"]);
  });

  it("refuses a finished thread, an unknown one, and one a run holds", async () => {
    const journal = new MemoryJournal();
    await pausedThread(journal, "t1");
    await cancelThread(journal, "t1", "stop");
    const again = await cancelThread(journal, "t1", "stop").catch((e: unknown) => e);
    expect(ResumeError.isInstance(again) && again.code).toBe("thread_finished");
    const unknown = await cancelThread(journal, "t9", "stop").catch((e: unknown) => e);
    expect(ResumeError.isInstance(unknown) && unknown.code).toBe("thread_not_found");
    await pausedThread(journal, "t2");
    const lease = await journal.acquire("t2");
    const busy = await cancelThread(journal, "t2", "stop").catch((e: unknown) => e);
    await lease.release();
    expect(ThreadBusyError.isInstance(busy)).toBe(true);
  });
});
