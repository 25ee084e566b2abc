import { ConfigError, createAgent, MemoryJournal, readAll, tool } from "@loom/core";
import { type CompatibleServer, collectParts, startCompatibleServer, userRequest } from "@loom/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { createOpenAIProvider } from "../src/index.js";

let server: CompatibleServer | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  await server?.close();
  server = undefined;
});

const weatherTool = (ran: string[]) =>
  tool({
    name: "get_weather",
    description: "The weather in a city.",
    input: z.object({ city: z.string() }),
    run: ({ city }) => {
      ran.push(city);
      return "12°C";
    },
  });

describe("a local OpenAI-compatible server with baseURL and no API key", () => {
  it.each([true, false])(
    "stream: %s: a Loom agent runs a tool call and a final answer; no Authorization header is sent",
    async (stream) => {
      vi.stubEnv("OPENAI_API_KEY", "");
      server = await startCompatibleServer();
      const journal = new MemoryJournal();
      const ran: string[] = [];
      const agent = createAgent({
        provider: createOpenAIProvider({ model: "qwen3:8b", baseURL: server.baseURL, stream }),
        journal,
        tools: [weatherTool(ran)],
      });
      const result = await agent.run("What is the weather in Paris?");
      expect(result.status === "completed" && result.text).toBe("It is 12°C in Paris.");
      expect(ran).toEqual(["Paris"]);
      expect(server.calls).toHaveLength(2);
      for (const call of server.calls) {
        expect(call.headers.authorization).toBeUndefined();
        expect(JSON.stringify(call.headers)).not.toContain("no-api-key");
      }
      const events = await readAll(journal, result.threadId);
      expect(JSON.stringify(events)).not.toContain("no-api-key");
      const completed = events.flatMap((e) => (e.type === "llm.completed" ? [e.data] : []));
      expect(completed.map((d) => [d.finishReason.unified, d.usage.inputTokens])).toEqual([
        ["tool-calls", 21],
        ["stop", 23],
      ]);
    },
  );

  it("sends maxOutputTokens as max_tokens when told, to a server that rejects max_completion_tokens", async () => {
    server = await startCompatibleServer({ rejectFields: ["max_completion_tokens"] });
    const strict = createOpenAIProvider({ model: "m", baseURL: server.baseURL, apiKey: "local-key" });
    const refused = (await collectParts(
      strict,
      userRequest("hi", { settings: { maxOutputTokens: 50 } }),
    ).catch((e: unknown) => e)) as { code: string; message: string };
    expect(refused.code).toBe("bad_request");
    expect(refused.message).toContain("max_completion_tokens");

    const provider = createOpenAIProvider({
      model: "m",
      baseURL: server.baseURL,
      apiKey: "local-key",
      maxTokensField: "max_tokens",
    });
    const parts = await collectParts(provider, userRequest("hi", { settings: { maxOutputTokens: 50 } }));
    expect(parts.at(-1)).toMatchObject({
      type: "finish",
      message: { content: "Hello from the local model." },
    });
    expect(server.calls.at(-1)!.body).toMatchObject({ max_tokens: 50 });
    expect(server.calls.at(-1)!.body).not.toHaveProperty("max_completion_tokens");
    expect(server.calls.at(-1)!.headers.authorization).toBe("Bearer local-key");
  });

  it("leaves out stream_options when told, for a server that rejects it, and warns that no usage came", async () => {
    server = await startCompatibleServer({ rejectFields: ["stream_options"] });
    const strict = createOpenAIProvider({ model: "m", baseURL: server.baseURL });
    const refused = (await collectParts(strict, userRequest("hi")).catch((e: unknown) => e)) as {
      code: string;
    };
    expect(refused.code).toBe("bad_request");
    expect(server.calls[0]!.body.stream_options).toEqual({ include_usage: true });

    const provider = createOpenAIProvider({ model: "m", baseURL: server.baseURL, streamOptions: false });
    const parts = await collectParts(provider, userRequest("hi"));
    expect(server.calls[1]!.body).not.toHaveProperty("stream_options");
    expect(parts.at(-1)).toMatchObject({
      type: "finish",
      message: { content: "Hello from the local model." },
      usage: { inputTokens: 0, outputTokens: 0 },
      warnings: ["The server reported no usage for the stream: usage counts are 0."],
    });
  });

  it("takes the baseURL from OPENAI_BASE_URL too; with neither a key nor a baseURL it is still a ConfigError", () => {
    vi.stubEnv("OPENAI_API_KEY", "");
    vi.stubEnv("OPENAI_BASE_URL", "");
    expect(() => createOpenAIProvider({ model: "m" })).toThrow(ConfigError);
    expect(() => createOpenAIProvider({ model: "m" })).toThrow(/baseURL/);
    vi.stubEnv("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1");
    expect(createOpenAIProvider({ model: "m" }).modelId).toBe("m");
  });
});
