import { createAgent, readAll, tool } from "@loom/core";
import { chatRequestShape, loadRecording, recordingPath, startReplayServer } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createOpenAIProvider } from "../src/index.js";

describe("a full agent run on a recorded multi-turn tool conversation", () => {
  it("Chat Completions: two chained tool calls, then the recorded final answer", async () => {
    const recording = loadRecording(recordingPath("openai/chat-nonstream-tool-chain.simonw-llm.yaml"));
    const server = await startReplayServer(recording);
    try {
      const ran: string[] = [];
      const agent = createAgent({
        provider: createOpenAIProvider({
          model: "gpt-4o-mini",
          apiKey: "sk-test",
          baseURL: `${server.url}/v1`,
          stream: false,
        }),
        tools: [
          tool({
            name: "lookup_population",
            description: "Returns the current population of the specified fictional country",
            input: z.object({ country: z.string() }),
            run: ({ country }) => {
              ran.push(`lookup_population(${country})`);
              return 123124;
            },
          }),
          tool({
            name: "can_have_dragons",
            description: "Returns True if the specified population can have dragons, False otherwise",
            input: z.object({ population: z.number().int() }),
            run: ({ population }) => {
              ran.push(`can_have_dragons(${population})`);
              return true;
            },
          }),
        ],
      });
      const result = await agent.run("Can the country of Crumpet have dragons? Answer with only YES or NO");
      expect(result.status).toBe("completed");
      expect(result.status === "completed" && result.text).toBe("YES");
      expect(ran).toEqual(["lookup_population(Crumpet)", "can_have_dragons(123124)"]);
      expect(server.calls).toHaveLength(3);
      // What the agent sent back is the conversation the recording's client sent.
      for (const [i, call] of server.calls.entries()) {
        expect((chatRequestShape(call.body) as { messages: unknown }).messages).toEqual(
          (chatRequestShape(recording.exchanges[i]!.request!.body) as { messages: unknown }).messages,
        );
      }
      const events = await readAll(agent.journal, result.threadId);
      const completed = events.filter((e) => e.type === "llm.completed");
      expect(completed.map((e) => e.type === "llm.completed" && e.data.finishReason.unified)).toEqual([
        "tool-calls",
        "tool-calls",
        "stop",
      ]);
      expect(completed.map((e) => e.type === "llm.completed" && e.data.usage.inputTokens)).toEqual([
        92, 118, 146,
      ]);
    } finally {
      await server.close();
    }
  });

  it("Responses API with store: false: the encrypted reasoning item rides along to the next turns", async () => {
    const server = await startReplayServer(
      loadRecording(recordingPath("openai/responses-stream-reasoning-tools-multistep.vercel-ai.chunks.txt")),
    );
    try {
      const agent = createAgent({
        provider: createOpenAIProvider({
          api: "responses",
          model: "gpt-5.1-codex-max",
          apiKey: "sk-test",
          baseURL: `${server.url}/v1`,
          store: false,
        }),
        tools: [
          tool({
            name: "calculator",
            description: "A minimal calculator for basic arithmetic. Call it once per step.",
            input: z.object({
              a: z.number(),
              b: z.number(),
              op: z.enum(["add", "subtract", "multiply", "divide"]),
            }),
            run: ({ a, b, op }) => ({ add: a + b, subtract: a - b, multiply: a * b, divide: a / b })[op],
          }),
        ],
      });
      const result = await agent.run("What is (12 + 7) * 3 * 10? Use the calculator, one step per call.");
      expect(result.status === "completed" && result.text).toBe("The final result is **570**.");
      expect(server.calls).toHaveLength(4);
      for (const call of server.calls.slice(1)) {
        const input = (call.body as { input: { type?: string; id?: string; encrypted_content?: string }[] })
          .input;
        const reasoning = input.filter((item) => item.type === "reasoning");
        expect(reasoning).toHaveLength(1);
        expect(reasoning[0]?.id).toBe("rs_01830d662ab3856501693c321405c88190be3ab04d5782d5f9");
        expect(reasoning[0]?.encrypted_content).toMatch(/^gAAAAABpPDIVYBwu2ljdVyeU/);
      }
      const outputs = (server.calls[3]!.body as { input: { type?: string; output?: string }[] }).input
        .filter((item) => item.type === "function_call_output")
        .map((item) => item.output);
      expect(outputs).toEqual(["19", "57", "570"]);
    } finally {
      await server.close();
    }
  });

  it("Responses API, streamed: a tool call, then the recorded final answer", async () => {
    const server = await startReplayServer(
      loadRecording(recordingPath("openai/responses-stream-tool-then-text.pydantic-ai.yaml")),
    );
    try {
      const agent = createAgent({
        provider: createOpenAIProvider({
          api: "responses",
          model: "gpt-4o",
          apiKey: "sk-test",
          baseURL: `${server.url}/v1`,
        }),
        tools: [
          tool({
            name: "get_capital",
            description: "The capital of a country.",
            input: z.object({ country: z.string() }),
            run: ({ country }) => (country === "France" ? "Paris" : "unknown"),
          }),
        ],
      });
      const stream = agent.stream("What is the capital of France?");
      const deltas: string[] = [];
      for await (const event of stream)
        if (event.type === "llm.delta" && event.data.kind === "text") deltas.push(event.data.delta);
      const result = await stream.result;
      expect(result.status === "completed" && result.text).toBe("The capital of France is Paris.");
      expect(deltas.join("")).toBe("The capital of France is Paris.");
      const second = server.calls[1]?.body as { input: unknown[] };
      expect(second.input.slice(1)).toEqual([
        {
          type: "function_call",
          call_id: "call_kL0PCQV7M2WMoVX8V8OtYSAL",
          name: "get_capital",
          arguments: '{"country":"France"}',
        },
        { type: "function_call_output", call_id: "call_kL0PCQV7M2WMoVX8V8OtYSAL", output: "Paris" },
      ]);
    } finally {
      await server.close();
    }
  });
});
