import {
  createAgent,
  History,
  keepLastTurns,
  MemoryJournal,
  type Message,
  readAll,
  reconstruct,
  summarizeOlderTurns,
  type Tokenizer,
} from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { eventsOf } from "./helpers.js";

/** One token a word: easy to reason about in assertions. */
const words: Tokenizer = {
  name: "words",
  count: (text) => (text.trim() === "" ? 0 : text.trim().split(/\s+/).length),
};

async function chat(turns: number, options: Parameters<typeof createAgent>[0]) {
  for (let i = 0; i < turns; i++)
    await createAgent(options).run(`question ${i} ${"word ".repeat(20)}`, { threadId: "c" });
}

describe("tokenizers", () => {
  it("counts every message once, with the configured tokenizer, and sums ranges in O(1)", () => {
    let calls = 0;
    const counting: Tokenizer = {
      name: "counting",
      count: (t) => {
        calls++;
        return words.count(t);
      },
    };
    let history = History.empty(counting);
    const messages: Message[] = [
      { role: "user", content: "one two three" },
      { role: "assistant", content: "four five" },
    ];
    for (const m of messages) history = history.append(m);
    const before = calls;
    expect(history.tokens()).toBe(3 + 4 + 2 + 4);
    expect(history.tokens(1)).toBe(6);
    expect(calls).toBe(before);
    // Appending to an older version leaves the newer one intact (persistence).
    const branch = History.of([messages[0]!], counting).append({ role: "user", content: "x" });
    expect(branch.length).toBe(2);
    expect(history.at(1)).toEqual(messages[1]);
  });

  it("finds where each turn starts, as a scan would, in every version of a history (branched, restored)", () => {
    const roles = [
      "user",
      "assistant",
      "tool",
      "tool",
      "assistant",
      "user",
      "assistant",
      "user",
      "tool",
    ] as const;
    const message = (role: (typeof roles)[number], i: number): Message =>
      role === "tool" ? { role, content: `r${i}`, callId: `c${i}`, name: "t" } : { role, content: `m${i}` };
    const scanned = (history: History, index: number) => {
      for (let i = Math.min(index, history.length - 1); i >= 0; i--)
        if (history.roleAt(i) === "user") return i;
      return -1;
    };
    const fromEnd = (history: History, n: number) => {
      let seen = 0;
      for (let i = history.length - 1; i >= 0; i--)
        if (history.roleAt(i) === "user" && ++seen === n) return i;
      return -1;
    };
    const versions: History[] = [History.empty(words)];
    for (let i = 0; i < 40; i++) {
      // Append to the newest version, or (every third step) to an older one: a branch.
      const base = i % 3 === 2 ? versions[Math.floor(versions.length / 2)]! : versions.at(-1)!;
      versions.push(base.append(message(roles[(i * 7) % roles.length]!, i)));
    }
    const last = versions.at(-1)!;
    const outline = {
      roles: Array.from({ length: last.length }, (_, i) => last.roleAt(i)!),
      tokens: Array.from({ length: last.length }, (_, i) => last.tokensAt(i)),
      messages: new Map([[last.length - 1, last.at(-1)!]]),
    };
    versions.push(History.restore(outline, words, async () => last.toArray()));
    let users = 0;
    for (const history of versions) {
      for (let index = -2; index <= history.length + 1; index++) {
        expect(history.lastUserAtOrBefore(index)).toBe(scanned(history, index));
      }
      for (let n = 0; n <= history.length + 1; n++) expect(history.userFromEnd(n)).toBe(fromEnd(history, n));
      users += history.userFromEnd(1) >= 0 ? 1 : 0;
    }
    // The versions hold user messages at all, and branches that dropped some.
    expect(users).toBeGreaterThan(30);
  });
});

describe("compression strategies", () => {
  it("keepLastTurns sends only the last N turns and journals compression.applied", async () => {
    const journal = new MemoryJournal();
    const provider = new ScriptedProvider({ mode: "conversation", turns: Array(4).fill({ text: "answer" }) });
    await chat(4, { journal, provider, compression: keepLastTurns(2), tokenizer: words });
    const last = provider.requests.at(-1)!.messages;
    expect(last.map((m) => m.content.split(" ").slice(0, 2).join(" "))).toEqual([
      "question 2",
      "answer",
      "question 3",
    ]);
    const applied = await eventsOf(journal, "c", "compression.applied");
    expect(applied.at(-1)!.data).toMatchObject({ strategy: "keep-last-2-turns", keepFrom: 4 });
  });

  it("summarizeOlderTurns replaces old turns with a model's summary, journaled so resume never asks again", async () => {
    const journal = new MemoryJournal();
    const summarizer = new ScriptedProvider([
      { text: "The user asked questions 0 and 1." },
      { text: "The user asked questions 0 to 2." },
    ]);
    const main = new ScriptedProvider({ mode: "conversation", turns: Array(4).fill({ text: "answer" }) });
    const options = {
      journal,
      provider: main,
      tokenizer: words,
      context: { windowTokens: 80, reservedOutputTokens: 10 },
      compression: summarizeOlderTurns({ provider: summarizer, keepTurns: 1 }),
    };
    await chat(4, options);
    const sent = main.requests.at(-1)!.messages;
    expect(sent[0]).toEqual({
      role: "system",
      content: "Summary of the earlier conversation:\nThe user asked questions 0 to 2.",
    });
    expect(sent.slice(1).map((m) => m.role)).toEqual(["user"]);
    const applied = (await eventsOf(journal, "c", "compression.applied")).at(-1)!;
    expect(applied.data.prefix?.[0]?.content).toContain("questions 0 to 2");
    // Once per run that overflowed (runs 3 and 4), never again for the same history.
    expect(summarizer.requests).toHaveLength(2);
    const resumed = await createAgent(options).resume("c");
    expect(resumed.status).toBe("completed");
    expect(summarizer.requests).toHaveLength(2);
  });
});

describe("reconstruct", () => {
  it("replays a thread under a strategy it never ran with, calling no model or tool", async () => {
    const journal = new MemoryJournal();
    const provider = new ScriptedProvider({ mode: "conversation", turns: Array(5).fill({ text: "answer" }) });
    await chat(5, { journal, provider, tokenizer: words });
    const events = await readAll(journal, "c");
    expect(events.some((e) => e.type === "compression.applied")).toBe(false);
    let progress = 0;
    const { frame, contexts } = await reconstruct(events, {
      compression: keepLastTurns(1),
      tokenizer: words,
      onProgress: (n) => (progress = n),
    });
    expect(progress).toBe(events.length);
    expect(frame.messages.length).toBe(10);
    expect(contexts).toHaveLength(5);
    for (const [i, c] of contexts.entries()) {
      expect(c.recorded.excluded).toEqual([]);
      expect(c.assembled.historyFrom).toBe(2 * i);
      expect(c.assembled.messages).toHaveLength(1);
      if (i > 0)
        expect(c.assembled.compression).toMatchObject({ strategy: "keep-last-1-turns", keepFrom: 2 * i });
    }
    expect(provider.requests).toHaveLength(5);
  });
});
