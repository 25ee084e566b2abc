import {
  ConfigError,
  createAgent,
  MemoryJournal,
  type NewEvent,
  readAll,
  type ToolDefinition,
  tool,
} from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { types, unsealed } from "./helpers.js";

/** A journal whose appends land (become durable) only when the test lets them. */
class GatedJournal extends MemoryJournal {
  readonly held: { types: string[]; land: () => void }[] = [];

  override append(threadId: string, events: readonly NewEvent[], expectedSeq: number) {
    return new Promise<void>((land) => {
      this.held.push({ types: events.map((e) => e.type), land });
    }).then(() => super.append(threadId, events, expectedSeq));
  }

  /** Lets the oldest held append land. */
  landNext(): string[] {
    const next = this.held.shift();
    if (!next) throw new Error("no append is held");
    next.land();
    return next.types;
  }
}

/** Lets the event loop run until nothing more happens without an append landing. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

function counting(definition: Omit<ToolDefinition<{ path: string }, string>, "input" | "run">) {
  const runs: string[] = [];
  const made = tool({
    ...definition,
    input: z.object({ path: z.string() }),
    run: ({ path }) => {
      runs.push(path);
      return `${definition.name} ${path}`;
    },
  });
  return { tool: made, runs };
}

const call = (name: string, path: string) => ({ name, args: { path } });

describe("read-only tools (ADR 0015)", () => {
  it("run while their start is written, one write behind at most", async () => {
    const journal = new GatedJournal();
    const read = counting({ name: "read_file", description: "Reads a file", readOnly: true });
    const agent = createAgent({
      journal,
      tools: [read.tool],
      provider: new ScriptedProvider([
        { toolCalls: [call("read_file", "a")] },
        { toolCalls: [call("read_file", "b"), call("read_file", "c")] },
        { toolCalls: [call("read_file", "d")] },
        { text: "read" },
      ]),
    });
    const running = agent.run("go", { threadId: "t-ro" });

    await settle();
    // The first turn's start is held, not durable: its read ran anyway. The next turn's reads wait
    // for it, with their own start handed to the journal only once the first write lands.
    expect(read.runs).toEqual(["a"]);
    expect(journal.held.map((h) => h.types.at(-1))).toEqual(["tool.started"]);
    expect(await types(journal, "t-ro")).toEqual([]);

    expect(journal.landNext().at(-1)).toBe("tool.started");
    await settle();
    expect(read.runs).toEqual(["a", "b", "c"]);
    expect(journal.held.map((h) => h.types)).toEqual([
      [
        "tool.completed",
        "iteration.completed",
        "iteration.started",
        "context.assembled",
        "llm.requested",
        "llm.completed",
        "tool.started",
        "tool.started",
      ],
    ]);

    journal.landNext();
    await settle();
    expect(read.runs).toEqual(["a", "b", "c", "d"]);
    journal.landNext();
    await settle();
    // The last turn ends the run: its append is awaited like any end.
    expect(journal.held.map((h) => h.types.at(-1))).toEqual(["run.completed"]);
    journal.landNext();
    const result = await running;
    expect(result.status).toBe("completed");
    expect((await readAll(journal, "t-ro")).filter((e) => e.type === "tool.completed")).toHaveLength(4);
  });

  it("write one batch per iteration when writes are slower than the steps", async () => {
    const batches: string[][] = [];
    class SlowJournal extends MemoryJournal {
      override async append(threadId: string, events: readonly NewEvent[], expectedSeq: number) {
        batches.push(events.map((e) => e.type));
        await new Promise((resolve) => setTimeout(resolve, 2));
        return super.append(threadId, events, expectedSeq);
      }
    }
    const read = counting({ name: "read_file", description: "Reads a file", readOnly: true });
    const turns = Array.from({ length: 10 }, (_, i) => ({ toolCalls: [call("read_file", `f${i}`)] }));
    const agent = createAgent({
      journal: new SlowJournal(),
      tools: [read.tool],
      provider: new ScriptedProvider([...turns, { text: "done" }]),
    });
    expect((await agent.run("go", { threadId: "t-slow" })).status).toBe("completed");
    expect(read.runs).toHaveLength(10);
    // Each write after the first carries a whole iteration: the previous call's result through the
    // next call's start, handed over while the write before it was in flight.
    expect(batches.slice(1, -1).every((b) => b[0] === "tool.completed" && b.at(-1) === "tool.started")).toBe(
      true,
    );
    expect(batches).toHaveLength(11);
  });

  it("wait for their start like any tool when a call with effects is in the same turn", async () => {
    const journal = new GatedJournal();
    const read = counting({ name: "read_file", description: "Reads a file", readOnly: true });
    const write = counting({ name: "write_file", description: "Writes a file", idempotent: true });
    const agent = createAgent({
      journal,
      tools: [read.tool, write.tool],
      provider: new ScriptedProvider([
        { toolCalls: [call("read_file", "a"), call("write_file", "b")] },
        { toolCalls: [call("write_file", "c")] },
        { text: "done" },
      ]),
    });
    const running = agent.run("go", { threadId: "t-mixed" });
    await settle();
    expect([...read.runs, ...write.runs]).toEqual([]);
    journal.landNext();
    await settle();
    expect(read.runs).toEqual(["a"]);
    expect(write.runs).toEqual(["b"]);
    // A turn of only a tool with effects: nothing runs until its start lands.
    expect(journal.held.at(-1)?.types.at(-1)).toBe("tool.started");
    expect(write.runs).toEqual(["b"]);
    journal.landNext();
    await settle();
    expect(write.runs).toEqual(["b", "c"]);
    journal.landNext();
    expect((await running).status).toBe("completed");
  });

  it("run again when their outcome is unknown after a crash; a tool with effects does not", async () => {
    const definitions = [
      { name: "read_file", description: "Reads a file", readOnly: true },
      { name: "write_file", description: "Writes a file" },
    ] as const;
    for (const definition of definitions) {
      const done = new MemoryJournal();
      const first = counting(definition);
      const provider = () =>
        new ScriptedProvider({
          mode: "conversation",
          turns: [{ toolCalls: [call(definition.name, "a")] }, { text: "done" }],
        });
      await createAgent({ journal: done, tools: [first.tool], provider: provider() }).run("go", {
        threadId: "t-crash",
      });
      // The journal as a process killed while the tool ran left it: up to its tool.started.
      const events = await readAll(done, "t-crash");
      const cut = events.slice(0, events.findIndex((e) => e.type === "tool.started") + 1);
      const journal = new MemoryJournal();
      await journal.append("t-crash", cut.map(unsealed), -1);

      const again = counting(definition);
      const agent = createAgent({ journal, tools: [again.tool], provider: provider() });
      expect((await agent.resume("t-crash")).status).toBe("completed");
      const completed = (await readAll(journal, "t-crash")).find((e) => e.type === "tool.completed");
      if (definition.name === "read_file") {
        expect(again.runs).toEqual(["a"]);
        expect(completed?.data).toMatchObject({ content: "read_file a" });
      } else {
        expect(again.runs).toEqual([]);
        expect(completed?.data).toMatchObject({ error: { code: "unknown_outcome" } });
      }
    }
  });

  it("a failed write of their turn ends the run with its error; a resume finishes the thread", async () => {
    let appends = 0;
    class FailingOnce extends MemoryJournal {
      override append(threadId: string, events: readonly NewEvent[], expectedSeq: number) {
        appends++;
        if (appends === 2) return Promise.reject(new Error("disk full"));
        return super.append(threadId, events, expectedSeq);
      }
    }
    const journal = new FailingOnce();
    const read = counting({ name: "read_file", description: "Reads a file", readOnly: true });
    const turns = [
      { toolCalls: [call("read_file", "a")] },
      { toolCalls: [call("read_file", "b")] },
      { text: "done" },
    ];
    const agent = createAgent({
      journal,
      tools: [read.tool],
      provider: new ScriptedProvider({ mode: "conversation", turns }),
    });
    await expect(agent.run("go", { threadId: "t-fail" })).rejects.toThrow("disk full");
    // The failed write held the first read's completion and the second read's start.
    expect((await types(journal, "t-fail")).at(-1)).toBe("tool.started");
    expect(read.runs).toEqual(["a", "b"]);

    const resumed = await agent.resume("t-fail");
    expect(resumed.status).toBe("completed");
    if (resumed.status === "completed") expect(resumed.text).toBe("done");
    // The first read ran again (its outcome was lost with the write); the rest ran once more.
    expect(read.runs).toEqual(["a", "b", "a", "b"]);
  });

  it("readOnly must be a boolean", () => {
    expect(() =>
      tool({
        name: "read_file",
        description: "Reads",
        input: z.object({}),
        readOnly: "yes" as unknown as boolean,
        run: () => "",
      }),
    ).toThrow(ConfigError);
  });
});
