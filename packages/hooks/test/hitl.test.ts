import { createAgent, HookError, MemoryJournal, readAll, type StoredEvent, tool } from "@loom/core";
import { HITLHook } from "@loom/hooks";
import { ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";

function world(hook: ReturnType<typeof HITLHook>, journal = new MemoryJournal()) {
  const deleted: string[] = [];
  const deleteFile = tool({
    name: "delete_file",
    description: "deletes a file",
    input: z.object({ path: z.string() }),
    run: ({ path }) => {
      deleted.push(path);
      return `deleted ${path}`;
    },
  });
  const listFiles = tool({
    name: "list_files",
    description: "lists",
    input: z.object({}),
    run: () => ["/a", "/b"],
  });
  // A new provider and agent per "process": only the journal is shared.
  const agent = () =>
    createAgent({
      journal,
      hooks: [hook],
      tools: [deleteFile, listFiles],
      provider: new ScriptedProvider({
        mode: "conversation",
        turns: [
          {
            toolCalls: [
              { id: "ls", name: "list_files", args: {} },
              { id: "rm", name: "delete_file", args: { path: "/a" } },
            ],
          },
          { text: "handled" },
        ],
      }),
    });
  return { journal, deleted, agent };
}

const of = (events: StoredEvent[], type: string) => events.filter((e) => e.type === type);

describe("HITLHook without ask: durable pause", () => {
  it("journals the pending call and resumes in another agent instance with an approval", async () => {
    const { journal, deleted, agent } = world(HITLHook({ tools: ["delete_file"] }));
    const paused = await agent().run("clean up", { threadId: "h" });
    expect(paused.status).toBe("interrupted");
    const events = await readAll(journal, "h");
    expect(of(events, "approval.requested")[0]).toMatchObject({
      data: {
        calls: [
          {
            callId: "rm",
            name: "delete_file",
            args: { path: "/a" },
            reason: "delete_file needs human approval",
          },
        ],
      },
    });
    expect(events.at(-1)).toMatchObject({ type: "run.interrupted", data: { pendingCallIds: ["rm"] } });
    expect(deleted).toEqual([]);
    const done = await agent().resume("h", { decisions: { rm: { approve: true } } });
    expect(done.status === "completed" && done.text).toBe("handled");
    expect(deleted).toEqual(["/a"]);
  });

  it("never runs a rejected call and tells the model why", async () => {
    const { journal, deleted, agent } = world(HITLHook({ tools: (call) => call.name.startsWith("delete") }));
    await agent().run("clean up", { threadId: "h" });
    await agent().resume("h", { decisions: { rm: { approve: false, reason: "keep /a" } } });
    expect(deleted).toEqual([]);
    const completed = of(await readAll(journal, "h"), "tool.completed").find(
      (e) => e.type === "tool.completed" && e.data.callId === "rm",
    );
    expect(completed).toMatchObject({ data: { content: "A human rejected this call: keep /a" } });
  });

  it("runs an edited call with the edited arguments, journaling both", async () => {
    const { journal, deleted, agent } = world(HITLHook({ tools: ["delete_file"] }));
    await agent().run("clean up", { threadId: "h" });
    await agent().resume("h", { decisions: { rm: { args: { path: "/tmp/a" } } } });
    expect(deleted).toEqual(["/tmp/a"]);
    const events = await readAll(journal, "h");
    expect(of(events, "approval.resolved")[0]).toMatchObject({
      data: { decision: "edit", args: { path: "/tmp/a" } },
    });
    expect(
      of(events, "tool.started").find((e) => e.type === "tool.started" && e.data.callId === "rm"),
    ).toMatchObject({
      data: { args: { path: "/tmp/a" }, originalArgs: { path: "/a" } },
    });
  });
});

describe("HITLHook with ask: waits for the answer", () => {
  it("asks, journals question and answer, and runs the approved call", async () => {
    const asked: string[] = [];
    const hook = HITLHook({
      tools: ["delete_file"],
      ask: ({ call, reason }) => {
        asked.push(`${call.name} ${JSON.stringify(call.args)}: ${reason}`);
        return { approve: true };
      },
    });
    const { journal, deleted, agent } = world(hook);
    const result = await agent().run("clean up", { threadId: "h" });
    expect(result.status).toBe("completed");
    expect(asked).toEqual(['delete_file {"path":"/a"}: delete_file needs human approval']);
    expect(deleted).toEqual(["/a"]);
    const events = await readAll(journal, "h");
    expect(of(events, "approval.requested")).toHaveLength(1);
    expect(of(events, "approval.resolved")[0]).toMatchObject({ data: { callId: "rm", decision: "approve" } });
    expect(of(events, "run.interrupted")).toHaveLength(0);
  });

  it("never runs a call the human refused", async () => {
    const hook = HITLHook({ tools: ["delete_file"], ask: () => ({ approve: false, reason: "no" }) });
    const { deleted, agent } = world(hook);
    await agent().run("clean up", { threadId: "h" });
    expect(deleted).toEqual([]);
  });
});

describe("HITLHook when the answer does not come", () => {
  it.each([true, undefined, "yes", { approve: "yes" }])(
    "gives a typed error for ask() returning %j and leaves the call waiting, resumable",
    async (answer) => {
      const hook = HITLHook({ tools: ["delete_file"], ask: () => answer as never });
      const { journal, deleted, agent } = world(hook);
      const error = await agent()
        .run("clean up", { threadId: "h" })
        .catch((e: unknown) => e);
      expect(HookError.isInstance(error)).toBe(true);
      expect((error as HookError).message).toContain("ask() returned");
      expect((error as HookError).message).toContain(
        'resume("h", { decisions: { "rm@4": { approve: true } } })',
      );
      expect(deleted).toEqual([]);
      const events = await readAll(journal, "h");
      expect(events.at(-1)).toMatchObject({ type: "run.interrupted", data: { reason: "hook_failed" } });
      const done = await agent().resume("h", { decisions: { rm: { approve: true } } });
      expect(done.status).toBe("completed");
      expect(deleted).toEqual(["/a"]);
    },
  );

  it("leaves a durable pause when ask is aborted (Ctrl-C at the prompt), finished later by a decision", async () => {
    const controller = new AbortController();
    const hook = HITLHook({
      tools: ["delete_file"],
      ask: ({ signal }) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
          setTimeout(() => controller.abort(), 5);
        }),
    });
    const { journal, deleted, agent } = world(hook);
    const paused = await agent().run("clean up", { threadId: "h", signal: controller.signal });
    expect(paused.status).toBe("interrupted");
    expect((await readAll(journal, "h")).at(-1)).toMatchObject({ type: "run.interrupted" });
    expect(deleted).toEqual([]);
    const done = await agent().resume("h", { decisions: { rm: { approve: false, reason: "no" } } });
    expect(done.status).toBe("completed");
    expect(deleted).toEqual([]);
  });
});

describe("HITLHook on a parent agent guards its sub-agents", () => {
  function family(inheritHooks?: boolean) {
    const deleted: string[] = [];
    const journal = new MemoryJournal();
    const deleteFile = tool({
      name: "delete_file",
      description: "deletes a file",
      input: z.object({ path: z.string() }),
      run: ({ path }) => {
        deleted.push(path);
        return `deleted ${path}`;
      },
    });
    const child = createAgent({
      name: "janitor",
      journal,
      tools: [deleteFile],
      provider: new ScriptedProvider({
        mode: "conversation",
        turns: [
          { toolCalls: [{ id: "rm", name: "delete_file", args: { path: "/home" } }] },
          { text: "cleaned" },
        ],
      }),
    });
    const parent = () =>
      createAgent({
        journal,
        hooks: [HITLHook({ tools: ["delete_file"] })],
        tools: [
          child.asTool({ description: "cleans", ...(inheritHooks === undefined ? {} : { inheritHooks }) }),
        ],
        provider: new ScriptedProvider({
          mode: "conversation",
          turns: [
            { toolCalls: [{ id: "sub", name: "janitor", args: { input: "clean" } }] },
            { text: "done" },
          ],
        }),
      });
    return { deleted, parent };
  }

  it("pauses the child's dangerous call for the parent's human by default", async () => {
    const { deleted, parent } = family();
    const paused = await parent().run("go", { threadId: "f" });
    expect(paused.status).toBe("interrupted");
    expect(deleted).toEqual([]);
    if (paused.status !== "interrupted") return;
    expect(paused.pending.map((p) => [p.name, p.frameId === "root"])).toEqual([["delete_file", false]]);
    const done = await parent().resume("f", { decisions: { [paused.pending[0]!.ref]: { approve: false } } });
    expect(done.status).toBe("completed");
    expect(deleted).toEqual([]);
  });

  it("runs the child with only its own hooks when it opts out", async () => {
    const { deleted, parent } = family(false);
    const done = await parent().run("go", { threadId: "f" });
    expect(done.status).toBe("completed");
    expect(deleted).toEqual(["/home"]);
  });
});
