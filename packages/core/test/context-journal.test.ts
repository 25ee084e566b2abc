import {
  type ContextComponent,
  createAgent,
  dropOldest,
  type Hook,
  type Journal,
  MemoryJournal,
  readAll,
  reconstruct,
  type StoredEvent,
  tool,
} from "@loom/core";
import { ScriptedProvider, type ScriptedTurn } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";

// A component (the system prompt, a document a hook adds) is journaled once, by content address:
// every later request refers to it. The journal stays O(1) per iteration, and a thread rebuilds
// its requests, and explains itself, from the journal alone.

const DOCUMENT = `Loom handbook. ${"Every step is journaled before its effect is visible. ".repeat(40)}`;
const SYSTEM = "You are a careful assistant. Answer briefly.";

const add = tool({
  name: "add",
  description: "Adds two numbers",
  input: z.object({ a: z.number(), b: z.number() }),
  idempotent: true,
  run: ({ a, b }) => String(a + b),
});

function turns(iterations: number): ScriptedTurn[] {
  return [
    ...Array.from({ length: iterations - 1 }, (_, i) => ({
      text: "",
      toolCalls: [{ id: `c${i}`, name: "add", args: { a: i, b: 1 } }],
    })),
    { text: "done" },
  ];
}

/** Adds the handbook to every assembly, as a retrieval hook does. */
const withDocument = (document: string = DOCUMENT, priority = 10): Hook => ({
  name: "rag",
  beforeContextAssembly: ({ components }) => ({
    components: [...components, { id: "handbook", kind: "document", priority, content: document }],
  }),
});

function agentOn(
  journal: Journal,
  iterations: number,
  hooks: Hook[],
  provider = new ScriptedProvider(turns(iterations)),
) {
  return createAgent({
    journal,
    provider,
    tools: [add],
    hooks,
    system: SYSTEM,
    maxIterations: iterations + 1,
  });
}

const bytes = (events: readonly StoredEvent[]) => events.reduce((n, e) => n + JSON.stringify(e).length, 0);

describe("component texts in the journal", () => {
  it("a 200-iteration run with a document hook journals within 1.2x of one without it, plus the document once", async () => {
    const plain = new MemoryJournal();
    await agentOn(plain, 200, []).run("count", { threadId: "t" });
    const withDoc = new MemoryJournal();
    await agentOn(withDoc, 200, [withDocument()]).run("count", { threadId: "t" });
    const plainBytes = bytes(await readAll(plain, "t"));
    const docBytes = bytes(await readAll(withDoc, "t"));
    expect(docBytes).toBeLessThanOrEqual(1.2 * (plainBytes + DOCUMENT.length));
    // The text itself is in the journal's events once; the system prompt too (a snapshot, after
    // 1,000 events, holds the texts the thread keeps, as any state does).
    const serialized = JSON.stringify((await readAll(withDoc, "t")).filter((e) => e.type !== "snapshot"));
    expect(serialized.split("Loom handbook.").length - 1).toBe(1);
    expect(serialized.split(SYSTEM).length - 1).toBe(1);
    // No request journals the whole message list when only components were added.
    const requested = (await readAll(withDoc, "t")).filter((e) => e.type === "llm.requested");
    expect(requested.every((e) => e.type === "llm.requested" && e.data.replacedMessages === undefined)).toBe(
      true,
    );
  });

  it("journals a changed text again, once; an unchanged one never", async () => {
    const journal = new MemoryJournal();
    let version = 1;
    const hook: Hook = {
      name: "rag",
      beforeContextAssembly: ({ components }) => ({
        components: [
          ...components,
          { id: "doc", kind: "document", priority: 10, content: `notes v${version < 3 ? 1 : 2}` },
        ],
      }),
      afterIterationEnd: () => void version++,
    };
    await agentOn(journal, 6, [hook]).run("go", { threadId: "t" });
    const assembled = (await readAll(journal, "t")).filter((e) => e.type === "context.assembled");
    const texts = assembled.flatMap((e) =>
      e.type === "context.assembled" ? e.data.included.flatMap((c) => (c.content ? [c.content] : [])) : [],
    );
    expect(texts).toEqual([SYSTEM, "notes v1", "notes v2"]);
    expect(assembled.every((e) => e.type === "context.assembled" && e.data.system?.length === 2)).toBe(true);
  });

  it("a resumed run sends exactly the request the crashed one sent, documents included, from the journal", async () => {
    const full = new MemoryJournal();
    const original = new ScriptedProvider(turns(4));
    await agentOn(full, 4, [withDocument()], original).run("count", { threadId: "t" });
    const events = await readAll(full, "t");
    // Cut right after each llm.requested: the resumed run makes the call again, rebuilt from the journal.
    const cuts = events.filter((e) => e.type === "llm.requested").map((e) => e.seq);
    expect(cuts).toHaveLength(4);
    for (const [i, cut] of cuts.entries()) {
      const journal = new MemoryJournal();
      await journal.append(
        "t",
        events.slice(0, cut + 1).map(({ threadId: _t, seq: _s, ...e }) => e as never),
        -1,
      );
      const resumed = new ScriptedProvider(turns(4).slice(i));
      // A hook that would now add another text: the resumed call is the journaled one, not a new one.
      const result = await agentOn(journal, 4, [withDocument("a different handbook")], resumed).resume("t");
      expect(result.status).toBe("completed");
      expect(resumed.requests[0]!.messages).toEqual(original.requests[i]!.messages);
    }
  });

  it("reconstruct reproduces every recorded assembly from the journal alone (no system prompt or tool tokens given)", async () => {
    const journal = new MemoryJournal();
    const agent = createAgent({
      journal,
      provider: new ScriptedProvider(turns(12)),
      tools: [add],
      hooks: [withDocument(DOCUMENT, 90)],
      system: SYSTEM,
      maxIterations: 13,
      context: { windowTokens: 800, reservedOutputTokens: 100 },
    });
    await agent.run("count", { threadId: "t" });
    const events = await readAll(journal, "t");
    const { contexts } = await reconstruct(events, { compression: dropOldest() });
    expect(contexts.length).toBe(12);
    const strip = (records: readonly { id: string; tokens: number; range?: readonly number[] }[]) =>
      records.map((r) => ({ id: r.id, tokens: r.tokens, range: r.range }));
    for (const c of contexts) {
      expect(strip(c.assembled.included)).toEqual(strip(c.recorded.included));
      expect(strip(c.assembled.excluded)).toEqual(strip(c.recorded.excluded));
    }
    // The window was small enough that the history was cut at some point.
    expect(contexts.some((c) => c.recorded.excluded.some((r) => r.kind === "history"))).toBe(true);
  });
});

describe("the components a hook sees", () => {
  it("are the ones given: a component's text reaches the model whole", async () => {
    const provider = new ScriptedProvider([{ text: "ok" }]);
    const component: ContextComponent = { id: "d", kind: "document", priority: 80, content: "the doc" };
    const agent = createAgent({
      provider,
      system: SYSTEM,
      hooks: [
        {
          name: "h",
          beforeContextAssembly: ({ components }) => ({ components: [...components, component] }),
        },
      ],
    });
    await agent.run("hi");
    expect(provider.requests[0]!.messages[0]).toEqual({ role: "system", content: `${SYSTEM}\n\nthe doc` });
  });
});
