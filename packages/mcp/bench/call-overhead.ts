// What @loom/mcp costs on top of the MCP SDK: the same tool call (server-everything's `echo`, over
// stdio) made N times through a raw SDK Client and through the Loom tool (argument validation
// with the server's JSON Schema, the call with an idempotency key in _meta and a progress
// handler, result mapping), interleaved, each on its own server process.
// Run: pnpm --filter @loom/mcp bench (after pnpm build).
import { availableParallelism, cpus } from "node:os";
import { fileURLToPath } from "node:url";
import type { ExecutionFrame } from "@loom/core";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { connectMcp } from "../dist/index.js";

const ROUNDS = Number(process.env.ROUNDS ?? 1000);
const WARMUP = 200;
const server = fileURLToPath(
  new URL("../node_modules/@modelcontextprotocol/server-everything/dist/index.js", import.meta.url),
);
const params = { command: process.execPath, args: [server, "stdio"], stderr: "ignore" as const };

const client = new Client({ name: "bench", version: "1.0.0" });
await client.connect(new StdioClientTransport(params));
await client.listTools(); // as connectMcp does: the SDK then checks calls against what it listed
const mcp = await connectMcp(params, { only: ["echo"] });
const echo = mcp.tools[0]!;

async function raw(i: number): Promise<void> {
  await client.callTool({ name: "echo", arguments: { message: `m${i}` } });
}

/** The raw call with the options Loom passes (signal, progress handler, _meta): what the SDK's features cost. */
async function rawWithOptions(i: number): Promise<void> {
  await client.callTool(
    { name: "echo", arguments: { message: `m${i}` }, _meta: { "loom/idempotencyKey": `bench/call_${i}@0` } },
    undefined,
    { signal: new AbortController().signal, timeout: 60_000, onprogress: () => {} },
  );
}

const frame = {} as ExecutionFrame;
async function viaLoom(i: number): Promise<void> {
  const parsed = echo.input.safeParse({ message: `m${i}` });
  if (!parsed.success) throw new Error("bad arguments");
  await echo.run(parsed.data, {
    signal: new AbortController().signal,
    idempotencyKey: `bench/call_${i}@0`,
    callId: `call_${i}`,
    callRef: `call_${i}@0`,
    frame,
    reportProgress: () => {},
    reportUsage: () => {},
  });
}

const time = async (f: (i: number) => Promise<void>, i: number) => {
  const t = process.hrtime.bigint();
  await f(i);
  return Number(process.hrtime.bigint() - t) / 1000;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]!;

for (let i = 0; i < WARMUP; i++) {
  await raw(i);
  await viaLoom(i);
}
const rawTimes: number[] = [];
const loomTimes: number[] = [];
const optionTimes: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  // Alternate which goes first, so neither always runs on a warmer machine.
  if (i % 2 === 0) {
    rawTimes.push(await time(raw, i));
    optionTimes.push(await time(rawWithOptions, i));
    loomTimes.push(await time(viaLoom, i));
  } else {
    loomTimes.push(await time(viaLoom, i));
    optionTimes.push(await time(rawWithOptions, i));
    rawTimes.push(await time(raw, i));
  }
}

const connectTimes: number[] = [];
for (let i = 0; i < 5; i++) {
  const t = process.hrtime.bigint();
  const c = await connectMcp(params);
  connectTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
  await c.close();
}

await client.close();
await mcp.close();

const [rawMedian, loomMedian] = [median(rawTimes), median(loomTimes)];
console.log(
  `@loom/mcp call overhead: ${ROUNDS} interleaved echo calls over stdio (server-everything), ${availableParallelism()} × ${cpus()[0]?.model.trim()}, Node ${process.version}`,
);
const paired = rawTimes.map((r, i) => loomTimes[i]! - r);
console.log(`  raw SDK callTool   median ${rawMedian.toFixed(0)} µs, p90 ${p90(rawTimes).toFixed(0)} µs`);
console.log(
  `  raw SDK callTool with Loom's options (signal, onprogress, _meta)   median ${median(optionTimes).toFixed(0)} µs`,
);
console.log(`  Loom tool          median ${loomMedian.toFixed(0)} µs, p90 ${p90(loomTimes).toFixed(0)} µs`);
console.log(
  `  overhead           ${(loomMedian - rawMedian).toFixed(0)} µs (difference of medians), ${median(paired).toFixed(0)} µs (median of paired differences)`,
);
console.log(
  `  connectMcp (spawn + handshake + tools/list), median of 5: ${median(connectTimes).toFixed(0)} ms`,
);
