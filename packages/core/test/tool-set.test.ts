import {
  ConfigError,
  createAgent,
  MemoryJournal,
  type Provider,
  readAll,
  type StoredEvent,
  type Tool,
  ToolSet,
  tool,
} from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";

const named = (name: string, run: () => string = () => `${name} ran`): Tool =>
  tool({ name, description: `the ${name} tool`, input: z.object({}), run });

/** The tools each model request offered, as journaled in `llm.requested`. */
function offered(events: readonly StoredEvent[]): string[][] {
  return events.flatMap((e) => (e.type === "llm.requested" ? [e.data.tools] : []));
}

/** The tokens of the tools component in each `context.assembled`. */
function toolTokens(events: readonly StoredEvent[]): number[] {
  return events.flatMap((e) =>
    e.type === "context.assembled" ? [e.data.included.find((c) => c.kind === "tools")?.tokens ?? 0] : [],
  );
}

describe("ToolSet", () => {
  it("offers the tools the set holds at each request: a tool added by a call is offered, and run, next iteration", async () => {
    const set = new ToolSet();
    const secret = named("secret", () => "the secret is 42");
    set.add(
      named("unlock", () => {
        set.add(secret);
        return "unlocked";
      }),
    );
    const provider = new ScriptedProvider([
      { toolCalls: [{ id: "u", name: "unlock", args: {} }] },
      { toolCalls: [{ id: "s", name: "secret", args: {} }] },
      { text: "It is 42." },
    ]);
    const journal = new MemoryJournal();
    const lookup = named("lookup");
    const agent = createAgent({ journal, provider, tools: [lookup, set] });
    expect(agent.tools.map((t) => t.name)).toEqual(["lookup", "unlock"]);
    const result = await agent.run("find the secret", { threadId: "t" });
    expect(result.status === "completed" && result.text).toBe("It is 42.");
    const events = await readAll(journal, "t");
    expect(offered(events)).toEqual([
      ["lookup", "unlock"],
      ["lookup", "unlock", "secret"],
      ["lookup", "unlock", "secret"],
    ]);
    expect(provider.requests.map((r) => r.tools.map((t) => t.name))).toEqual(offered(events));
    const [before, after] = toolTokens(events);
    expect(after!).toBeGreaterThan(before!);
    const secretResult = events.find((e) => e.type === "tool.completed" && e.data.name === "secret");
    expect(secretResult?.type === "tool.completed" && secretResult.data.content).toBe("the secret is 42");
    expect(agent.tools.map((t) => t.name)).toEqual(["lookup", "unlock", "secret"]);
  });

  it("waits for an update under way before the next request: a list read again after a call is the one offered", async () => {
    const set = new ToolSet();
    set.add(
      named("refresh", () => {
        // As an MCP server's list is read again once it says it changed: later than the call's result.
        set.updating(new Promise((resolve) => setTimeout(resolve, 50)).then(() => set.add(named("fresh"))));
        set.updating(Promise.reject(new Error("an update that failed is the updater's to report")));
        return "refreshing";
      }),
    );
    const journal = new MemoryJournal();
    const provider = new ScriptedProvider([
      { toolCalls: [{ id: "r", name: "refresh", args: {} }] },
      { toolCalls: [{ id: "f", name: "fresh", args: {} }] },
      { text: "ok" },
    ]);
    expect((await createAgent({ journal, provider, tools: set }).run("go", { threadId: "t" })).status).toBe(
      "completed",
    );
    const events = await readAll(journal, "t");
    expect(offered(events)[1]).toEqual(["refresh", "fresh"]);
    const fresh = events.find((e) => e.type === "tool.completed" && e.data.name === "fresh");
    expect(fresh?.type === "tool.completed" && fresh.data.content).toBe("fresh ran");
    expect(set.settled()).toBeUndefined();
  });

  it("answers a call to a tool removed after the request with unknown_tool, and runs nothing", async () => {
    let ran = 0;
    const set = new ToolSet([named("charge", () => `charged ${++ran}`)]);
    const scripted = new ScriptedProvider([
      { toolCalls: [{ id: "c", name: "charge", args: {} }] },
      { text: "Could not charge." },
    ]);
    // The tool goes away while the model answers (a server said its list changed).
    const provider: Provider = {
      specificationVersion: "v1",
      provider: scripted.provider,
      modelId: scripted.modelId,
      doStream: (request, options) => {
        set.remove("charge");
        return scripted.doStream(request, options);
      },
    };
    const journal = new MemoryJournal();
    const result = await createAgent({ journal, provider, tools: set }).run("charge me", { threadId: "t" });
    expect(result.status).toBe("completed");
    expect(ran).toBe(0);
    const completed = (await readAll(journal, "t")).find((e) => e.type === "tool.completed");
    expect(completed?.type === "tool.completed" && completed.data.error?.code).toBe("unknown_tool");
    expect(offered(await readAll(journal, "t"))).toEqual([["charge"], []]);
  });

  it("fails the run with a ConfigError when a change gives two of the agent's tools one name", async () => {
    const set = new ToolSet([named("other")]);
    const agent = createAgent({
      journal: new MemoryJournal(),
      provider: new ScriptedProvider([{ text: "never asked" }]),
      tools: [named("lookup"), set],
    });
    set.add(named("lookup"));
    const error = await agent.run("go", { threadId: "t" }).catch((e: unknown) => e);
    expect(ConfigError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(
      'a ToolSet of this agent changed: two tools are named "lookup"',
    );
    set.remove("lookup");
    expect((await agent.run("go", { threadId: "t2" })).status).toBe("completed");
  });

  it("refuses a bad change whole: a duplicate name, an entry not made with tool(), a list that is not one", () => {
    const set = new ToolSet([named("a")]);
    expect(() => set.add(named("b"), named("a"))).toThrow(/two tools are named "a"/);
    expect(() => set.replace([{ name: "x" } as unknown as Tool])).toThrow(/must be made with tool/);
    expect(() => set.replace("a" as unknown as Tool[])).toThrow(/expected a list of tools/);
    expect(() => new ToolSet([named("a"), named("a")])).toThrow(ConfigError);
    expect(set.list().map((t) => t.name)).toEqual(["a"]);
    expect(set.revision).toBe(0);
    set.add(named("b"));
    expect(set.remove("zzz")).toBe(false);
    expect(set.remove("a")).toBe(true);
    expect(set.revision).toBe(2);
    expect([set.size, set.get("b")?.name, set.get("a")]).toEqual([1, "b", undefined]);
    expect(ToolSet.isInstance(set)).toBe(true);
    expect(ToolSet.isInstance({ list: () => [] })).toBe(false);
  });
});
