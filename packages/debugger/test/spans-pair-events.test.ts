import { createAgent, fallbackProviders, MemoryJournal, readAll, tool } from "@loom/core";
import { buildSpans, type Span } from "@loom/debugger";
import { ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { countOf, delegatingThread } from "./threads.ts";

const within = (inner: Span, outer: Span) => inner.start >= outer.start && inner.end <= outer.end;

describe("buildSpans pairs a thread's events into the flame graph's bars", () => {
  it("runs, iterations, model attempts, parallel tools and a sub-agent frame, nested in time", async () => {
    const { events } = await delegatingThread();
    const spans = buildSpans(events);
    const of = (kind: Span["kind"]) => spans.filter((s) => s.kind === kind);
    expect(of("run")).toHaveLength(countOf(events, "run.started"));
    expect(of("iteration")).toHaveLength(countOf(events, "iteration.started"));
    expect(of("llm")).toHaveLength(countOf(events, "llm.completed") + countOf(events, "llm.failed"));
    expect(of("tool")).toHaveLength(countOf(events, "tool.completed"));
    expect(of("frame")).toHaveLength(1);

    const failedAttempt = of("llm").find((s) => s.status === "error")!;
    expect(failedAttempt.details.error).toMatch(/^rate_limited/);
    expect(
      of("llm")
        .filter((s) => s.frameId === "root" && s.iteration === 1)
        .map((s) => s.details.attempt),
    ).toEqual([1, 2]);
    expect(of("tool").map((s) => [s.name, s.status])).toEqual(
      expect.arrayContaining([
        ["flaky", "error"],
        ["search", "ok"],
        ["researcher", "ok"],
      ]),
    );
    expect(of("tool").find((s) => s.name === "flaky")!.details.error).toMatch(/disk on fire/);
    for (const span of [...of("llm"), ...of("tool")]) {
      const iteration = of("iteration").find(
        (i) => i.frameId === span.frameId && i.iteration === span.iteration,
      )!;
      expect(within(span, iteration), `${span.kind} ${span.name} inside its iteration`).toBe(true);
    }
    for (const iteration of of("iteration")) {
      expect(within(iteration, of("run").find((r) => r.frameId === iteration.frameId)!)).toBe(true);
    }
    const frame = of("frame")[0]!;
    const delegation = of("tool").find((s) => s.name === "researcher")!;
    expect(frame.depth).toBe(1);
    expect(frame.details.call).toMatch(/@\d+$/);
    expect(frame.details.call).toBe(delegation.details.call);
    expect(within(frame, delegation)).toBe(true);
    expect(
      spans.filter((s) => s.frameId === frame.frameId && s.kind !== "frame").every((s) => s.depth === 1),
    ).toBe(true);
    // The three tool calls of one turn ran in parallel: their bars overlap.
    const rootTools = of("tool").filter((s) => s.frameId === "root");
    expect(Math.max(...rootTools.map((s) => s.start))).toBeLessThan(Math.min(...rootTools.map((s) => s.end)));
    // A bar lasts at least as long as the tool slept (15 ms), give or take the clock's grain.
    expect(
      rootTools.find((s) => s.name === "search")!.end - rootTools.find((s) => s.name === "search")!.start,
    ).toBeGreaterThanOrEqual(10);
  });

  it("a thread paused for a human leaves its bars open as 'interrupted'; a cut journal leaves them 'open'", async () => {
    const journal = new MemoryJournal();
    const remove = tool({
      name: "delete_file",
      description: "Delete",
      input: z.object({ path: z.string() }),
      run: async ({ path }) => `deleted ${path}`,
    });
    const agent = createAgent({
      journal,
      tools: [remove],
      hooks: [
        {
          name: "gate",
          beforeToolExecution: ({ approved }) => (approved ? undefined : { interrupt: "ask" }),
        },
      ],
      provider: new ScriptedProvider({
        mode: "conversation",
        turns: [{ toolCalls: [{ id: "rm", name: "delete_file", args: { path: "/tmp/x" } }] }, { text: "ok" }],
      }),
    });
    await agent.run("clean", { threadId: "paused" });
    const paused = buildSpans(await readAll(journal, "paused"));
    expect(paused.map((s) => [s.kind, s.status])).toEqual([
      ["run", "interrupted"],
      ["iteration", "interrupted"],
      ["llm", "ok"],
      ["wait", "interrupted"],
    ]);
    await agent.resume("paused", { decisions: { rm: { approve: true } } });
    const events = await readAll(journal, "paused");
    const done = buildSpans(events);
    expect(done.every((s) => s.status === "ok")).toBe(true);
    expect(done.find((s) => s.kind === "tool")?.name).toBe("delete_file");
    const cut = buildSpans(events.slice(0, events.findIndex((e) => e.type === "tool.started") + 1));
    expect(cut.filter((s) => s.status === "open").map((s) => s.kind)).toEqual(["run", "iteration", "tool"]);
  });

  it("names each model attempt after the provider and model that failed or answered (fallbackProviders)", async () => {
    const journal = new MemoryJournal();
    const provider = fallbackProviders([
      new ScriptedProvider({
        provider: "openai",
        modelId: "gpt-main",
        turns: [{ failFirst: [{ code: "overloaded", message: "busy" }] }],
      }),
      new ScriptedProvider({ turns: [{ text: "Hi." }], provider: "anthropic", modelId: "claude-backup" }),
    ]);
    await createAgent({ journal, provider }).run("Hello", { threadId: "t" });
    const llm = buildSpans(await readAll(journal, "t")).filter((s) => s.kind === "llm");
    expect(llm.map((s) => [s.name, s.status])).toEqual([
      ["openai/gpt-main", "error"],
      ["anthropic/claude-backup", "ok"],
    ]);
  });
});
