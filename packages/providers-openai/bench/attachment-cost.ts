// What an attachment adds to a call: the same recorded answer from the replay server for a text-only
// request and for the same request with a PDF of 1 MiB and 4 MiB as data (base64 in a data URL),
// through OpenAIProvider.doStream, interleaved. The difference is mapping, JSON and the local upload.
// Run: node --experimental-strip-types bench/attachment-cost.ts (after pnpm build).
import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import { loadRecording, recordingPath, startReplayServer } from "@loom/testing";
import { createOpenAIProvider } from "../dist/index.js";

const ROUNDS = 40;
const recording = loadRecording(recordingPath("openai/chat-stream-text-usage.vercel-ai.chunks.txt"));
const exchange = recording.exchanges[0]!;
const server = await startReplayServer(Array.from({ length: ROUNDS * 3 + 10 }, () => exchange));
const provider = createOpenAIProvider({
  model: "gpt-4.1-nano",
  apiKey: "sk-bench",
  baseURL: `${server.url}/v1`,
});

const requestWith = (bytes: number) => ({
  messages: [
    {
      role: "user" as const,
      content: "Summarize the file.",
      ...(bytes > 0
        ? {
            attachments: [
              {
                type: "file" as const,
                mediaType: "application/pdf",
                data: randomBytes(bytes).toString("base64"),
                filename: "a.pdf",
              },
            ],
          }
        : {}),
    },
  ],
  tools: [],
  settings: {},
});

const sizes = [0, 1 << 20, 4 << 20];
const requests = sizes.map(requestWith);
async function once(request: (typeof requests)[number]): Promise<number> {
  const start = performance.now();
  for await (const _ of provider.doStream(request, { signal: new AbortController().signal })) {
    // drain
  }
  return performance.now() - start;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const request of requests) await once(request);
const times: number[][] = sizes.map(() => []);
for (let round = 0; round < ROUNDS - 1; round++) {
  for (const [i, request] of requests.entries()) times[i]!.push(await once(request));
}
await server.close();
console.log(
  `machine: ${availableParallelism()} cores, node ${process.version}, ${ROUNDS - 1} rounds, median`,
);
for (const [i, bytes] of sizes.entries()) {
  console.log(
    `${bytes === 0 ? "text only" : `PDF ${bytes >> 20} MiB`}: ${median(times[i]!).toFixed(2)} ms a call`,
  );
}
