import {
  createAgent,
  type ExecutionFrame,
  foldAll,
  MemoryJournal,
  readAll,
  type StoredEvent,
} from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { historyWindow } from "../src/compression.js";
import { History } from "../src/history.js";
import type { Message } from "../src/messages.js";
import { snapshotOf } from "../src/snapshot.js";
import { approvingAll, chartTool, PIXEL } from "./helpers.js";
import { type Ledger, scenarios } from "./scenarios.js";

// A snapshot's state is built from each kept message's JSON data, made once per message, and its
// size is summed from its parts: both must be what serializing the whole state would give.

const THREAD = "size-thread";
/** The whole history kept word for word; a window of a few messages (kept from a cut, plus the user messages turns start with). */
const BUDGETS = [1e9, 60, 200];

/** A thread with images in its input and in tool results, quotes and newlines to escape, and turns of several messages. */
async function withAttachments(): Promise<StoredEvent[]> {
  const journal = new MemoryJournal();
  const chart = chartTool((of) => `chart of "${of}"\nattached`);
  const provider = new ScriptedProvider([
    { toolCalls: [{ id: "c1", name: "chart", args: { of: "sales" } }] },
    { text: 'One "chart".\n\tDone — ✓' },
    { toolCalls: [{ id: "c2", name: "chart", args: { of: "costs" } }] },
    { text: "Two charts." },
  ]);
  const agent = createAgent({ journal, provider, tools: [chart], system: 'Draw.\n"Always".' });
  const image = { type: "image" as const, mediaType: "image/png", data: PIXEL };
  await agent.run([{ type: "text", text: 'Chart "sales"' }, image], { threadId: THREAD });
  await agent.run([{ type: "text", text: "Now costs, 𝒳" }, image], { threadId: THREAD });
  return readAll(journal, THREAD);
}

/** A thread whose root has three sub-agent frames, two of them run by one turn. */
async function subAgents(): Promise<StoredEvent[]> {
  const journal = new MemoryJournal();
  const researcher = createAgent({
    name: "researcher",
    journal,
    provider: new ScriptedProvider({ mode: "conversation", turns: [{ text: 'Found "it".' }] }),
  });
  const provider = new ScriptedProvider([
    {
      toolCalls: [
        { id: "r1", name: "researcher", args: { input: "dig" } },
        { id: "r2", name: "researcher", args: { input: "dig deeper" } },
      ],
    },
    { toolCalls: [{ id: "r3", name: "researcher", args: { input: "once more" } }] },
    { text: "Done." },
  ]);
  const agent = createAgent({ journal, provider, tools: [researcher.asTool({ description: "Researches" })] });
  await agent.run("Research", { threadId: THREAD });
  return readAll(journal, THREAD);
}

async function scenarioEvents(index: number): Promise<StoredEvent[]> {
  const scenario = scenarios[index]!;
  const journal = new MemoryJournal();
  const ledger: Ledger = new Map();
  const agent = scenario.make(journal, ledger, { snapshots: false });
  await approvingAll(agent, THREAD, agent.run(scenario.input, { threadId: THREAD }));
  return readAll(journal, THREAD);
}

/** The state of every prefix of `events`. */
function* states(events: StoredEvent[]): Generator<ExecutionFrame> {
  for (let k = 1; k <= events.length; k++) yield foldAll(THREAD, events.slice(0, k));
}

describe("a snapshot's state and size", () => {
  afterEach(() => vi.restoreAllMocks());

  const threads = [
    ...scenarios.map((s, i) => ({ name: s.name, events: () => scenarioEvents(i) })),
    { name: "images in input and tool results", events: withAttachments },
    { name: "three sub-agents", events: subAgents },
  ];
  for (const thread of threads) {
    it(`${thread.name}: at every event, the size is the length of the state's JSON, and the state is plain JSON data`, async () => {
      const events = await thread.events();
      let checked = 0;
      for (const frame of states(events)) {
        for (const budget of BUDGETS) {
          const built = snapshotOf(frame, budget, new Set(frame.contents.keys()));
          if (!built) continue;
          const json = JSON.stringify(built.state);
          expect(built.bytes).toBe(json.length);
          // What a journal reads back: no undefined fields, no class instances, the same order.
          expect(built.state).toStrictEqual(JSON.parse(json));
          checked++;
        }
      }
      expect(checked).toBe(events.length * BUDGETS.length);
    });
  }

  it("has the sub-agents' frames, each with its own history", async () => {
    const frame = foldAll(THREAD, await subAgents());
    const built = snapshotOf(frame, 1e9, new Set())!;
    const children = (built.state as { root: { children: Record<string, { history: { kept: unknown[] } }> } })
      .root.children;
    expect(Object.keys(children)).toHaveLength(3);
    for (const child of Object.values(children)) expect(child.history.kept.length).toBeGreaterThan(1);
  });

  it("keeps an image's data out of the messages it copies, in the state's contents once", async () => {
    const events = await withAttachments();
    const frame = foldAll(THREAD, events);
    const built = snapshotOf(frame, 1e9, new Set())!;
    const json = JSON.stringify(built.state);
    expect(json.split(PIXEL).length - 1).toBe(1);
    // Building it again from the cached copies gives the same.
    expect(JSON.stringify(snapshotOf(frame, 1e9, new Set())!.state)).toBe(json);
  });

  it("serializes a message once for every snapshot that keeps it, not once per snapshot", async () => {
    const events = await scenarioEvents(0);
    const frame = foldAll(THREAD, events);
    const first = snapshotOf(frame, 1e9, new Set())!;
    const stringify = vi.spyOn(JSON, "stringify");
    const second = snapshotOf(frame, 1e9, new Set())!;
    const serialized = stringify.mock.results.reduce(
      (n, r) => n + (typeof r.value === "string" ? r.value.length : 0),
      0,
    );
    stringify.mockRestore();
    expect(second.state).toStrictEqual(first.state);
    const messages = JSON.stringify(
      (first.state as { root: { history: { kept: unknown[] } } }).root.history.kept,
    );
    expect(messages.length).toBeGreaterThan(500);
    // The second snapshot serializes the frame's other fields and the contents, none of its messages.
    expect(serialized).toBeLessThan(JSON.stringify(first.state).length - messages.length + 100);
  });
});

describe("History.derived: a value made once per message", () => {
  it("is shared by every version of a history that holds the message, and not by a branch that replaced it", () => {
    const made: string[] = [];
    const make = (m: Message) => {
      made.push(String(m.content));
      return { of: m.content };
    };
    const base = History.of([
      { role: "user", content: "a" },
      { role: "assistant", content: "b" },
    ]);
    const longer = base.append({ role: "user", content: "c" });
    const first = longer.derived(0, make);
    expect(base.derived(0, make)).toBe(first);
    expect(longer.derived(2, make)).toEqual({ of: "c" });
    // A second append to `base` branches: the message at 2 is another one.
    const branch = base.append({ role: "user", content: "d" });
    expect(branch.derived(2, make)).toEqual({ of: "d" });
    expect(branch.derived(0, make)).toBe(first);
    expect(longer.derived(2, make)).toEqual({ of: "c" });
    expect(made).toEqual(["a", "c", "d"]);
    expect(() => base.derived(5, make)).toThrow(RangeError);
  });

  it("lets go of the values before an index, and makes them again if asked", () => {
    let made = 0;
    const make = (m: Message) => ({ of: m.content, n: made++ });
    const history = History.of([
      { role: "user", content: "a" },
      { role: "assistant", content: "b" },
      { role: "user", content: "c" },
    ]);
    for (let i = 0; i < 3; i++) history.derived(i, make);
    history.forgetDerived(2, [0]);
    expect(history.derived(2, make)).toEqual({ of: "c", n: 2 });
    // Spared, then let go of once it is no longer spared.
    expect(history.derived(0, make)).toEqual({ of: "a", n: 0 });
    expect(history.derived(1, make)).toEqual({ of: "b", n: 3 });
    history.forgetDerived(3);
    expect(history.derived(0, make)).toEqual({ of: "a", n: 4 });
  });

  it("is let go of below a snapshot's window once the snapshot is built", async () => {
    // A chat of four turns: the window of 60 tokens holds the last.
    const journal = new MemoryJournal();
    const answers = [1, 2, 3, 4].map((n) => ({ text: `Answer ${n}: ${"words ".repeat(30)}` }));
    const agent = createAgent({ journal, provider: new ScriptedProvider(answers) });
    for (const n of [1, 2, 3, 4]) await agent.run(`Question ${n}`, { threadId: THREAD });
    const frame = foldAll(THREAD, await readAll(journal, THREAD));
    const history = frame.messages;
    const window = historyWindow(history, 60);
    const before = [...Array(window.from).keys()].filter((i) => !window.also.includes(i));
    expect(before.length).toBeGreaterThan(1);
    // A snapshot of the whole history makes every message's value, one of the window lets go of the older.
    snapshotOf(frame, 1e9, new Set());
    snapshotOf(frame, 60, new Set());
    const made: number[] = [];
    const probe = (index: number) => (m: Message) => {
      made.push(index);
      return { role: m.role, content: m.content };
    };
    for (let i = 0; i < history.length; i++) history.derived(i, probe(i));
    // Made again: the messages before the window but the user messages it keeps, and only those.
    expect(made).toEqual(before);
  });

  it("is let go of in one long run too, whose first user message every snapshot keeps", async () => {
    const journal = new MemoryJournal();
    const turns = [...Array(12).keys()].map((i) => ({
      text: `Step ${i}: ${"words ".repeat(20)}`,
      toolCalls: [{ id: `c${i}`, name: "chart", args: { of: `s${i}` } }],
    }));
    const agent = createAgent({
      journal,
      tools: [chartTool()],
      provider: new ScriptedProvider([...turns, { text: "Done." }]),
    });
    await agent.run("Chart all", { threadId: THREAD });
    const frame = foldAll(THREAD, await readAll(journal, THREAD));
    const history = frame.messages;
    const window = historyWindow(history, 200);
    expect(window.also).toEqual([0]);
    snapshotOf(frame, 1e9, new Set());
    snapshotOf(frame, 200, new Set());
    const made: number[] = [];
    for (let i = 0; i < history.length; i++) {
      history.derived(i, (m) => {
        made.push(i);
        return m;
      });
    }
    expect(made).toEqual([...Array(window.from).keys()].slice(1));
  });
});
