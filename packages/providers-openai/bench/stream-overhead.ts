// What the provider costs on top of the SDK: the same recorded stream (303 chunks) consumed through
// the raw openai SDK and through OpenAIProvider.doStream, from the replay server, interleaved.
// Run: pnpm --filter @loom/providers-openai bench (after pnpm build).
import { interleavedBench, loadRecording, recordingPath, startReplayServer } from "@loom/testing";
import OpenAI from "openai";
import { createOpenAIProvider } from "../dist/index.js";

const ROUNDS = 200;
const recording = loadRecording(recordingPath("openai/chat-stream-text-usage.vercel-ai.chunks.txt"));
const exchange = recording.exchanges[0]!;
const server = await startReplayServer(Array.from({ length: ROUNDS * 2 + 20 }, () => exchange));
const baseURL = `${server.url}/v1`;
const sdk = new OpenAI({ apiKey: "sk-bench", baseURL, maxRetries: 0 });
const provider = createOpenAIProvider({ model: "gpt-4.1-nano", apiKey: "sk-bench", baseURL });
const request = {
  messages: [{ role: "user" as const, content: "Invent a holiday." }],
  tools: [],
  settings: {},
};

async function rawSdk(): Promise<number> {
  let n = 0;
  const stream = await sdk.chat.completions.create({
    model: "gpt-4.1-nano",
    messages: [{ role: "user", content: "Invent a holiday." }],
    stream: true,
    stream_options: { include_usage: true },
  });
  for await (const chunk of stream) n += chunk.choices.length;
  return n;
}

async function viaProvider(): Promise<number> {
  let n = 0;
  for await (const _ of provider.doStream(request, { signal: new AbortController().signal })) n++;
  return n;
}

await interleavedBench({
  bench: "openai chat stream, 303 recorded chunks",
  rounds: ROUNDS,
  baseline: rawSdk,
  loom: viaProvider,
});
await server.close();
