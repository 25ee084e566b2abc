import { MemoryJournal, readAll } from "@loom/core";
import { ContextDebugger } from "@loom/debugger";
import { describe, expect, it } from "vitest";
import { delegatingAgent, readingAgent } from "./threads.ts";

/** What a live debugger can know, minus where it learned it. */
const decisions = (debug: ContextDebugger) =>
  debug.iterations().map((n) => {
    const { iteration, budget, totalTokens, included, excluded, usage } = debug.explainIteration(n);
    return { iteration, budget, totalTokens, included, excluded, usage };
  });

describe("ContextDebugger live", () => {
  it("as a hook, it sees the same decisions the journal records", async () => {
    const journal = new MemoryJournal();
    const live = new ContextDebugger();
    const { agent } = readingAgent(journal, 5, { hooks: [live.hook] });
    for (let i = 1; i <= 5; i++) await agent.run(`Read chapter ${i}`, { threadId: "live" });
    const offline = await ContextDebugger.fromJournal(journal, "live");
    expect(live.events).toHaveLength(0);
    expect(live.explainIteration(1).source).toBe("hook");
    expect(decisions(live)).toEqual(decisions(offline));
    // A hook point does not see compression.applied: the live summary names the drop, not the strategy.
    expect(offline.summary().suggestions[0]).toMatch(/^history dropped at .* by "drop-oldest"/);
    expect(live.summary().suggestions[0]).toMatch(
      /^history dropped at .*: raise windowTokens or add a compression strategy$/,
    );
    expect(live.summary().suggestions.slice(1)).toEqual(offline.summary().suggestions.slice(1));
    expect(decisions(live).some((d) => d.excluded.some((c) => c.kind === "history"))).toBe(true);
  });

  it("fed with agent.stream(), it matches the journal event for event, and explains while the run goes", async () => {
    const journal = new MemoryJournal();
    const { agent } = readingAgent(journal, 3);
    const live = new ContextDebugger();
    const seenDuringRun: number[] = [];
    for (let i = 1; i <= 3; i++) {
      for await (const event of agent.stream(`Read chapter ${i}`, { threadId: "streamed" })) {
        live.observe(event);
        if (event.type === "llm.completed")
          seenDuringRun.push(live.explainIteration(event.iteration).iteration);
      }
    }
    expect(seenDuringRun).toEqual([1, 2, 3, 4, 5, 6]);
    expect(live.events).toEqual(await readAll(journal, "streamed"));
    expect(live.toJSON()).toEqual((await ContextDebugger.fromJournal(journal, "streamed")).toJSON());
    expect(() => live.observe({ ...live.events[0]!, threadId: "other", seq: 999 })).toThrow(
      /follows thread "streamed"/,
    );
  });

  it("as a hook on an agent and its sub-agent, it knows the sub-agent's frame and explains it", async () => {
    const journal = new MemoryJournal();
    const live = new ContextDebugger();
    await delegatingAgent(journal, [live.hook]).run("Research loom", { threadId: "hooked" });
    const offline = await ContextDebugger.fromJournal(journal, "hooked");
    const child = offline.frames().find((f) => f.depth === 1)!;
    const strip = ({ name: _name, ...frame }: { name: unknown }) => frame;
    expect(live.frames().map(strip)).toEqual(offline.frames().map(strip));
    expect(decisions(live.forFrame(child.frameId))).toEqual(decisions(offline.forFrame(child.frameId)));
  });
});
