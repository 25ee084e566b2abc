import {
  createAgent,
  type Journal,
  JournalError,
  MemoryJournal,
  readAll,
  type StoredEvent,
  tool,
  watchThread,
} from "@loom/core";
import { plainJournal, ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";

/** The journal without its `subscribe`: what a third-party journal without one looks like. */
function withoutSubscribe(journal: MemoryJournal): Journal {
  return plainJournal(journal, "acquire");
}

/** Takes events from `source` until `done` says so, then aborts the watch. */
async function take(
  source: (signal: AbortSignal) => AsyncIterable<StoredEvent>,
  done: (seen: StoredEvent[]) => boolean,
): Promise<StoredEvent[]> {
  const controller = new AbortController();
  const seen: StoredEvent[] = [];
  for await (const event of source(controller.signal)) {
    seen.push(event);
    if (done(seen)) controller.abort();
  }
  return seen;
}

function slowAgent(journal: Journal, steps: number) {
  const wait = tool({
    name: "wait",
    description: "waits a little",
    input: z.object({ n: z.number() }),
    run: async ({ n }) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return `waited ${n}`;
    },
  });
  return createAgent({
    journal,
    tools: [wait],
    maxIterations: steps + 2,
    provider: new ScriptedProvider([
      ...Array.from({ length: steps }, (_, i) => ({
        toolCalls: [{ id: `c${i}`, name: "wait", args: { n: i } }],
      })),
      { text: "done" },
    ]),
  });
}

for (const [name, wrap] of [
  ["MemoryJournal.subscribe", (j: MemoryJournal): Journal => j],
  ["the polling fallback", withoutSubscribe],
] as const) {
  describe(`watchThread through ${name}`, () => {
    it("delivers a live run's events, each once and in seq order, as they are journaled", async () => {
      const memory = new MemoryJournal();
      const journal = wrap(memory);
      const watching = take(
        (signal) => watchThread(journal, "live", { signal, pollIntervalMs: 5 }),
        (seen) => seen.at(-1)?.type === "run.completed",
      );
      const result = await slowAgent(journal, 5).run("go", { threadId: "live" });
      expect(result.status).toBe("completed");
      const seen = await watching;
      const journaled = await readAll(memory, "live");
      expect(seen.map((e) => e.seq)).toEqual(journaled.map((e) => e.seq));
      expect(seen).toEqual(journaled);
    });

    it("starts at fromSeq: a client reconnecting with its last seq + 1 misses nothing and sees nothing twice", async () => {
      const memory = new MemoryJournal();
      const journal = wrap(memory);
      await slowAgent(journal, 3).run("go", { threadId: "t" });
      const all = await readAll(memory, "t");
      for (const cut of [0, 1, 7, all.length - 1, all.length]) {
        const first = all.slice(0, cut);
        const rest =
          cut === all.length
            ? []
            : await take(
                (signal) => watchThread(journal, "t", { fromSeq: cut, signal, pollIntervalMs: 5 }),
                (seen) => seen.at(-1)!.seq === all.length - 1,
              );
        expect([...first, ...rest]).toEqual(all);
      }
    });

    it("ends when the signal aborts while waiting, and when the journal closes", async () => {
      const memory = new MemoryJournal();
      const journal = wrap(memory);
      const controller = new AbortController();
      const seen: StoredEvent[] = [];
      const watching = (async () => {
        for await (const event of watchThread(journal, "quiet", {
          signal: controller.signal,
          pollIntervalMs: 5,
        }))
          seen.push(event);
      })();
      await new Promise((resolve) => setTimeout(resolve, 20));
      controller.abort();
      await watching;
      expect(seen).toEqual([]);

      const open = (async () => {
        for await (const event of watchThread(journal, "quiet", { pollIntervalMs: 5 })) seen.push(event);
      })();
      await new Promise((resolve) => setTimeout(resolve, 20));
      await journal.close();
      await open;
      expect(seen).toEqual([]);
    });

    it("refuses a negative or fractional fromSeq with a typed error", async () => {
      const journal = wrap(new MemoryJournal());
      for (const fromSeq of [-1, 1.5]) {
        const error = await (async () => {
          for await (const _ of watchThread(journal, "t", { fromSeq })) break;
        })().catch((e: unknown) => e);
        expect(JournalError.isInstance(error) && error.code).toBe("invalid_range");
      }
    });
  });
}
