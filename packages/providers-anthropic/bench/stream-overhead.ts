// What the provider costs on top of the SDK: the same recorded stream (a thinking block, then 110
// text deltas) consumed through the raw @anthropic-ai/sdk and through AnthropicProvider.doStream,
// from the replay server, interleaved. Run: pnpm --filter @loom/providers-anthropic bench.
import Anthropic from "@anthropic-ai/sdk";
import { interleavedBench, loadRecording, recordingPath, startReplayServer } from "@loom/testing";
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

await interleavedBench({
  bench: "anthropic stream, thinking + 110 recorded text deltas",
  rounds: ROUNDS,
  baseline: rawSdk,
  loom: viaProvider,
});
await server.close();
