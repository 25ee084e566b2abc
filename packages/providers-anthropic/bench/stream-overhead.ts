// What the provider costs on top of the SDK: the same recorded stream (a thinking block, then 110
// text deltas) consumed through the raw @anthropic-ai/sdk and through AnthropicProvider.doStream,
// from the replay server, interleaved. Run: pnpm --filter @loom/providers-anthropic bench.
import { availableParallelism } from "node:os";
import Anthropic from "@anthropic-ai/sdk";
import { loadRecording, recordingPath, startReplayServer } from "@loom/testing";
import { createAnthropicProvider } from "../dist/index.js";

const ROUNDS = 200;
const recording = loadRecording(recordingPath("anthropic/messages-stream-thinking.pydantic-ai.yaml"));
const exchange = recording.exchanges[0]!;
const server = await startReplayServer(Array.from({ length: ROUNDS * 2 + 20 }, () => exchange));
const sdk = new Anthropic({ apiKey: "sk-ant-bench", baseURL: server.url, maxRetries: 0 });
const provider = createAnthropicProvider({
  model: "claude-sonnet-4-0",
  apiKey: "sk-ant-bench",
  baseURL: server.url,
});
const request = {
  messages: [{ role: "user" as const, content: "How do I cross the street?" }],
  tools: [],
  settings: {},
};

async function rawSdk(): Promise<number> {
  let n = 0;
  const stream = await sdk.messages.create({
    model: "claude-sonnet-4-0",
    max_tokens: 4096,
    messages: [{ role: "user", content: "How do I cross the street?" }],
    stream: true,
  });
  for await (const _ of stream) n++;
  return n;
}

async function viaProvider(): Promise<number> {
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
  await rawSdk();
  await viaProvider();
}
const raw: number[] = [];
const loom: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  raw.push(await time(rawSdk));
  loom.push(await time(viaProvider));
}
await server.close();
console.log(
  JSON.stringify({
    bench: "anthropic stream, thinking + 110 recorded text deltas",
    rounds: ROUNDS,
    rawSdkMedianMs: Number(median(raw).toFixed(3)),
    providerMedianMs: Number(median(loom).toFixed(3)),
    ratio: Number((median(loom) / median(raw)).toFixed(3)),
    node: process.version,
    cpus: availableParallelism(),
  }),
);
