import { createAgent, type EventOfType, type Hook, MemoryJournal, readAll, tool } from "@loom/core";
import { ScriptedProvider, type ScriptedTurn } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";

// Priorities decide across components and the history (priority 50): a component below the
// history's priority gives way before any turn is cut; one above it is kept before the history,
// but never at the cost of the newest exchange, which is always sent.

const add = tool({
  name: "add",
  description: "Adds two numbers",
  input: z.object({ a: z.number(), b: z.number() }),
  idempotent: true,
  run: ({ a, b }) => String(a + b),
});

const turns = (n: number): ScriptedTurn[] => [
  ...Array.from({ length: n - 1 }, (_, i) => ({
    text: `Step ${i}: adding the next pair of numbers now.`,
    toolCalls: [{ id: `c${i}`, name: "add", args: { a: i, b: 1 } }],
  })),
  { text: "done" },
];

const document = (priority: number, words: number): Hook => ({
  name: `doc-${priority}`,
  beforeContextAssembly: ({ components }) => ({
    components: [
      ...components,
      { id: `doc-${priority}`, kind: "document", priority, content: "word ".repeat(words) },
    ],
  }),
});

async function assemblies(hooks: Hook[], windowTokens: number, iterations = 14) {
  const journal = new MemoryJournal();
  await createAgent({
    journal,
    provider: new ScriptedProvider(turns(iterations)),
    tools: [add],
    hooks,
    maxIterations: iterations + 1,
    context: { windowTokens, reservedOutputTokens: 0 },
  }).run("Add the numbers, one pair at a time.", { threadId: "t" });
  return (await readAll(journal, "t")).filter(
    (e): e is EventOfType<"context.assembled"> => e.type === "context.assembled",
  );
}

const historySent = (a: EventOfType<"context.assembled">) =>
  a.data.included.find((c) => c.id === "history")?.range ?? [0, 0];

describe("priorities across components and the history", () => {
  it("a priority-1 document gives way before any history is cut, and says why", async () => {
    const without = await assemblies([], 300);
    const withDoc = await assemblies([document(1, 175)], 300);
    expect(withDoc.map(historySent)).toEqual(without.map(historySent));
    // The history was cut at some point, and from then on the document was left out, named as such.
    const cut = withDoc.filter((a) => historySent(a)[0] > 0);
    expect(cut.length).toBeGreaterThan(0);
    for (const a of cut) {
      const doc = a.data.excluded.find((c) => c.id === "doc-1");
      expect(doc?.reason).toMatch(/priority 1 is below the history's 50: left out before any history is cut/);
    }
    // While the whole history fitted beside it, it was sent.
    expect(withDoc[0]!.data.included.some((c) => c.id === "doc-1")).toBe(true);
  });

  it("a priority-90 document is kept while the history is cut for it", async () => {
    const without = await assemblies([], 300);
    const withDoc = await assemblies([document(90, 100)], 300);
    expect(withDoc.every((a) => a.data.included.some((c) => c.id === "doc-90"))).toBe(true);
    const last = withDoc.length - 1;
    expect(historySent(withDoc[last]!)[0]).toBeGreaterThan(historySent(without[last]!)[0]);
  });

  it("never gives the newest exchange away, even to a priority-100 document", async () => {
    const huge = await assemblies([document(100, 2_000)], 300, 4);
    for (const a of huge) {
      expect(a.data.included.some((c) => c.id === "history")).toBe(true);
      const doc = a.data.excluded.find((c) => c.id === "doc-100");
      expect(doc?.reason).toMatch(/once the newest exchange \(\d+ tokens\) is kept/);
    }
  });
});
