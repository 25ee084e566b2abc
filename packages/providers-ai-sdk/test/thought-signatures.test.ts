import type { LanguageModelV4CallOptions, LanguageModelV4StreamPart } from "@ai-sdk/provider";
import { createAgent, MemoryJournal, readAll, tool } from "@loom/core";
import { convertArrayToReadableStream, MockLanguageModelV4 } from "ai/test";
import { expect, it } from "vitest";
import { z } from "zod";
import { fromAiSdk } from "../src/index.js";

const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 5, text: 5, reasoning: 0 },
};

/** A Gemini-like model: its function call carries a thought signature it wants back on the next turn. */
function gemini(key: "google" | "vertex") {
  const prompts: LanguageModelV4CallOptions["prompt"][] = [];
  const turns: LanguageModelV4StreamPart[][] = [
    [
      {
        type: "tool-call",
        toolCallId: "fc_1",
        toolName: "weather",
        input: '{"city":"Paris"}',
        providerMetadata: { [key]: { thoughtSignature: "c2lnLTE=" } },
      },
      {
        type: "tool-call",
        toolCallId: "fc_2",
        toolName: "weather",
        input: '{"city":"Rome"}',
        providerMetadata: { anthropic: { caller: { type: "direct" } } },
      },
      { type: "finish", finishReason: { unified: "tool-calls", raw: "STOP" }, usage },
    ],
    [
      { type: "text-start", id: "t" },
      { type: "text-delta", id: "t", delta: "Sunny in both." },
      { type: "text-end", id: "t" },
      { type: "finish", finishReason: { unified: "stop", raw: "STOP" }, usage },
    ],
  ];
  const model = new MockLanguageModelV4({
    provider: `${key}.generative-ai`,
    modelId: "gemini-3-pro",
    doStream: async (options) => {
      prompts.push(structuredClone(options.prompt));
      return { stream: convertArrayToReadableStream(turns[prompts.length - 1]!) };
    },
  });
  return { model, prompts };
}

for (const key of ["google", "vertex"] as const) {
  it(`sends a function call's thought signature back on the next turns (${key}), and journals it with the call`, async () => {
    const { model, prompts } = gemini(key);
    const journal = new MemoryJournal();
    const weather = tool({
      name: "weather",
      description: "Weather in a city.",
      input: z.object({ city: z.string() }),
      run: () => "sunny",
    });
    const result = await createAgent({ provider: fromAiSdk(model), journal, tools: [weather] }).run(
      "Weather?",
      {
        threadId: "t",
      },
    );
    expect(result).toMatchObject({ status: "completed", text: "Sunny in both." });

    const assistant = prompts[1]!.find((m) => m.role === "assistant")!;
    const calls = (
      assistant.content as { type: string; toolCallId?: string; providerOptions?: unknown }[]
    ).filter((p) => p.type === "tool-call");
    expect(calls.map((c) => [c.toolCallId, c.providerOptions])).toEqual([
      ["fc_1", { [key]: { thoughtSignature: "c2lnLTE=" } }],
      // Metadata the model does not need back is not kept.
      ["fc_2", undefined],
    ]);
    const completed = (await readAll(journal, "t")).find((e) => e.type === "llm.completed");
    expect(completed?.data.message.toolCalls?.[0]?.providerMetadata).toEqual({
      [key]: { thoughtSignature: "c2lnLTE=" },
    });
  });
}
