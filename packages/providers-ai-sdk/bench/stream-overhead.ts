// What the adapter costs on top of the AI SDK model: the same recorded stream (303 chunks) consumed
// through @ai-sdk/openai's chat model doStream directly and through fromAiSdk(model).doStream, from
// the replay server, interleaved.
// Run: pnpm --filter @loom/providers-ai-sdk bench (after pnpm build).
import { createOpenAI } from "@ai-sdk/openai";
import { interleavedBench, loadRecording, recordingPath, startReplayServer } from "@loom/testing";
import { fromAiSdk } from "../dist/index.js";

const ROUNDS = 200;
const recording = loadRecording(recordingPath("openai/chat-stream-text-usage.vercel-ai.chunks.txt"));
const exchange = recording.exchanges[0]!;
const server = await startReplayServer(Array.from({ length: ROUNDS * 2 + 20 }, () => exchange));
const model = createOpenAI({ apiKey: "sk-bench", baseURL: `${server.url}/v1` }).chat("gpt-4.1-nano");
const provider = fromAiSdk(model);
const request = {
  messages: [{ role: "user" as const, content: "Invent a holiday." }],
  tools: [],
  settings: {},
};

async function rawModel(): Promise<number> {
  let n = 0;
  const { stream } = await model.doStream({
    prompt: [{ role: "user", content: [{ type: "text", text: "Invent a holiday." }] }],
  });
  const reader = stream.getReader();
  while (!(await reader.read()).done) n++;
  return n;
}

async function viaAdapter(): Promise<number> {
  let n = 0;
  for await (const _ of provider.doStream(request, { signal: new AbortController().signal })) n++;
  return n;
}

await interleavedBench({
  bench: "@ai-sdk/openai chat stream, 303 recorded chunks",
  rounds: ROUNDS,
  baseline: rawModel,
  loom: viaAdapter,
});
await server.close();
