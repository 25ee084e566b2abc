import {
  createAgent,
  MemoryJournal,
  type ModelRequest,
  type Provider,
  type ProviderStreamPart,
  readAll,
} from "@loom/core";
import { describe, expect, it } from "vitest";

/** A model that declines, streaming its refusal as a part of its own. */
class RefusingProvider implements Provider {
  readonly specificationVersion = "v1" as const;
  readonly provider = "refusing";
  readonly modelId = "r-1";
  calls = 0;
  async *doStream(_request: ModelRequest): AsyncIterable<ProviderStreamPart> {
    this.calls++;
    yield { type: "refusal-delta", delta: "Not " };
    yield { type: "refusal-delta", delta: "that." };
    yield {
      type: "finish",
      message: { role: "assistant", content: "", refusal: "Not that." },
      usage: { inputTokens: 3, outputTokens: 2 },
      finishReason: { unified: "refusal" },
      responseId: "resp-42",
    };
  }
}

describe("a refusal and the answer's id", () => {
  it("the refusal streams as llm.delta kind refusal; the run completes with result.refusal; llm.completed keeps responseId", async () => {
    const provider = new RefusingProvider();
    const journal = new MemoryJournal();
    const stream = createAgent({ provider, journal }).stream("Do the bad thing", { threadId: "t" });
    const deltas: string[] = [];
    for await (const e of stream) if (e.type === "llm.delta") deltas.push(`${e.data.kind}:${e.data.delta}`);
    const result = await stream.result;
    expect(deltas).toEqual(["refusal:Not ", "refusal:that."]);
    expect(result).toMatchObject({ status: "completed", text: "", refusal: "Not that." });
    const events = await readAll(journal, "t");
    expect(events.find((e) => e.type === "llm.completed")?.data).toMatchObject({
      responseId: "resp-42",
      finishReason: { unified: "refusal" },
      message: { refusal: "Not that." },
    });
    // Resume reads it back from the journal, calling nothing.
    const resumed = await createAgent({ provider, journal }).resume("t");
    expect(resumed).toMatchObject({ status: "completed", refusal: "Not that." });
    expect(provider.calls).toBe(1);
  });

  it("a journal cut after llm.completed was staged but not written: resume asks again and ends the same", async () => {
    const provider = new RefusingProvider();
    const journal = new MemoryJournal();
    await createAgent({ provider, journal }).run("Do the bad thing", { threadId: "t" });
    const events = await readAll(journal, "t");
    const cut = new MemoryJournal();
    const upTo = events.findIndex((e) => e.type === "llm.requested");
    await cut.append(
      "t",
      events.slice(0, upTo + 1).map(({ seq: _seq, ...e }) => e),
      -1,
    );
    const resumed = await createAgent({ provider, journal: cut }).resume("t");
    expect(resumed).toMatchObject({ status: "completed", refusal: "Not that." });
    expect(provider.calls).toBe(2);
  });
});
