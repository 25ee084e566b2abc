import {
  createAgent,
  type Journal,
  JournalConflictError,
  MemoryJournal,
  type NewEvent,
  readAll,
  tool,
} from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";

/**
 * A journal that pipelines appends (ADR 0016): it writes them in call order, each only when the test
 * lets the oldest one land, and refuses one whose previous append was not written (MemoryJournal's
 * `expectedSeq` check does: the head is not where it expects).
 */
class PipelinedGatedJournal extends MemoryJournal {
  readonly pipelinesAppends = true;
  readonly held: { types: string[]; expectedSeq: number; land: (error?: Error) => void }[] = [];
  mostHeld = 0;
  /** What the journal refused when an append landed (not what the test failed on purpose). */
  readonly refusals: unknown[] = [];

  override append(threadId: string, events: readonly NewEvent[], expectedSeq: number) {
    const landed = new Promise<void>((resolve, reject) => {
      this.held.push({
        types: events.map((e) => e.type),
        expectedSeq,
        land: (error) => (error ? reject(error) : resolve()),
      });
    });
    this.mostHeld = Math.max(this.mostHeld, this.held.length);
    return landed.then(() =>
      super.append(threadId, events, expectedSeq).catch((error: unknown) => {
        this.refusals.push(error);
        throw error;
      }),
    );
  }

  landNext(error?: Error): string[] {
    const next = this.held.shift();
    if (!next) throw new Error("no append is held");
    next.land(error);
    return next.types;
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

function reads() {
  const runs: string[] = [];
  const read = tool({
    name: "read_file",
    description: "Reads a file",
    input: z.object({ path: z.string() }),
    readOnly: true,
    run: ({ path }) => {
      runs.push(path);
      return `read ${path}`;
    },
  });
  return { tool: read, runs };
}

const turns = (paths: string[]) => [
  ...paths.map((path) => ({ toolCalls: [{ name: "read_file", args: { path } }] })),
  { text: "done" },
];

describe("appends on a journal that pipelines them (ADR 0016)", () => {
  it("hand the next write over while the last is in flight, two at most", async () => {
    const journal = new PipelinedGatedJournal();
    const read = reads();
    const agent = createAgent({
      journal,
      tools: [read.tool],
      provider: new ScriptedProvider(turns(["a", "b", "c", "d"])),
    });
    const running = agent.run("go", { threadId: "t-pipe" });
    await settle();
    // The first turn's start is in flight and its read ran (ADR 0015); the next turn's start is
    // handed over at once, expecting the first write's last seq, rather than held back until it lands.
    expect(read.runs).toEqual(["a"]);
    expect(journal.held.map((h) => h.types.at(-1))).toEqual(["tool.started", "tool.started"]);
    const [first, second] = journal.held;
    expect(second!.expectedSeq).toBe(first!.expectedSeq + first!.types.length);

    // The run still waits for the write before the one it hands over: b waits for the first write.
    journal.landNext();
    await settle();
    expect(read.runs).toEqual(["a", "b"]);
    expect(journal.held).toHaveLength(2);
    while (journal.held.length > 0) {
      journal.landNext();
      await settle();
    }
    const result = await running;
    expect(result.status).toBe("completed");
    expect(read.runs).toEqual(["a", "b", "c", "d"]);
    expect(journal.mostHeld).toBe(2);
    expect((await readAll(journal, "t-pipe")).filter((e) => e.type === "tool.completed")).toHaveLength(4);
  });

  it("never hand a journal without it a second write while one is in flight", async () => {
    const journal = new PipelinedGatedJournal();
    Object.defineProperty(journal, "pipelinesAppends", { value: false });
    const read = reads();
    const agent = createAgent({
      journal,
      tools: [read.tool],
      provider: new ScriptedProvider(turns(["a", "b"])),
    });
    const running = agent.run("go", { threadId: "t-one" });
    await settle();
    expect(journal.held).toHaveLength(1);
    while (journal.held.length > 0) {
      journal.landNext();
      await settle();
    }
    expect((await running).status).toBe("completed");
    expect(journal.mostHeld).toBe(1);
  });

  it("stream events in seq order and resolve in write order when the journal settles out of order", async () => {
    // Writes in call order at once; settles each append when the test says, the later one first.
    const settles: (() => void)[] = [];
    let outOfOrder = 0;
    class OutOfOrder extends MemoryJournal {
      readonly pipelinesAppends = true;
      override async append(threadId: string, events: readonly NewEvent[], expectedSeq: number) {
        const written = await super.append(threadId, events, expectedSeq);
        await new Promise<void>((resolve) => settles.push(resolve));
        return written;
      }
    }
    const journal = new OutOfOrder();
    const { result, streamed, seen } = streamReads(journal, "t-order");
    await drive(result, () => {
      if (settles.length > 1) outOfOrder++;
      for (const resolve of settles.splice(0).reverse()) resolve();
    });
    await streamed;
    expect((await result).status).toBe("completed");
    // Two appends were in flight at once, and the later one settled first, at least once.
    expect(outOfOrder).toBeGreaterThan(0);
    expect(seen).toEqual([...seen].sort((x, y) => x - y));
    expect(seen).toEqual((await readAll(journal, "t-order")).map((e) => e.seq));
  });

  it("fail the run with the first failed write; the write after it is refused; a resume finishes", async () => {
    const journal = new PipelinedGatedJournal();
    const read = reads();
    const provider = () => new ScriptedProvider({ mode: "conversation", turns: turns(["a", "b", "c"]) });
    const agent = createAgent({ journal, tools: [read.tool], provider: provider() });
    const running = agent.run("go", { threadId: "t-fail" });
    running.catch(() => undefined);
    await settle();
    journal.landNext();
    await settle();
    expect(read.runs).toEqual(["a", "b"]);
    // The second write fails; the third, handed over behind it, expects the second's last seq.
    expect(journal.held).toHaveLength(2);
    const third = journal.held[1]!;
    journal.landNext(new Error("disk full"));
    journal.landNext();
    await expect(running).rejects.toThrow("disk full");
    // Only the first write is in the thread: the third was refused, not written after it.
    expect(journal.refusals).toEqual([expect.any(JournalConflictError)]);
    expect(await journal.head("t-fail")).toBeLessThan(third.expectedSeq);
    expect((await readAll(journal, "t-fail")).filter((e) => e.type === "tool.started")).toHaveLength(1);

    const resumed = createAgent({ journal, tools: [read.tool], provider: provider() }).resume("t-fail");
    const result = await drive(resumed, () => {
      while (journal.held.length > 0) journal.landNext();
    });
    expect(result.status).toBe("completed");
    // a's completion was in the failed write: a ran again; so did b, whose start was lost with it.
    expect(read.runs).toEqual(["a", "b", "a", "b", "c"]);
    expect((await readAll(journal, "t-fail")).filter((e) => e.type === "tool.completed")).toHaveLength(3);
  });

  it("stream nothing past a write that failed, even when the journal then lands the one after it", async () => {
    // The second append fails after writing (a commit whose answer was lost): the third, behind it,
    // finds the head it expects and lands. The run must still fail, and stream only what came before.
    let appends = 0;
    class LostAnswer extends MemoryJournal {
      readonly pipelinesAppends = true;
      override async append(threadId: string, events: readonly NewEvent[], expectedSeq: number) {
        const n = ++appends;
        await new Promise((resolve) => setTimeout(resolve, n === 2 ? 5 : 1));
        const written = await super.append(threadId, events, expectedSeq);
        if (n === 2) throw new Error("connection lost after commit");
        return written;
      }
    }
    const journal = new LostAnswer();
    const { result, streamed, seen } = streamReads(journal, "t-lost");
    await expect(streamed).rejects.toThrow("connection lost after commit");
    await expect(result).rejects.toThrow("connection lost after commit");
    expect(appends).toBeGreaterThanOrEqual(3);
    const stored = await readAll(journal, "t-lost");
    // The journal holds the third write, but the stream stops where the failure is.
    expect(stored.length).toBeGreaterThan(seen.length + 1);
    expect(seen).toEqual(stored.slice(0, seen.length).map((e) => e.seq));
  });
});

/** A streamed run of four reads on `journal`: its result, the stream read to its end, and the seqs it showed. */
function streamReads(journal: Journal, threadId: string) {
  const read = reads();
  const agent = createAgent({
    journal,
    tools: [read.tool],
    provider: new ScriptedProvider(turns(["a", "b", "c", "d"])),
  });
  const stream = agent.stream("go", { threadId });
  const seen: number[] = [];
  const streamed = (async () => {
    for await (const event of stream) if ("seq" in event) seen.push(event.seq as number);
  })();
  return { result: stream.result, streamed, seen };
}

/** Calls `step` every few milliseconds until `running` settles, then returns it. */
async function drive<T>(running: Promise<T>, step: () => void): Promise<T> {
  let done = false;
  running.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  while (!done) {
    await settle();
    step();
  }
  return running;
}
