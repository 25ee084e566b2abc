// What the adapter costs on top of the AI SDK model: the same recorded stream (303 chunks) consumed
// through @ai-sdk/openai's chat model doStream directly and through fromAiSdk(model).doStream, from
// the replay server, interleaved.
// Run: pnpm --filter @loom/providers-ai-sdk bench (after pnpm build).
import { availableParallelism } from "node:os";
import { createOpenAI } from "@ai-sdk/openai";
import { loadRecording, recordingPath, startReplayServer } from "@loom/testing";
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

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const time = async (fn: () => Promise<number>) => {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
};

for (let i = 0; i < 10; i++) {
  await rawModel();
  await viaAdapter();
}
const raw: number[] = [];
const loom: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  raw.push(await time(rawModel));
  loom.push(await time(viaAdapter));
}
await server.close();
console.log(
  JSON.stringify({
    bench: "@ai-sdk/openai chat stream, 303 recorded chunks",
    rounds: ROUNDS,
    rawModelMedianMs: Number(median(raw).toFixed(3)),
    adapterMedianMs: Number(median(loom).toFixed(3)),
    ratio: Number((median(loom) / median(raw)).toFixed(3)),
    node: process.version,
    cpus: availableParallelism(),
  }),
);
