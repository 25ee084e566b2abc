// `pnpm bench`: append throughput of PostgresJournal as a ratio to a raw multi-row INSERT of the same
// rows on the same pool, measured in the same run; and the time to resume a 10,000-event thread.
// Runs against LOOM_TEST_DATABASE_URL (default: the local loom_test database) in a schema of its own.
import { execSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { cpus } from "node:os";
import { createAgent, MemoryJournal, readAll, tool } from "@loom/core";
import { PostgresJournal } from "@loom/journal-postgres";
import { ScriptedProvider, sampleEvents } from "@loom/testing";
import pg from "pg";
import { z } from "zod";

const url = process.env.LOOM_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/loom_test";
const schema = `bench_${randomUUID().replaceAll("-", "").slice(0, 10)}`;
const POOL_SIZE = 10;
const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE });
const journal = new PostgresJournal({ pool, schema });
const onePool = new pg.Pool({ connectionString: url, max: 1 });
const oneJournal = new PostgresJournal({ pool: onePool, schema });

const RAW_INSERT = `INSERT INTO "${schema}".raw_events (thread_id, seq, v, type, run_id, ts, frame_id, parent_frame_id, depth, iteration, data)
  SELECT $1, * FROM unnest($2::integer[], $3::smallint[], $4::text[], $5::text[], $6::double precision[], $7::text[], $8::text[], $9::integer[], $10::integer[], $11::jsonb[])`;

function columns(events, start) {
  return [
    events.map((_, i) => start + i),
    events.map((e) => e.v),
    events.map((e) => e.type),
    events.map((e) => e.runId),
    events.map((e) => e.ts),
    events.map((e) => e.frameId),
    events.map((e) => e.parentFrameId ?? null),
    events.map((e) => e.depth),
    events.map((e) => e.iteration),
    events.map((e) => JSON.stringify(e.data)),
  ];
}

async function timeIt(body) {
  const started = performance.now();
  await body();
  return performance.now() - started;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Events per second for `appends` appends of `batch` events on one thread, journal and raw INSERT,
 * on ONE connection (a pool of one, shared): both pay the same round trip. The raw INSERT is a
 * prepared statement too, as the journal's append is. Rounds alternate the two so both see the same
 * server state (cache, WAL, autovacuum, other load); figures are the medians of the rounds.
 */
async function appendThroughput(onePool, oneJournal, batch, appends) {
  const batches = Array.from({ length: appends }, (_, i) => sampleEvents(batch, { start: i * batch }));
  const rawThread = `raw-${batch}`;
  const journalThread = `journal-${batch}`;
  const raw = [];
  const journaled = [];
  const rounds = 10;
  const perRound = appends / rounds;
  for (let round = 0; round < rounds; round++) {
    const slice = batches.slice(round * perRound, (round + 1) * perRound);
    const rawMs = await timeIt(async () => {
      for (const [i, events] of slice.entries()) {
        await onePool.query({
          name: "bench-raw-insert",
          text: RAW_INSERT,
          values: [rawThread, ...columns(events, (round * perRound + i) * batch)],
        });
      }
    });
    const journalMs = await timeIt(async () => {
      for (const [i, events] of slice.entries()) {
        await oneJournal.append(journalThread, events, (round * perRound + i) * batch - 1);
      }
    });
    raw.push(((perRound * batch) / rawMs) * 1000);
    journaled.push(((perRound * batch) / journalMs) * 1000);
  }
  return { batch, appends, rawPerSec: median(raw), journalPerSec: median(journaled) };
}

/**
 * Events/s with `threads` threads appending at once (one event per append, each thread awaiting its
 * own), journal vs raw INSERTs with the same concurrency on the same pool: what the pool's
 * connections and Postgres's group commit make of concurrent commits.
 */
async function concurrentThroughput(threads, appendsPerThread) {
  const rounds = 3;
  const raw = [];
  const journaled = [];
  for (let round = 0; round < rounds; round++) {
    const rawMs = await timeIt(() =>
      Promise.all(
        Array.from({ length: threads }, async (_, t) => {
          for (let i = 0; i < appendsPerThread; i++) {
            await pool.query({
              name: "bench-raw-insert",
              text: RAW_INSERT,
              values: [`raw-c${threads}-${round}-${t}`, ...columns(sampleEvents(1, { start: i }), i)],
            });
          }
        }),
      ),
    );
    const journalMs = await timeIt(() =>
      Promise.all(
        Array.from({ length: threads }, async (_, t) => {
          for (let i = 0; i < appendsPerThread; i++) {
            await journal.append(`journal-c${threads}-${round}-${t}`, sampleEvents(1, { start: i }), i - 1);
          }
        }),
      ),
    );
    const total = threads * appendsPerThread;
    raw.push((total / rawMs) * 1000);
    journaled.push((total / journalMs) * 1000);
  }
  return { threads, rawPerSec: median(raw), journalPerSec: median(journaled) };
}

/** A real 10,000-event thread: an agent that calls a tool on each of ~1,430 turns, then answers. */
async function longThread(eventTarget) {
  const iterations = Math.ceil(eventTarget / 7);
  const memory = new MemoryJournal();
  const turns = Array.from({ length: iterations }, (_, i) => ({
    toolCalls: [{ name: "step", args: { n: i } }],
  }));
  turns.push({ text: "finished" });
  const agent = createAgent({
    journal: memory,
    maxIterations: iterations + 5,
    provider: new ScriptedProvider({ mode: "conversation", turns, recordRequests: false }),
    tools: [
      tool({ name: "step", description: "A step.", input: z.object({ n: z.number() }), run: ({ n }) => n }),
    ],
  });
  await agent.run("go", { threadId: "long" });
  const events = await readAll(memory, "long");
  for (let start = 0; start < events.length; start += 1000) {
    const chunk = events.slice(start, start + 1000).map(({ threadId: _t, seq: _s, ...e }) => e);
    await journal.append("long", chunk, start - 1);
  }
  return events.length;
}

async function main() {
  await journal.migrate();
  // The baseline: one row per event, keyed by (thread, seq), as a table without Loom would store them.
  await pool.query(`CREATE TABLE "${schema}".raw_events (
    thread_id text COLLATE "C" NOT NULL, seq integer NOT NULL, v smallint NOT NULL, type text NOT NULL,
    run_id text NOT NULL, ts double precision NOT NULL, frame_id text NOT NULL, parent_frame_id text,
    depth integer NOT NULL, iteration integer NOT NULL, data jsonb NOT NULL, PRIMARY KEY (thread_id, seq))`);
  const appendRows = [];
  for (const [batch, appends] of [
    [1, 2000],
    [10, 800],
    [100, 160],
  ]) {
    appendRows.push(await appendThroughput(onePool, oneJournal, batch, appends));
  }
  const concurrentRows = [];
  for (const [threads, each] of [
    [1, 400],
    [10, 60],
    [100, 8],
  ]) {
    concurrentRows.push(await concurrentThroughput(threads, each));
  }

  const eventCount = await longThread(10_000);
  const resumer = createAgent({
    journal,
    provider: new ScriptedProvider({ mode: "conversation", turns: [] }),
    tools: [
      tool({ name: "step", description: "A step.", input: z.object({ n: z.number() }), run: ({ n }) => n }),
    ],
  });
  const resumeMs = [];
  const rawReadMs = [];
  for (let i = 0; i < 5; i++) {
    rawReadMs.push(
      await timeIt(async () =>
        (
          await pool.query(
            `SELECT events FROM "${schema}".batches WHERE thread_id = 'long' ORDER BY first_seq`,
          )
        ).rows.map((row) => JSON.parse(row.events)),
      ),
    );
    resumeMs.push(
      await timeIt(async () => {
        const result = await resumer.resume("long");
        if (result.status !== "completed") throw new Error("the long thread should be completed");
      }),
    );
  }

  const { rows } = await pool.query("SHOW server_version");
  let disk = "unknown";
  try {
    disk = execSync("df -h --output=source,fstype / | tail -1", { encoding: "utf8" })
      .trim()
      .replace(/\s+/g, " ");
  } catch {}
  console.log(`\n## @loom/journal-postgres bench`);
  console.log(
    `machine: ${cpus().length} CPU (${cpus()[0]?.model ?? "?"}), node ${process.version}, PostgreSQL ${rows[0].server_version} on 127.0.0.1, root fs ${disk}\n`,
  );
  console.log(
    "one connection; raw = a prepared multi-row INSERT of the same rows; medians of 10 interleaved rounds\n",
  );
  console.log("| append | events/s journal | events/s raw INSERT | journal / raw |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const r of appendRows) {
    console.log(
      `| batch of ${r.batch} (${r.appends} appends) | ${Math.round(r.journalPerSec)} | ${Math.round(r.rawPerSec)} | ${(r.journalPerSec / r.rawPerSec).toFixed(2)} |`,
    );
  }
  console.log(
    `\nconcurrent threads, one event per append, pool of ${POOL_SIZE} connections shared by both; medians of 3 interleaved rounds\n`,
  );
  console.log("| threads appending at once | events/s journal | events/s raw INSERT | journal / raw |");
  console.log("| ---: | ---: | ---: | ---: |");
  for (const r of concurrentRows) {
    console.log(
      `| ${r.threads} | ${Math.round(r.journalPerSec)} | ${Math.round(r.rawPerSec)} | ${(r.journalPerSec / r.rawPerSec).toFixed(2)} |`,
    );
  }
  console.log(
    `\nresume of a completed ${eventCount}-event thread (read in pages + validate + fold): median ${median(resumeMs).toFixed(0)} ms; raw SELECT of the same rows: median ${median(rawReadMs).toFixed(0)} ms (ratio ${(median(resumeMs) / median(rawReadMs)).toFixed(1)})`,
  );
}

try {
  await main();
} finally {
  await journal.close();
  await oneJournal.close();
  await onePool.end();
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
}
