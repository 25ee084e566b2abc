import { createAgent, MemoryJournal, RunFailedError, readAll } from "@loom/core";
import { jsonExchange, startReplayServer } from "@loom/testing";
import { expect, it } from "vitest";
import { createOpenAIProvider } from "../src/index.js";

it("a 401 that echoes the API key fails the run without the key in the error or the journal", async () => {
  const key = "sk-proj-THIS-IS-THE-SECRET-0123456789";
  // OpenAI's real 401 repeats the key it got (masked in production; here in full, the worst case).
  const server = await startReplayServer([
    jsonExchange(401, {
      error: {
        message: `Incorrect API key provided: ${key}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        type: "invalid_request_error",
        param: null,
        code: "invalid_api_key",
      },
    }),
  ]);
  try {
    const journal = new MemoryJournal();
    const agent = createAgent({
      journal,
      provider: createOpenAIProvider({ model: "gpt-4o", apiKey: key, baseURL: `${server.url}/v1` }),
    });
    const error = await agent.run("hi", { threadId: "secret" }).catch((e: unknown) => e);
    expect(RunFailedError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain("OPENAI_API_KEY");
    expect((error as Error).message).not.toContain(key);
    const events = await readAll(journal, "secret");
    const failed = events.find((e) => e.type === "llm.failed");
    expect(failed?.type === "llm.failed" && [failed.data.error.code, failed.data.willRetry]).toEqual([
      "auth",
      false,
    ]);
    expect(JSON.stringify(events)).not.toContain(key);
    expect(server.calls).toHaveLength(1);
  } finally {
    await server.close();
  }
});
