import { createAgent, MemoryJournal, type ModelRequest, type ModelSettings, readAll } from "@loom/core";
import { collectParts, loadRecording, recordingPath, startReplayServer } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { createAnthropicProvider } from "../src/index.js";

const weather = {
  name: "weather",
  description: "Weather in a city.",
  inputSchema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};
const clock = { name: "clock", description: "The time.", inputSchema: { type: "object", properties: {} } };

const messages: ModelRequest["messages"] = [
  { role: "system", content: "Be brief." },
  { role: "user", content: "Weather in Paris?" },
  {
    role: "assistant",
    content: "Checking.",
    toolCalls: [{ id: "toolu_1", name: "weather", arguments: '{"city":"Paris"}' }],
  },
  { role: "tool", callId: "toolu_1", name: "weather", content: "12°C" },
  { role: "user", content: "And Rome?" },
];

async function send(settings: ModelSettings, tools = [weather, clock]) {
  const server = await startReplayServer(
    loadRecording(recordingPath("anthropic/messages-nonstream-text.vercel-ai.json")),
  );
  try {
    const provider = createAnthropicProvider({
      model: "claude-sonnet-4-6",
      apiKey: "k",
      baseURL: server.url,
      stream: false,
    });
    const parts = await collectParts(provider, { messages, tools, settings });
    const finish = parts.at(-1);
    const call = server.calls[0]!;
    return {
      body: call.body as Record<string, unknown>,
      headers: call.headers,
      warnings: finish?.type === "finish" ? (finish.warnings ?? []) : [],
    };
  } finally {
    await server.close();
  }
}

describe("portable settings on the Messages API", () => {
  it("tool choices as tool_choice, parallelToolCalls: false as disable_parallel_tool_use", async () => {
    const cases: [ModelSettings, unknown][] = [
      [{ toolChoice: "auto" }, { type: "auto" }],
      [{ toolChoice: "none" }, { type: "none" }],
      [{ toolChoice: "required" }, { type: "any" }],
      [{ toolChoice: { tool: "clock" } }, { type: "tool", name: "clock" }],
      [
        { toolChoice: "required", parallelToolCalls: false },
        { type: "any", disable_parallel_tool_use: true },
      ],
      [{ parallelToolCalls: false }, { type: "auto", disable_parallel_tool_use: true }],
    ];
    for (const [settings, expected] of cases) {
      const { body, warnings } = await send(settings);
      expect(body.tool_choice).toEqual(expected);
      expect(warnings).toEqual([]);
    }
    expect((await send({ parallelToolCalls: true })).body).not.toHaveProperty("tool_choice");
  });

  it("seed and reasoning cannot be honoured: left out and named in warnings; headers go with the request", async () => {
    const { body, headers, warnings } = await send({
      seed: 3,
      reasoning: { effort: "high" },
      stopSequences: ["END"],
      headers: { "anthropic-beta": "some-beta", "x-trace": "t-2" },
    });
    expect(body).not.toHaveProperty("seed");
    expect(body).not.toHaveProperty("reasoning");
    expect(body.stop_sequences).toEqual(["END"]);
    expect(headers["anthropic-beta"]).toBe("some-beta");
    expect(headers["x-trace"]).toBe("t-2");
    expect(warnings).toEqual([
      "The Messages API has no seed: settings.seed was not sent.",
      "The Messages API has no reasoning effort or summary: settings.reasoning was not sent (use the provider's thinking option).",
    ]);
  });

  it("cache breakpoints on the system prompt, the last tool and the last message", async () => {
    const { body, warnings } = await send({ cache: { system: true, tools: true, messages: "last" } });
    const ephemeral = { type: "ephemeral" };
    expect(body.system).toEqual([{ type: "text", text: "Be brief.", cache_control: ephemeral }]);
    expect(body.tools).toEqual([
      { name: "weather", description: "Weather in a city.", input_schema: weather.inputSchema },
      { name: "clock", description: "The time.", input_schema: clock.inputSchema, cache_control: ephemeral },
    ]);
    expect(body.messages).toEqual([
      { role: "user", content: "Weather in Paris?" },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Checking." },
          { type: "tool_use", id: "toolu_1", name: "weather", input: { city: "Paris" } },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_1", content: "12°C" },
          { type: "text", text: "And Rome?", cache_control: ephemeral },
        ],
      },
    ]);
    expect(warnings).toEqual([]);
  });

  it("cache breakpoints on messages by index: a user text keeps its block form to carry one", async () => {
    const { body } = await send({ cache: { messages: [1, 2] } });
    const ephemeral = { type: "ephemeral" };
    const sent = body.messages as { content: unknown }[];
    expect(sent[0]?.content).toEqual([{ type: "text", text: "Weather in Paris?", cache_control: ephemeral }]);
    expect(sent[1]?.content).toEqual([
      { type: "text", text: "Checking." },
      {
        type: "tool_use",
        id: "toolu_1",
        name: "weather",
        input: { city: "Paris" },
        cache_control: ephemeral,
      },
    ]);
    expect(sent[2]?.content).toEqual([
      { type: "tool_result", tool_use_id: "toolu_1", content: "12°C" },
      { type: "text", text: "And Rome?" },
    ]);
    expect(body.system).toBe("Be brief.");
  });

  it("more than 4 breakpoints is a warning (the API refuses a fifth)", async () => {
    const { warnings } = await send({ cache: { system: true, tools: true, messages: [1, 2, 3] } });
    expect(warnings).toEqual([
      "settings.cache asks for 5 cache breakpoints; the Messages API accepts at most 4.",
    ]);
  });
});

describe("a setting the provider cannot honour, in an agent run", () => {
  it("is journaled in llm.completed.warnings", async () => {
    const server = await startReplayServer(
      loadRecording(recordingPath("anthropic/messages-nonstream-text.vercel-ai.json")),
    );
    try {
      const journal = new MemoryJournal();
      const provider = createAnthropicProvider({
        model: "claude-sonnet-4-6",
        apiKey: "k",
        baseURL: server.url,
        stream: false,
      });
      await createAgent({ provider, journal, settings: { seed: 42 } }).run("Hi", { threadId: "t" });
      const completed = (await readAll(journal, "t")).find((e) => e.type === "llm.completed");
      expect(completed?.data.warnings).toEqual(["The Messages API has no seed: settings.seed was not sent."]);
    } finally {
      await server.close();
    }
  });
});
