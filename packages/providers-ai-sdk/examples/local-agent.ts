// A Loom agent on a local OpenAI-compatible server through @ai-sdk/openai-compatible, no API key.
// Run (after pnpm build): pnpm --filter @loom/providers-ai-sdk example
// With your own server (Ollama, vLLM, llama.cpp, LM Studio):
//   LOCAL_BASE_URL=http://127.0.0.1:11434/v1 LOCAL_MODEL=qwen3:8b pnpm --filter @loom/providers-ai-sdk example
// Without LOCAL_BASE_URL it starts a scripted Chat Completions server on 127.0.0.1 (startCompatibleServer from @loom/testing).

import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { createAgent, MemoryJournal, readAll, tool } from "@loom/core";
import { startCompatibleServer } from "@loom/testing";
import { z } from "zod";
import { fromAiSdk } from "../dist/index.js";

const scripted = process.env.LOCAL_BASE_URL ? undefined : await startCompatibleServer();
const baseURL = process.env.LOCAL_BASE_URL ?? scripted!.baseURL;
try {
  const local = createOpenAICompatible({ name: "local", baseURL, includeUsage: true });
  const journal = new MemoryJournal();
  const agent = createAgent({
    provider: fromAiSdk(local.chatModel(process.env.LOCAL_MODEL ?? "qwen3:8b")),
    journal,
    tools: [
      tool({
        name: "get_weather",
        description: "The weather in a city.",
        input: z.object({ city: z.string() }),
        run: ({ city }) => (city === "Paris" ? "12°C" : "unknown"),
      }),
    ],
  });
  const result = await agent.run("What is the weather in Paris?");
  console.log(result.status, result.status === "completed" ? result.text : "");
  for (const event of await readAll(journal, result.threadId)) console.log(event.seq, event.type);
} finally {
  await scripted?.close();
}
