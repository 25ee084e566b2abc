import {
  ConfigError,
  createAgent,
  fallbackProviders,
  MemoryJournal,
  type ModelRequest,
  type Provider,
  ProviderError,
  type ProviderErrorCode,
  type ProviderStreamPart,
  RunFailedError,
  readAll,
  tool,
} from "@loom/core";
import { collectParts, ScriptedProvider, type ScriptedTurn, userRequest } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { unsealed } from "./helpers.js";

/** A provider whose every call fails with `code`. */
class DownProvider implements Provider {
  readonly specificationVersion = "v1" as const;
  readonly modelId = "down-1";
  calls = 0;
  constructor(
    private readonly code: ProviderErrorCode,
    readonly provider = "primary",
  ) {}
  // biome-ignore lint/correctness/useYield: it fails before its first part.
  async *doStream(_request: ModelRequest): AsyncIterable<ProviderStreamPart> {
    this.calls++;
    throw new ProviderError(this.code, `${this.provider} says ${this.code}`, { provider: this.provider });
  }
}

const retry = { maxRetries: 2, initialDelayMs: 0, maxDelayMs: 0 };
const secondary = (turns: readonly ScriptedTurn[] = [{ text: "From the secondary." }]) =>
  new ScriptedProvider({ turns, provider: "secondary", modelId: "second-1", mode: "conversation" });

describe("fallbackProviders", () => {
  it("overloaded: the next provider takes the turn at once, and llm.completed names who answered", async () => {
    const primary = new DownProvider("overloaded");
    const journal = new MemoryJournal();
    const agent = createAgent({ provider: fallbackProviders([primary, secondary()]), journal, retry });
    const result = await agent.run("Hi", { threadId: "t" });
    expect(result.status === "completed" && result.text).toBe("From the secondary.");
    expect(primary.calls).toBe(1);
    const events = await readAll(journal, "t");
    expect(events.find((e) => e.type === "llm.requested")?.data).toMatchObject({ provider: "primary" });
    expect(events.find((e) => e.type === "llm.failed")?.data).toMatchObject({
      error: { code: "overloaded" },
      willRetry: true,
      retryInMs: 0,
    });
    expect(events.find((e) => e.type === "llm.completed")?.data).toMatchObject({
      provider: "secondary",
      model: "second-1",
      attempt: 2,
    });
  });

  it("another retryable error: the agent's retries go to the primary first, then the secondary answers", async () => {
    const primary = new DownProvider("rate_limited");
    const journal = new MemoryJournal();
    const agent = createAgent({ provider: fallbackProviders([primary, secondary()]), journal, retry });
    const result = await agent.run("Hi", { threadId: "t" });
    expect(result.status === "completed" && result.text).toBe("From the secondary.");
    expect(primary.calls).toBe(3);
    const failed = (await readAll(journal, "t")).filter((e) => e.type === "llm.failed");
    expect(failed.map((e) => e.data.willRetry)).toEqual([true, true, true]);
  });

  it("a request every provider would refuse (bad_request) fails the run; the secondary is not asked", async () => {
    const primary = new DownProvider("bad_request");
    const backup = secondary();
    const agent = createAgent({ provider: fallbackProviders([primary, backup]), retry });
    await expect(agent.run("Hi")).rejects.toThrow(RunFailedError);
    expect(backup.requests).toHaveLength(0);
  });

  it("shouldFallback decides: quota_exceeded kept on the primary when told so", async () => {
    const primary = new DownProvider("quota_exceeded");
    const backup = secondary();
    const provider = fallbackProviders([primary, backup], { shouldFallback: () => false });
    await expect(createAgent({ provider, retry }).run("Hi")).rejects.toThrow(/primary\/down-1 failed/);
    const moved = fallbackProviders([new DownProvider("quota_exceeded"), backup]);
    const result = await createAgent({ provider: moved, retry }).run("Hi");
    expect(result.status === "completed" && result.text).toBe("From the secondary.");
  });

  it("every provider down: the run fails naming the last one", async () => {
    const provider = fallbackProviders([
      new DownProvider("overloaded"),
      new DownProvider("server_error", "second"),
    ]);
    const error = await createAgent({ provider, retry })
      .run("Hi")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunFailedError);
    expect((error as Error).message).toMatch(/second\/down-1 failed after 4 attempt\(s\)/);
  });

  it("each iteration starts at the primary again: a primary that recovers answers the next turn", async () => {
    let down = true;
    const primary = new ScriptedProvider({
      provider: "primary",
      mode: "conversation",
      turns: [{ text: "unused" }, { text: "Done by the primary." }],
    });
    const flaky: Provider = {
      specificationVersion: "v1",
      provider: "primary",
      modelId: "p-1",
      async *doStream(request, options) {
        if (down) {
          down = false;
          throw new ProviderError("overloaded", "busy", { provider: "primary" });
        }
        yield* primary.doStream(request, options);
      },
    };
    const ran: string[] = [];
    const lookup = tool({
      name: "lookup",
      description: "Looks up.",
      input: z.object({ q: z.string() }),
      run: ({ q }) => {
        ran.push(q);
        return "found";
      },
    });
    const backup = secondary([{ toolCalls: [{ name: "lookup", args: { q: "x" } }] }]);
    const journal = new MemoryJournal();
    const agent = createAgent({
      provider: fallbackProviders([flaky, backup]),
      tools: [lookup],
      journal,
      retry,
    });
    const result = await agent.run("Hi", { threadId: "t" });
    expect(result.status === "completed" && result.text).toBe("Done by the primary.");
    expect(ran).toEqual(["x"]);
    const completed = (await readAll(journal, "t")).filter((e) => e.type === "llm.completed");
    expect(completed.map((e) => e.data.provider)).toEqual(["secondary", "primary"]);
  });

  it("resume from every prefix: the same answer, a completed tool call never runs again, a cut turn goes on where it was", async () => {
    const ran: string[] = [];
    const lookup = tool({
      name: "lookup",
      description: "Looks up.",
      input: z.object({ q: z.string() }),
      run: ({ q }) => {
        ran.push(q);
        return "found";
      },
    });
    const turns = [{ toolCalls: [{ id: "c1", name: "lookup", args: { q: "x" } }] }, { text: "Answer." }];
    const make = (journal: MemoryJournal) => {
      const primary = new DownProvider("overloaded");
      return {
        primary,
        agent: createAgent({
          provider: fallbackProviders([primary, secondary(turns)]),
          tools: [lookup],
          journal,
          retry,
        }),
      };
    };
    const journal = new MemoryJournal();
    const first = await make(journal).agent.run("Hi", { threadId: "t" });
    expect(first.status === "completed" && first.text).toBe("Answer.");
    const events = await readAll(journal, "t");
    for (let cut = 1; cut <= events.length; cut++) {
      ran.length = 0;
      const prefix = new MemoryJournal();
      await prefix.append(
        "t",
        events.slice(0, cut).map(({ seq: _seq, ...e }) => e),
        -1,
      );
      const { agent, primary } = make(prefix);
      const resumed = await agent.resume("t");
      expect(resumed.status === "completed" && resumed.text, `cut ${cut}`).toBe("Answer.");
      const toolDone = events.slice(0, cut).some((e) => e.type === "tool.completed");
      if (toolDone) expect(ran, `cut ${cut}`).toEqual([]);
      const after = await readAll(prefix, "t");
      const open = after.slice(cut).filter((e) => e.type === "llm.completed");
      // Every turn the resumed run asked for went to the primary first, then to the secondary; but a
      // turn cut after the primary's failure had moved it on goes straight to the secondary.
      const modelSteps = events
        .slice(0, cut)
        .filter(
          (e) => e.type === "iteration.started" || e.type === "llm.failed" || e.type === "llm.completed",
        );
      const movedOn = modelSteps.at(-1)?.type === "llm.failed";
      expect(primary.calls, `cut ${cut}`).toBe(open.length - (movedOn ? 1 : 0));
      for (const e of open) expect(e.data.provider).toBe("secondary");
    }
  });

  it("remembers across processes where a turn was: llm.failed names the provider, and a resume goes on from there", async () => {
    // The primary is rate limited (one retry, then the move on), the secondary overloaded (moves on
    // at once), the third answers.
    const calls: string[] = [];
    const down = (name: string, code: ProviderErrorCode): Provider => ({
      specificationVersion: "v1",
      provider: name,
      modelId: `${name}-1`,
      // biome-ignore lint/correctness/useYield: it fails before its first part.
      async *doStream() {
        calls.push(name);
        throw new ProviderError(code, `${name} says ${code}`, { provider: name });
      },
    });
    const agentOn = (journal: MemoryJournal) =>
      createAgent({
        provider: fallbackProviders([
          down("primary", "rate_limited"),
          down("secondary", "overloaded"),
          new ScriptedProvider({
            turns: [{ text: "From the third." }],
            provider: "third",
            mode: "conversation",
          }),
        ]),
        journal,
        retry: { maxRetries: 1, initialDelayMs: 0, maxDelayMs: 0 },
      });
    const journal = new MemoryJournal();
    expect(await agentOn(journal).run("Hi", { threadId: "t" })).toMatchObject({ text: "From the third." });
    expect(calls).toEqual(["primary", "primary", "secondary"]);
    const events = await readAll(journal, "t");
    const failed = events.filter((e) => e.type === "llm.failed").map((e) => e.data);
    expect(failed).toMatchObject([
      { provider: "primary", model: "primary-1", attempt: 1, willRetry: true },
      { provider: "primary", model: "primary-1", attempt: 2, fallback: true },
      { provider: "secondary", model: "secondary-1", attempt: 3, fallback: true },
    ]);
    expect(failed[0]).not.toHaveProperty("fallback");

    // A process that died right after each failure: the next one goes on from there.
    const expected = [["primary", "secondary"], ["secondary"], []];
    for (const [n, cut] of events.flatMap((e, i) => (e.type === "llm.failed" ? [i] : [])).entries()) {
      const prefix = new MemoryJournal();
      await prefix.append("t", events.slice(0, cut + 1).map(unsealed), -1);
      calls.length = 0;
      expect(await agentOn(prefix).resume("t")).toMatchObject({ text: "From the third." });
      expect(calls, `after failure ${n + 1}`).toEqual(expected[n]);
      const resumed = (await readAll(prefix, "t")).filter((e) => e.type === "llm.completed");
      expect(resumed.at(-1)?.data).toMatchObject({ provider: "third", attempt: 4 });
    }
  });

  it("called directly, it moves on at a failure before any part, and refuses a bad configuration", async () => {
    const parts = await collectParts(
      fallbackProviders([new DownProvider("server_error"), secondary()]),
      userRequest("Hi"),
    );
    expect(parts.at(-1)).toMatchObject({ type: "finish", message: { content: "From the secondary." } });
    expect(() => fallbackProviders([])).toThrow(ConfigError);
    expect(() => fallbackProviders([{} as Provider])).toThrow(/providers\[0\] is not a Provider/);
    const nested = fallbackProviders([fallbackProviders([new DownProvider("overloaded")]), secondary()]);
    expect((nested as unknown as { providers: Provider[] }).providers.map((p) => p.provider)).toEqual([
      "primary",
      "secondary",
    ]);
  });
});
