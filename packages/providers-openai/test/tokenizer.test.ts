import { countMessageTokens, createAgent, History, MemoryJournal, readAll } from "@loom/core";
import { openaiTokenizer } from "@loom/providers-openai";
import { ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";

describe("openaiTokenizer", () => {
  it("counts with the model's real encoding", () => {
    expect(openaiTokenizer("gpt-4o").name).toBe("o200k_base");
    expect(openaiTokenizer("gpt-4.1-mini").name).toBe("o200k_base");
    expect(openaiTokenizer("o3-mini").name).toBe("o200k_base");
    expect(openaiTokenizer("gpt-4-turbo").name).toBe("cl100k_base");
    expect(openaiTokenizer("gpt-3.5-turbo").name).toBe("cl100k_base");
    // Known counts of these encodings for this sentence.
    expect(openaiTokenizer("gpt-4o").count("Hello, world! Loom journals every step.")).toBe(9);
    expect(openaiTokenizer("gpt-4").count("Hello, world! Loom journals every step.")).toBe(10);
    expect(openaiTokenizer().count("")).toBe(0);
  });

  it("is what context assembly counts with when an agent is given it", async () => {
    const tokenizer = openaiTokenizer("gpt-4o");
    const journal = new MemoryJournal();
    const input = "Ünïcödé and code: const x = [1, 2, 3].map((n) => n * 2);";
    await createAgent({ journal, tokenizer, provider: new ScriptedProvider([{ text: "ok" }]) }).run(input, {
      threadId: "t",
    });
    const assembled = (await readAll(journal, "t")).find((e) => e.type === "context.assembled");
    const history =
      assembled?.type === "context.assembled"
        ? assembled.data.included.find((c) => c.kind === "history")
        : undefined;
    expect(history?.tokens).toBe(countMessageTokens(tokenizer, { role: "user", content: input }));
    expect(History.of([{ role: "user", content: input }], tokenizer).totalTokens).toBe(history?.tokens);
  });
});
