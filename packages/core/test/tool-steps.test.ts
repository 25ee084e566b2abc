import {
  ConfigError,
  createAgent,
  loadThread,
  MemoryJournal,
  readAll,
  type StoredEvent,
  type ToolContext,
  tool,
} from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";

/** An error that says the call may or may not have taken effect (as `McpError` does). */
class LostAnswer extends Error {
  readonly outcomeUnknown = true;
}

const of = <T extends StoredEvent["type"]>(events: StoredEvent[], type: T) =>
  events.filter((e): e is Extract<StoredEvent, { type: T }> => e.type === type);

const provider = () =>
  new ScriptedProvider({
    mode: "conversation",
    turns: [{ toolCalls: [{ id: "o", name: "order", args: { cents: 1200 } }] }, { text: "Ordered." }],
  });

describe("ToolContext.step", () => {
  it("a call run again after an unknown outcome does not repeat a step that finished: it gets what the step returned", async () => {
    const journal = new MemoryJournal();
    const effects: string[] = [];
    let attempt = 0;
    const order = tool({
      name: "order",
      description: "Charges the card, then sends the receipt",
      input: z.object({ cents: z.number() }),
      onUnknownOutcome: "ask",
      run: async ({ cents }, context) => {
        attempt++;
        const charge = await context.step("charge", () => {
          effects.push(`charge ${cents} (attempt ${attempt})`);
          return { id: `ch_${attempt}`, at: new Date(Date.UTC(2026, 11, 3)) };
        });
        await context.step("receipt", () => {
          effects.push(`receipt ${charge.id} (attempt ${attempt})`);
          if (attempt === 1)
            throw new LostAnswer("the mail API closed the connection after the request was sent");
        });
        return `charged ${charge.id} at ${String(charge.at)}`;
      },
    });
    const agent = () => createAgent({ journal, provider: provider(), tools: [order] });
    const paused = await agent().run("Order it", { threadId: "t" });
    expect(paused.status).toBe("interrupted");
    if (paused.status !== "interrupted") return;
    let events = await readAll(journal, "t");
    // The charge is journaled (as JSON: the date as its string); the receipt, which threw, is not.
    expect(of(events, "tool.step").map((e) => e.data)).toEqual([
      { callId: "o", name: "charge", value: { id: "ch_1", at: "2026-12-03T00:00:00.000Z" } },
    ]);
    const state = await loadThread(journal, "t");
    expect(state.turn?.calls[0]?.steps).toEqual([
      { name: "charge", value: { id: "ch_1", at: "2026-12-03T00:00:00.000Z" } },
    ]);

    const done = await agent().resume("t", { decisions: { [paused.pending[0]!.ref]: { approve: true } } });
    expect(done.status === "completed" && done.text).toBe("Ordered.");
    expect(effects).toEqual([
      "charge 1200 (attempt 1)",
      "receipt ch_1 (attempt 1)",
      "receipt ch_1 (attempt 2)",
    ]);
    events = await readAll(journal, "t");
    // The second attempt got the first one's charge, as JSON: the same text both times.
    expect(of(events, "tool.completed")[0]?.data.content).toBe("charged ch_1 at 2026-12-03T00:00:00.000Z");
    expect(of(events, "tool.step").map((e) => e.data.name)).toEqual(["charge", "receipt"]);
    expect(of(events, "tool.step")[1]?.data).toEqual({ callId: "o", name: "receipt" });
  });

  it("a step's result survives a snapshot taken while the call was in flight", async () => {
    const journal = new MemoryJournal();
    let charges = 0;
    let attempt = 0;
    const order = tool({
      name: "order",
      description: "d",
      input: z.object({ cents: z.number() }),
      onUnknownOutcome: "ask",
      run: async (_args, context) => {
        attempt++;
        const id = await context.step("charge", () => `ch_${++charges}`);
        if (attempt === 1) throw new LostAnswer("lost");
        return id;
      },
    });
    const agent = () =>
      createAgent({
        journal,
        provider: provider(),
        tools: [order],
        snapshots: { everyEvents: 2, sizeRatio: 1e9 },
      });
    const paused = await agent().run("Order it", { threadId: "s" });
    if (paused.status !== "interrupted") throw new Error("expected a pause");
    const events = await readAll(journal, "s");
    const step = events.find((e) => e.type === "tool.step")!;
    expect(events.some((e) => e.type === "snapshot" && e.seq > step.seq)).toBe(true);
    const done = await agent().resume("s", { decisions: { [paused.pending[0]!.ref]: { approve: true } } });
    expect(done.status).toBe("completed");
    expect(charges).toBe(1);
    expect(of(await readAll(journal, "s"), "tool.completed")[0]?.data.content).toBe("ch_1");
  });

  it("a step used wrong is a ConfigError thrown to the tool, saying what to do", async () => {
    const errors: string[] = [];
    const probe = tool({
      name: "order",
      description: "d",
      input: z.object({ cents: z.number() }),
      run: async (_args, context: ToolContext) => {
        const attempts: [string, () => Promise<unknown>][] = [
          ["empty name", () => context.step("", () => 1)],
          [
            "twice",
            async () => {
              await context.step("same", () => 1);
              return context.step("same", () => 2);
            },
          ],
          ["a function", () => context.step("fn", () => () => 1)],
          ["a BigInt", () => context.step("big", () => 10n)],
        ];
        for (const [label, attempt] of attempts) {
          const error = await attempt().catch((e: unknown) => e);
          errors.push(`${label}: ${ConfigError.isInstance(error) ? error.message : String(error)}`);
        }
        return "probed";
      },
    });
    const journal = new MemoryJournal();
    await createAgent({ journal, provider: provider(), tools: [probe] }).run("go", { threadId: "bad" });
    expect(errors).toEqual([
      expect.stringMatching(/^empty name: step\(name, run\): name is a non-empty string/),
      expect.stringMatching(
        /^twice: step\("same"\) was called twice in one run of call o@\d+: .*`charge-\$\{i\}`/,
      ),
      expect.stringMatching(/^a function: step\("fn"\) returned a function, which JSON cannot hold/),
      expect.stringMatching(/^a BigInt: step\("big"\) returned a value that cannot be journaled as JSON/),
    ]);
    // Only the one good step is journaled.
    expect(of(await readAll(journal, "bad"), "tool.step").map((e) => e.data.name)).toEqual(["same"]);
  });

  it("a step that ends after its call timed out is not journaled", async () => {
    const journal = new MemoryJournal();
    let release: () => void = () => {};
    const slow = tool({
      name: "order",
      description: "d",
      input: z.object({ cents: z.number() }),
      timeoutMs: 20,
      run: (_args, context) =>
        context.step("late", () => new Promise<string>((resolve) => (release = () => resolve("late")))),
    });
    const result = await createAgent({ journal, provider: provider(), tools: [slow] }).run("go", {
      threadId: "late",
    });
    expect(result.status).toBe("completed");
    release();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(of(await readAll(journal, "late"), "tool.step")).toEqual([]);
  });
});
