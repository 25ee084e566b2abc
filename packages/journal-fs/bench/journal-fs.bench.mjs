// `pnpm bench`: append throughput per fsync mode against raw appendFile + fsync on the same disk in
// the same run, and replay speed and peak memory of long threads. Runs the BUILT package.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { FsJournal } from "@loom/journal-fs";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = 5;
const root = mkdtempSync(join(tmpdir(), "loom-journal-fs-bench-"));
let dirs = 0;
const freshDir = () => join(root, `d${dirs++}`);

/** A realistic event: an LLM turn with a tool call, about 400 bytes as a line. */
function llmEvent(n) {
  return {
    v: 1,
    runId: "bench-run",
    ts: 1_700_000_000_000 + n,
    frameId: "root",
    depth: 0,
    iteration: n,
    type: "llm.completed",
    data: {
      message: {
        role: "assistant",
        content: `Step ${n}: I will look this up with the search tool before answering the question.`,
        toolCalls: [
          { id: `call-${n}`, name: "search", arguments: JSON.stringify({ q: `query number ${n}` }) },
        ],
      },
      usage: { inputTokens: 1200 + n, outputTokens: 48 },
      finishReason: { unified: "tool-calls", raw: "tool_calls" },
      attempt: 1,
    },
  };
}
const LINE = `${JSON.stringify({ ...llmEvent(0), threadId: "bench", seq: 0 })}\n`;

/** Runs `step` (which does `unit` events) for `seconds`; events per second. */
async function rate(seconds, step, unit) {
  let events = 0;
  const start = performance.now();
  const until = start + seconds * 1000;
  while (performance.now() < until) {
    await step();
    events += unit;
  }
  return events / ((performance.now() - start) / 1000);
}

/**
 * The disk is shared and its fsync latency drifts, so a case and its baseline run in alternating
 * slices, ROUNDS times, and the figures are the medians of the slices and of the per-round ratios.
 */
async function compare(run, baseline) {
  const rates = [];
  const baselines = [];
  const ratios = [];
  for (let round = 0; round < ROUNDS; round++) {
    const b = await baseline(SECONDS / ROUNDS);
    const r = await run(SECONDS / ROUNDS);
    baselines.push(b);
    rates.push(r);
    ratios.push(r / b);
  }
  return { rate: median(rates), baseline: median(baselines), ratio: median(ratios) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Raw `FileHandle.appendFile` of `batchSize` lines, then `fsync` (or not), on one file. */
const rawAppend = (batchSize, sync) => async (seconds) => {
  const file = await open(join(mkdtempSync(join(root, "raw-")), "raw.jsonl"), "a");
  const data = LINE.repeat(batchSize);
  const result = await rate(
    seconds,
    async () => {
      await file.appendFile(data);
      if (sync) await file.sync();
    },
    batchSize,
  );
  await file.close();
  return result;
};

/** One writer awaiting each append of `batchSize` events. */
const journalAppend = (fsync, batchSize) => async (seconds) => {
  const journal = new FsJournal({ dir: freshDir(), fsync });
  let head = -1;
  let n = 0;
  const result = await rate(
    seconds,
    async () => {
      const batch = Array.from({ length: batchSize }, () => llmEvent(n++));
      head = (await journal.append("bench", batch, head)).lastSeq;
    },
    batchSize,
  );
  await journal.close();
  return result;
};

/** Appends of one event each, issued without waiting for the previous one, `inFlight` at a time. */
const journalPipelined = (fsync, inFlight) => async (seconds) => {
  const journal = new FsJournal({ dir: freshDir(), fsync });
  let next = 0;
  const result = await rate(
    seconds,
    async () => {
      const appends = [];
      for (let i = 0; i < inFlight; i++, next++)
        appends.push(journal.append("bench", [llmEvent(next)], next - 1));
      await Promise.all(appends);
    },
    inFlight,
  );
  await journal.close();
  return result;
};

/** `threads` threads written at once, one append in flight on each. */
const journalManyThreads = (fsync, threads) => async (seconds) => {
  const journal = new FsJournal({ dir: freshDir(), fsync });
  const heads = new Array(threads).fill(-1);
  let n = 0;
  const result = await rate(
    seconds,
    () =>
      Promise.all(
        heads.map(async (head, t) => {
          heads[t] = (await journal.append(`t${t}`, [llmEvent(n++)], head)).lastSeq;
        }),
      ),
    threads,
  );
  await journal.close();
  return result;
};

/** Raw appendFile + fsync on `threads` files at once. */
const rawManyFiles = (threads) => async (seconds) => {
  const dir = mkdtempSync(join(root, "rawmany-"));
  const files = await Promise.all(Array.from({ length: threads }, (_, t) => open(join(dir, `t${t}`), "a")));
  const result = await rate(
    seconds,
    () =>
      Promise.all(
        files.map(async (file) => {
          await file.appendFile(LINE);
          await file.sync();
        }),
      ),
    threads,
  );
  await Promise.all(files.map((f) => f.close()));
  return result;
};

async function replay(events) {
  const dir = freshDir();
  const writer = new FsJournal({ dir, fsync: "never" });
  for (let seq = 0; seq < events; seq += 1000) {
    const batch = Array.from({ length: Math.min(1000, events - seq) }, (_, i) => llmEvent(seq + i));
    await writer.append("long", batch, seq - 1);
  }
  await writer.close();
  const bytes = statSync(join(dir, "long.jsonl")).size;
  const reader = new FsJournal({ dir });
  globalThis.gc?.();
  const base = process.memoryUsage();
  let peakHeap = 0;
  let peakRss = 0;
  let count = 0;
  const start = performance.now();
  let gcMs = 0;
  for await (const _event of reader.read("long")) {
    if (++count % 5000 === 0) {
      const gcStart = performance.now();
      globalThis.gc?.(); // live memory, not garbage waiting for a collection
      gcMs += performance.now() - gcStart;
      const m = process.memoryUsage();
      peakHeap = Math.max(peakHeap, m.heapUsed - base.heapUsed);
      peakRss = Math.max(peakRss, m.rss - base.rss);
    }
  }
  const seconds = (performance.now() - start - gcMs) / 1000;
  const headStart = performance.now();
  const head = await new FsJournal({ dir }).head("long");
  const headMs = performance.now() - headStart;
  const tailRead = async (journal) => {
    const t = performance.now();
    for await (const _event of journal.read("long", { from: events - 10 }));
    return performance.now() - t;
  };
  const scanMs = await tailRead(new FsJournal({ dir }));
  const seekMs = await tailRead(reader);
  await reader.close();
  if (count !== events || head !== events - 1) throw new Error(`replay read ${count} events, head ${head}`);
  return { events, mb: bytes / 1e6, perSecond: count / seconds, peakHeap, peakRss, headMs, scanMs, seekMs };
}

const fmt = (n) => Math.round(n).toLocaleString("en-US");
const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;

function machine() {
  let disk = "unknown";
  try {
    disk = execFileSync("df", ["--output=source,fstype", tmpdir()], { encoding: "utf8" })
      .trim()
      .split("\n")[1];
  } catch {}
  return `${availableParallelism()} CPUs (nproc), Node ${process.version}, temp folder ${tmpdir()} on ${disk}, ${SECONDS}s per figure`;
}

try {
  console.log(`@loom/journal-fs bench — ${machine()}\n`);
  console.log(`event: llm.completed with a tool call, ${LINE.length} bytes as a line\n`);
  const rows = [];
  const row = (name, r, baselineName) =>
    rows.push(`| ${name} | ${fmt(r.rate)} | ${fmt(r.baseline)} (${baselineName}) | ${r.ratio.toFixed(2)}x |`);
  for (const fsync of ["batch", "always"]) {
    row(
      `fsync=${fsync}, 1 event per append`,
      await compare(journalAppend(fsync, 1), rawAppend(1, true)),
      "raw appendFile+fsync, 1 line",
    );
    row(
      `fsync=${fsync}, batch of 10`,
      await compare(journalAppend(fsync, 10), rawAppend(10, true)),
      "raw appendFile+fsync, 10 lines",
    );
  }
  row(
    "fsync=never, 1 event per append",
    await compare(journalAppend("never", 1), rawAppend(1, true)),
    "raw appendFile+fsync, 1 line",
  );
  row(
    "fsync=never, batch of 10",
    await compare(journalAppend("never", 10), rawAppend(10, true)),
    "raw appendFile+fsync, 10 lines",
  );
  row(
    "fsync=never, 1 event per append",
    await compare(journalAppend("never", 1), rawAppend(1, false)),
    "raw appendFile, no fsync, 1 line",
  );
  for (const inFlight of [8, 64]) {
    for (const fsync of ["batch", "always"]) {
      row(
        `fsync=${fsync}, one thread, ${inFlight} appends in flight`,
        await compare(journalPipelined(fsync, inFlight), rawAppend(1, true)),
        "raw appendFile+fsync, 1 line",
      );
    }
  }
  row(
    "fsync=batch, 8 threads at once",
    await compare(journalManyThreads("batch", 8), rawManyFiles(8)),
    "raw appendFile+fsync on 8 files at once",
  );
  console.log(
    "appends (events/s; a case and its baseline alternate on the same disk, medians of 5 slices):\n",
  );
  console.log("| case | FsJournal events/s | baseline events/s | ratio |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const line of rows) console.log(line);

  console.log(
    "\nreplay (read a whole thread; memory above what it was before reading, sampled after a GC):\n",
  );
  console.log(
    "| events | file | events/s | peak live heap | peak RSS | head() | last 10 events, first read | last 10 events, later reads |",
  );
  console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const events of [10_000, 100_000, 300_000]) {
    const r = await replay(events);
    console.log(
      `| ${fmt(r.events)} | ${r.mb.toFixed(0)} MB | ${fmt(r.perSecond)} | ${mb(r.peakHeap)} | ${mb(r.peakRss)} | ${r.headMs.toFixed(1)} ms | ${r.scanMs.toFixed(1)} ms | ${r.seekMs.toFixed(1)} ms |`,
    );
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
