import {
  ConfigError,
  createAgent,
  loadThread,
  MemoryJournal,
  type ModelRequest,
  type Provider,
  type ProviderStreamPart,
  RunFailedError,
  type RunResult,
  readAll,
  tool,
} from "@loom/core";
import { HITLHook } from "@loom/hooks";
import { ScriptedProvider } from "@loom/testing";
import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";

const Weather = z.object({ city: z.string(), celsius: z.number() });
const good = '{"city":"Lisbon","celsius":21}';

const scripted = (...texts: string[]) =>
  new ScriptedProvider({ turns: texts.map((text) => ({ text })), mode: "conversation" });

describe("createAgent({ output })", () => {
  it("returns the final answer parsed and typed; the schema goes to the provider and, without native support, into the system prompt", async () => {
    const provider = scripted(good);
    const agent = createAgent({ provider, output: Weather, system: "Be brief." });
    const result = await agent.run("Weather in Lisbon?");
    expectTypeOf(result).toEqualTypeOf<RunResult<{ city: string; celsius: number }>>();
    if (result.status !== "completed" || result.refusal !== undefined) throw new Error("not completed");
    expectTypeOf(result.output).toEqualTypeOf<{ city: string; celsius: number }>();
    expect(result.output).toEqual({ city: "Lisbon", celsius: 21 });
    const request = provider.requests[0]!;
    expect(request.settings.responseFormat).toMatchObject({
      type: "json",
      name: "agent",
      schema: { type: "object", required: ["city", "celsius"], additionalProperties: false },
    });
    const system = request.messages[0];
    expect(system?.role === "system" && system.content).toMatch(
      /^Be brief\.\n\nGive your final answer as one JSON value.*\n\{"type":"object"/s,
    );
  });

  it("an agent without output has output undefined (typed so)", async () => {
    const result = await createAgent({ provider: scripted("hi") }).run("Hi");
    expectTypeOf(result.status === "completed" ? result.output : undefined).toEqualTypeOf<undefined>();
    expect(result.status === "completed" && result.output).toBeUndefined();
  });

  it("an answer that fails the schema is fed back (output.rejected), and the next one is returned", async () => {
    const provider = scripted('```json\n{"city":"Lisbon"}\n```', "not json", good);
    const journal = new MemoryJournal();
    const result = await createAgent({ provider, output: Weather, journal }).run("Weather?", {
      threadId: "t",
    });
    expect(result.status === "completed" && result.output).toEqual({ city: "Lisbon", celsius: 21 });
    const events = await readAll(journal, "t");
    const rejected = events.filter((e) => e.type === "output.rejected");
    expect(rejected.map((e) => e.data.attempt)).toEqual([1, 2]);
    expect(rejected[0]?.data.message).toContain(
      "- celsius: Invalid input: expected number, received undefined",
    );
    expect(rejected[1]?.data.message).toMatch(/^Your answer is not valid JSON/);
    // The model saw its answer and what was wrong with it.
    const third = provider.requests[2]!.messages.slice(-4);
    expect(third.map((m) => m.role)).toEqual(["assistant", "user", "assistant", "user"]);
    expect(third[3]?.content).toBe(rejected[1]?.data.message);
  });

  it("at the limit the run fails with invalid_output, journaled", async () => {
    const provider = scripted("{}", "{}", "{}");
    const journal = new MemoryJournal();
    const agent = createAgent({ provider, output: Weather, journal, outputRetries: 1 });
    const error = await agent.run("Weather?", { threadId: "t" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunFailedError);
    expect((error as RunFailedError).code).toBe("invalid_output");
    expect(provider.requests).toHaveLength(2);
    const events = await readAll(journal, "t");
    expect(events.at(-1)).toMatchObject({ type: "run.failed", data: { error: { code: "invalid_output" } } });
  });

  it("resume from every prefix of a run with rejections: the same typed value, and a completed thread calls nothing", async () => {
    const texts = ["{}", good];
    const journal = new MemoryJournal();
    await createAgent({ provider: scripted(...texts), output: Weather, journal }).run("Weather?", {
      threadId: "t",
    });
    const events = await readAll(journal, "t");
    expect(events.some((e) => e.type === "output.rejected")).toBe(true);
    for (let cut = 1; cut <= events.length; cut++) {
      const prefix = new MemoryJournal();
      await prefix.append(
        "t",
        events.slice(0, cut).map(({ seq: _seq, ...e }) => e),
        -1,
      );
      const provider = scripted(...texts);
      const resumed = await createAgent({ provider, output: Weather, journal: prefix }).resume("t");
      expect(resumed.status === "completed" && resumed.output, `cut ${cut}`).toEqual({
        city: "Lisbon",
        celsius: 21,
      });
      if (cut === events.length) expect(provider.requests).toHaveLength(0);
      const after = await readAll(prefix, "t");
      expect(
        after.filter((e) => e.type === "output.rejected"),
        `cut ${cut}`,
      ).toHaveLength(1);
    }
  });

  it("a provider with native structured output gets no prompt for JSON", async () => {
    const provider = scripted(good);
    const native: Provider = {
      specificationVersion: "v1",
      provider: "native",
      modelId: "n",
      nativeStructuredOutput: true,
      doStream: (request: ModelRequest, options) => provider.doStream(request, options),
    };
    await createAgent({ provider: native, output: Weather, system: "Be brief." }).run("Weather?");
    expect(provider.requests[0]?.messages[0]).toEqual({ role: "system", content: "Be brief." });
  });

  it("a refusal is not checked against the schema: result.refusal, no output", async () => {
    const refusing: Provider = {
      specificationVersion: "v1",
      provider: "r",
      modelId: "r",
      async *doStream(): AsyncIterable<ProviderStreamPart> {
        yield {
          type: "finish",
          message: { role: "assistant", content: "", refusal: "No." },
          usage: { inputTokens: 1, outputTokens: 1 },
          finishReason: { unified: "refusal" },
        };
      },
    };
    const result = await createAgent({ provider: refusing, output: Weather }).run("Weather?");
    expect(result).toMatchObject({ status: "completed", refusal: "No.", output: undefined });
  });

  it("a resumed thread whose answer no longer fits a changed schema is a typed error", async () => {
    const journal = new MemoryJournal();
    await createAgent({ provider: scripted(good), output: Weather, journal }).run("W?", { threadId: "t" });
    const changed = z.object({ town: z.string() });
    const error = await createAgent({ provider: scripted(), output: changed, journal })
      .resume("t")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunFailedError);
    expect((error as RunFailedError).code).toBe("invalid_output");
  });

  it("output must be a zod schema", () => {
    expect(() => createAgent({ provider: scripted(), output: { type: "object" } as never })).toThrow(
      ConfigError,
    );
  });
});

describe("run(input, { output })", () => {
  const Town = z.object({ town: z.string() });

  it("types and checks one run's answer by its own schema, in place of the agent's; the next run uses the agent's again", async () => {
    const provider = scripted(good, '{"town":"Porto"}', good);
    const journal = new MemoryJournal();
    const agent = createAgent({ provider, output: Weather, journal, system: "Be brief." });
    await agent.run("Weather?", { threadId: "t" });
    const town = await agent.run("Which town?", { threadId: "t", output: Town });
    expectTypeOf(town).toEqualTypeOf<RunResult<{ town: string }>>();
    if (town.status !== "completed" || town.refusal !== undefined) throw new Error("not completed");
    expect(town.output).toEqual({ town: "Porto" });
    const again = await agent.run("And the weather?", { threadId: "t" });
    expect(again.status === "completed" && again.output).toEqual({ city: "Lisbon", celsius: 21 });

    const [first, second, third] = provider.requests;
    expect(second!.settings.responseFormat).toMatchObject({ schema: { required: ["town"] } });
    expect(first!.settings.responseFormat).toMatchObject({ schema: { required: ["city", "celsius"] } });
    expect(third!.settings.responseFormat).toEqual(first!.settings.responseFormat);
    const system = (r: ModelRequest) => (r.messages[0]?.role === "system" ? r.messages[0].content : "");
    expect(system(second!)).toMatch(/^Be brief\.\n\nGive your final answer as one JSON value.*"town"/s);
    expect(system(second!)).not.toContain("celsius");
  });

  it("gives an agent without output a typed answer for one run, fed back when it fails the schema", async () => {
    const provider = scripted('{"town":1}', '{"town":"Faro"}');
    const journal = new MemoryJournal();
    const result = await createAgent({ provider, journal }).run("Town?", { threadId: "t", output: Town });
    expect(result.status === "completed" && result.output).toEqual({ town: "Faro" });
    const rejected = (await readAll(journal, "t")).filter((e) => e.type === "output.rejected");
    expect(rejected).toHaveLength(1);
  });

  it("an unfinished run started with an output schema is not resumed without one: a ConfigError naming it, before anything runs", async () => {
    const journal = new MemoryJournal();
    const lookup = tool({
      name: "lookup",
      description: "Looks a town up",
      input: z.object({ q: z.string() }),
      run: () => "Faro",
    });
    const turns = () =>
      new ScriptedProvider({
        mode: "conversation",
        turns: [
          { toolCalls: [{ id: "l", name: "lookup", args: { q: "south" } }] },
          { text: '{"town":"Faro"}' },
        ],
      });
    const paused = await createAgent({
      provider: turns(),
      journal,
      tools: [lookup],
      hooks: [HITLHook({ tools: ["lookup"] })],
    }).run("Town?", { threadId: "t", output: Town });
    expect(paused.status).toBe("interrupted");
    const started = (await readAll(journal, "t")).find((e) => e.type === "run.started");
    expect(started?.type === "run.started" && started.data.output).toEqual({
      name: "agent",
      hash: expect.stringMatching(/^[0-9a-f]{32}$/),
    });

    // Another process, without the schema: refused, and nothing more is journaled or called.
    const head = await journal.head("t");
    const provider = turns();
    const agent = createAgent({ provider, journal, tools: [lookup] });
    const refused = await agent.resume("t", { decisions: { l: { approve: true } } }).catch((e: unknown) => e);
    expect(ConfigError.isInstance(refused)).toBe(true);
    expect((refused as Error).message).toMatch(
      /^resume\("t"\): its run was started with an output schema \("agent"\), and none was given now\. Pass it again, as resume\("t", \{ output \}\)/,
    );
    expect(await journal.head("t")).toBe(head);
    expect(provider.requests).toHaveLength(0);

    // With it: the run finishes, typed, asking for the same JSON.
    const resumed = await agent.resume("t", { decisions: { l: { approve: true } }, output: Town });
    expect(resumed.status === "completed" && resumed.output).toEqual({ town: "Faro" });
    expect(provider.requests.at(-1)!.settings.responseFormat?.name).toBe("agent");
    // The agent's own output option is as good as the run's.
    const withAgentOutput = await createAgent({ provider: turns(), journal, output: Town }).run("Again?", {
      threadId: "u",
    });
    expect(withAgentOutput.status).toBe("completed");
  });

  it("a resume with a changed schema goes on with it and says so: run.resumed journals the new one, and the fold keeps it", async () => {
    const journal = new MemoryJournal();
    const lookup = tool({
      name: "lookup",
      description: "Looks a town up",
      input: z.object({ q: z.string() }),
      run: () => "Faro",
    });
    const turns = (answer: string) =>
      new ScriptedProvider({
        mode: "conversation",
        turns: [{ toolCalls: [{ id: "l", name: "lookup", args: { q: "south" } }] }, { text: answer }],
      });
    const hitl = [HITLHook({ tools: ["lookup"] })];
    await createAgent({ provider: turns("{}"), journal, tools: [lookup], hooks: hitl }).run("Town?", {
      threadId: "t",
      output: Town,
    });
    const before = (await readAll(journal, "t")).find((e) => e.type === "run.started");
    const TownWithRegion = z.object({ town: z.string(), region: z.string() });
    const agent = createAgent({
      provider: turns('{"town":"Faro","region":"Algarve"}'),
      journal,
      tools: [lookup],
    });
    const resumed = await agent.resume("t", {
      decisions: { l: { approve: true } },
      output: TownWithRegion,
    });
    expect(resumed.status === "completed" && resumed.output).toEqual({ town: "Faro", region: "Algarve" });
    const events = await readAll(journal, "t");
    const resumedEvent = events.find((e) => e.type === "run.resumed");
    const output = resumedEvent?.type === "run.resumed" ? resumedEvent.data.output : undefined;
    expect(output).toEqual({ name: "agent", hash: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(before?.type === "run.started" && before.data.output?.hash).not.toBe(output?.hash);
    expect((await loadThread(journal, "t")).runOutput).toEqual(output);

    // The same schema again: nothing to say.
    await createAgent({ provider: turns("{}"), journal, tools: [lookup], hooks: hitl }).run("Again?", {
      threadId: "u",
      output: Town,
    });
    await createAgent({ provider: turns('{"town":"Faro"}'), journal, tools: [lookup] }).resume("u", {
      decisions: { l: { approve: true } },
      output: Town,
    });
    const again = (await readAll(journal, "u")).find((e) => e.type === "run.resumed");
    expect(again?.type === "run.resumed" && "output" in again.data).toBe(false);
  });

  it("the schema's name survives a snapshot: a resume from one without the schema is refused too", async () => {
    const journal = new MemoryJournal();
    const lookup = tool({
      name: "lookup",
      description: "d",
      input: z.object({ n: z.number() }),
      run: ({ n }) => `town ${n}`,
    });
    const calls = Array.from({ length: 6 }, (_, i) => ({
      toolCalls: [{ id: `c${i}`, name: "lookup", args: { n: i * 7919 } }],
    }));
    const paused = await createAgent({
      provider: new ScriptedProvider({
        mode: "conversation",
        turns: [...calls, { text: '{"town":"Faro"}' }],
      }),
      journal,
      tools: [lookup],
      snapshots: { everyEvents: 2, sizeRatio: 1e9 },
      hooks: [HITLHook({ tools: (call) => call.callId === "c5" })],
    }).run("Town?", { threadId: "t", output: Town });
    expect(paused.status).toBe("interrupted");
    const events = await readAll(journal, "t");
    const snapshot = events.findLast((e) => e.type === "snapshot");
    expect(snapshot).toBeDefined();
    expect(events.findIndex((e) => e.type === "run.started")).toBeLessThan(snapshot!.seq);
    const refused = await createAgent({ provider: scripted(), journal, tools: [lookup] })
      .resume("t", { decisions: { c5: { approve: true } } })
      .catch((e: unknown) => e);
    expect(ConfigError.isInstance(refused)).toBe(true);
  });

  it("a run without an output schema journals none, and resumes as before", async () => {
    const journal = new MemoryJournal();
    await createAgent({ provider: scripted("plain"), journal }).run("Hi", { threadId: "t" });
    const started = (await readAll(journal, "t")).find((e) => e.type === "run.started");
    expect(started?.type === "run.started" && started.data.output).toBeUndefined();
  });

  it("a resume takes the run's schema again (only its name and hash are journaled)", async () => {
    const journal = new MemoryJournal();
    await createAgent({ provider: scripted('{"town":"Faro"}'), journal }).run("Town?", {
      threadId: "t",
      output: Town,
    });
    const resumed = await createAgent({ provider: scripted(), journal }).resume("t", { output: Town });
    expectTypeOf(resumed).toEqualTypeOf<RunResult<{ town: string }>>();
    expect(resumed.status === "completed" && resumed.output).toEqual({ town: "Faro" });
    const plain = await createAgent({ provider: scripted(), journal }).resume("t");
    expect(plain.status === "completed" && plain.output).toBeUndefined();
  });

  it("a run's output must be a zod schema with a JSON Schema form: a ConfigError naming the option, before anything runs", async () => {
    const provider = scripted(good);
    const journal = new MemoryJournal();
    const agent = createAgent({ provider, journal });
    // Thrown by the call, as a bad thread id is.
    expect(() => agent.run("Hi", { threadId: "t", output: { type: "object" } as never })).toThrow(
      /^run\(input, \{ output \}\) must be a zod schema/,
    );
    expect(() => agent.resume("t", { output: z.string().transform(() => new Date()) })).toThrow(ConfigError);
    expect(provider.requests).toHaveLength(0);
    expect(await journal.head("t")).toBe(-1);
  });
});
