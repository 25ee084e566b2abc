import { createAgent, JournalError, MemoryJournal, readAll, stateAt, tool } from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";

function world(journal: MemoryJournal, sent: string[]) {
  const send = tool({
    name: "send_email",
    description: "sends an email",
    input: z.object({ to: z.string() }),
    run: ({ to }) => {
      sent.push(to);
      return `sent to ${to}`;
    },
  });
  return createAgent({
    journal,
    tools: [send],
    hooks: [
      {
        name: "gate",
        beforeToolExecution: ({ approved }) => (approved ? undefined : { interrupt: "send?" }),
      },
    ],
    provider: new ScriptedProvider({
      mode: "conversation",
      turns: [
        { toolCalls: [{ id: "m1", name: "send_email", args: { to: "ceo@example.com" } }] },
        { text: "ok" },
      ],
    }),
  });
}

describe("time travel", () => {
  it("stateAt gives the frame right after any event", async () => {
    const journal = new MemoryJournal();
    const sent: string[] = [];
    const agent = world(journal, sent);
    await agent.run("email the ceo", { threadId: "tt" });
    await agent.resume("tt", { decisions: { m1: { approve: true } } });
    const events = await readAll(journal, "tt");
    const interruptedAt = events.findIndex((e) => e.type === "run.interrupted");
    const paused = await stateAt(journal, "tt", interruptedAt);
    expect(paused.status).toBe("interrupted");
    expect(paused.turn?.calls[0]).toMatchObject({ callId: "m1", approval: { state: "requested" } });
    const first = await stateAt(journal, "tt", 0);
    expect(first.messages.toArray()).toEqual([{ role: "user", content: "email the ceo" }]);
    const last = await stateAt(journal, "tt", events.length - 1);
    expect(last.status).toBe("completed");
    await expect(stateAt(journal, "tt", events.length)).rejects.toThrow(JournalError);
    await expect(stateAt(journal, "nope", 0)).rejects.toThrow(/no events/);
  });

  it("a fork resumed with a different decision gives a different, consistent run; the original is untouched", async () => {
    const journal = new MemoryJournal();
    const sent: string[] = [];
    await world(journal, sent).run("email the ceo", { threadId: "orig" });
    await world(journal, sent).resume("orig", { decisions: { m1: { approve: true } } });
    expect(sent).toEqual(["ceo@example.com"]);
    const original = await readAll(journal, "orig");
    const at = original.findIndex((e) => e.type === "run.interrupted");
    await journal.fork("orig", at, "what-if");
    const forked = await world(journal, sent).resume("what-if", {
      decisions: { m1: { approve: false, reason: "not today" } },
    });
    expect(forked.status === "completed" && forked.text).toBe("ok");
    expect(sent).toEqual(["ceo@example.com"]);
    const forkEvents = await readAll(journal, "what-if");
    expect(forkEvents.find((e) => e.type === "approval.resolved")).toMatchObject({
      data: { decision: "reject" },
    });
    expect(forkEvents.some((e) => e.type === "tool.started")).toBe(false);
    expect(await readAll(journal, "orig")).toEqual(original);
  });
});
