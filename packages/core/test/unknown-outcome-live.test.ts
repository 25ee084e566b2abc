import {
  createAgent,
  MemoryJournal,
  readAll,
  type StoredEvent,
  ToolOutcomeUnknownError,
  tool,
  type UnknownOutcomePolicy,
} from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";

/** An error that says the call may or may not have taken effect (as `McpError` does). */
class LostAnswer extends Error {
  readonly outcomeUnknown = true;
}

/** A payment tool whose first call's answer is lost after it took effect; each run is recorded. */
function payment(
  options: { idempotent?: boolean; onUnknownOutcome?: UnknownOutcomePolicy; hang?: boolean } = {},
) {
  const charged: string[] = [];
  const pay = tool({
    name: "pay",
    description: "Charges a card",
    input: z.object({ cents: z.number() }),
    idempotent: options.idempotent ?? false,
    onUnknownOutcome: options.onUnknownOutcome ?? "ask",
    timeoutMs: 30,
    run: async ({ cents }, { idempotencyKey }) => {
      charged.push(`${cents}:${idempotencyKey}`);
      if (charged.length === 1) {
        if (options.hang) return new Promise<string>(() => undefined);
        throw new LostAnswer("the payment API closed the connection after the request was sent");
      }
      return `charged ${cents}`;
    },
  });
  return { pay, charged };
}

const note = tool({ name: "note", description: "Notes", input: z.object({}), run: () => "noted" });

function agentWith(tools: Parameters<typeof createAgent>[0]["tools"], journal: MemoryJournal) {
  return createAgent({
    journal,
    tools,
    provider: new ScriptedProvider({
      mode: "conversation",
      turns: [
        {
          toolCalls: [
            { id: "p", name: "pay", args: { cents: 500 } },
            { id: "n", name: "note", args: {} },
          ],
        },
        { text: "Paid." },
      ],
    }),
  });
}

const of = <T extends StoredEvent["type"]>(events: StoredEvent[], type: T) =>
  events.filter((e): e is Extract<StoredEvent, { type: T }> => e.type === type);

describe("a call whose outcome is unknown in a live run (its tool asks)", () => {
  it("pauses the run for a human instead of telling the model; approved, it runs once more with the same key", async () => {
    const journal = new MemoryJournal();
    const { pay, charged } = payment();
    const paused = await agentWith([pay, note], journal).run("Pay", { threadId: "t" });
    expect(paused.status).toBe("interrupted");
    if (paused.status !== "interrupted") return;
    expect(paused.pending).toHaveLength(1);
    expect(paused.pending[0]).toMatchObject({ name: "pay", args: { cents: 500 } });
    expect(paused.pending[0]!.reason).toMatch(
      /^The outcome of this call is unknown \(the payment API closed the connection after the request was sent\): it may or may not have taken effect\. Run it again\?$/,
    );
    let events = await readAll(journal, "t");
    // The other call of the turn completed; the payment has a start and no completion.
    expect(of(events, "tool.completed").map((e) => e.data.callId)).toEqual(["n"]);
    expect(
      of(events, "tool.started")
        .map((e) => e.data.callId)
        .sort(),
    ).toEqual(["n", "p"]);
    expect(charged).toHaveLength(1);

    const done = await agentWith([pay, note], journal).resume("t", {
      decisions: { [paused.pending[0]!.ref]: { approve: true } },
    });
    expect(done.status === "completed" && done.text).toBe("Paid.");
    expect(charged).toHaveLength(2);
    expect(charged[1]!.split(":").slice(1).join(":")).toBe(charged[0]!.split(":").slice(1).join(":"));
    events = await readAll(journal, "t");
    expect(of(events, "tool.completed").map((e) => [e.data.callId, e.data.content])).toEqual([
      ["n", "noted"],
      ["p", "charged 500"],
    ]);
  });

  it("rejected, it never runs again, and the model is told a human said no", async () => {
    const journal = new MemoryJournal();
    const { pay, charged } = payment();
    const paused = await agentWith([pay, note], journal).run("Pay", { threadId: "t" });
    if (paused.status !== "interrupted") throw new Error("not paused");
    const done = await agentWith([pay, note], journal).resume("t", {
      decisions: { [paused.pending[0]!.ref]: { approve: false, reason: "I see the charge in the bank" } },
    });
    expect(done.status).toBe("completed");
    expect(charged).toHaveLength(1);
    const completed = of(await readAll(journal, "t"), "tool.completed").find((e) => e.data.callId === "p");
    expect(completed?.data.error?.code).toBe("rejected");
    expect(completed?.data.content).toContain("I see the charge in the bank");
  });

  it("in a sub-agent: the whole tree pauses, and the approval reaches the sub-agent's call", async () => {
    const journal = new MemoryJournal();
    const { pay, charged } = payment();
    const billing = createAgent({
      name: "billing",
      journal,
      tools: [pay],
      provider: new ScriptedProvider({
        mode: "conversation",
        turns: [{ toolCalls: [{ id: "p", name: "pay", args: { cents: 900 } }] }, { text: "billed" }],
      }),
    }).asTool({ description: "Bills the customer" });
    const parent = () =>
      createAgent({
        journal,
        tools: [billing],
        provider: new ScriptedProvider({
          mode: "conversation",
          turns: [
            { toolCalls: [{ id: "b", name: "billing", args: { input: "bill 9" } }] },
            { text: "Billed." },
          ],
        }),
      });
    const paused = await parent().run("Bill", { threadId: "t" });
    expect(paused.status).toBe("interrupted");
    if (paused.status !== "interrupted") return;
    expect(paused.pending).toHaveLength(1);
    expect(paused.pending[0]).toMatchObject({ name: "pay", args: { cents: 900 } });
    expect(paused.pending[0]!.frameId).not.toBe("root");
    const done = await parent().resume("t", { decisions: { [paused.pending[0]!.ref]: { approve: true } } });
    expect(done.status === "completed" && done.text).toBe("Billed.");
    expect(charged).toHaveLength(2);
  });

  it("a tool says so with core's ToolOutcomeUnknownError", async () => {
    const journal = new MemoryJournal();
    let runs = 0;
    const transfer = tool({
      name: "pay",
      description: "Moves money",
      input: z.object({ cents: z.number() }),
      onUnknownOutcome: "ask",
      run: () => {
        runs++;
        throw new ToolOutcomeUnknownError("the bank did not answer within 10 s");
      },
    });
    const paused = await agentWith([transfer, note], journal).run("Pay", { threadId: "t" });
    expect(paused.status).toBe("interrupted");
    if (paused.status !== "interrupted") return;
    expect(paused.pending[0]!.reason).toContain("(the bank did not answer within 10 s)");
    expect(runs).toBe(1);
    expect(new ToolOutcomeUnknownError("x")).toMatchObject({ code: "outcome_unknown", outcomeUnknown: true });
  });

  it("a tool that times out has an unknown outcome too", async () => {
    const journal = new MemoryJournal();
    const { pay } = payment({ hang: true });
    const paused = await agentWith([pay, note], journal).run("Pay", { threadId: "t" });
    expect(paused.status).toBe("interrupted");
    if (paused.status !== "interrupted") return;
    expect(paused.pending[0]!.reason).toMatch(/unknown \(timed out after 30 ms\)/);
  });

  it.each([
    ["its policy is fail", { onUnknownOutcome: "fail" as const }],
    ["it may run twice (idempotent)", { idempotent: true }],
  ])("does not pause when %s: the model sees the error, as before", async (_, options) => {
    const journal = new MemoryJournal();
    const { pay, charged } = payment(options);
    const done = await agentWith([pay, note], journal).run("Pay", { threadId: "t" });
    expect(done.status).toBe("completed");
    expect(charged).toHaveLength(1);
    const completed = of(await readAll(journal, "t"), "tool.completed").find((e) => e.data.callId === "p");
    expect(completed?.data.content).toMatch(/Tool "pay" failed: the payment API closed the connection/);
  });

  it("an ordinary error of a tool that asks is the model's, as before", async () => {
    const journal = new MemoryJournal();
    const failing = tool({
      name: "pay",
      description: "Charges a card",
      input: z.object({ cents: z.number() }),
      onUnknownOutcome: "ask",
      run: () => {
        throw new Error("card declined");
      },
    });
    const done = await agentWith([failing, note], journal).run("Pay", { threadId: "t" });
    expect(done.status).toBe("completed");
  });
});
