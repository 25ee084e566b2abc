// Resuming a long thread (issue 14): the time to load a thread's state (what `resume`, `stateAt`,
// the CLI and the operator functions do first), for threads of 10,000 and 100,000 events, on
// journal-fs and journal-postgres, each beside its same-run baseline: reading the raw thread (the
// file read and every line JSON.parsed; every row selected). With snapshots (the default: the latest
// one and the events after it) and, for contrast, without (every event folded from the first).
//
// The workload: one tool call per iteration, an assistant text of ~200 characters and a tool result
// of ~400 (7 events an iteration), the default 128,000-token window. Each measurement opens a fresh
// journal (no cache of the thread in the process); variants interleave round by round; medians.
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createAgent, type Journal, loadThread, type NewEvent, readAll, tool } from "@loom/core";
import { FsJournal } from "@loom/journal-fs";
import { PostgresJournal } from "@loom/journal-postgres";
import { ScriptedProvider } from "@loom/testing";
import pg from "pg";
import { z } from "zod";

const ROUNDS = Number(process.env.LOOM_BENCH_RESUME_ROUNDS ?? 9);
const DATABASE = process.env.LOOM_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/loom_test";
const SIZES = [10_000, 100_000];
const EVENTS_PER_ITERATION = 7;
/** States at points spread over this many events before the head: about one snapshot interval. */
const SPREAD = 1_500;

/** Runs the workload on `journal` until the thread has about `events` events. */
async function build(journal: Journal, threadId: string, events: number): Promise<void> {
  const iterations = Math.ceil(events / EVENTS_PER_ITERATION);
  let n = 0;
  const agent = createAgent({
    journal,
    tools: [
      tool({
        name: "lookup",
        description: "Looks a page up",
        input: z.object({ page: z.number() }),
        run: ({ page }) => `page ${page}: ${"lorem ipsum dolor sit amet ".repeat(15)}`,
      }),
    ],
    maxIterations: iterations + 1,
    maxRepeatedToolCalls: iterations + 1,
    maxNearRepeatedToolCalls: 0,
    provider: new ScriptedProvider({
      recordRequests: false,
      select: () => (n++ < iterations - 1 ? 0 : 1),
      turns: [
        {
          text: `Reading on. ${"the next page should say more about it ".repeat(5)}`,
          toolCalls: [{ name: "lookup", args: { page: 1 } }],
        },
        { text: "done" },
      ],
    }),
  });
  await agent.run("Read the whole book", { threadId });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** `node --expose-gc` (as `pnpm bench` runs it): the garbage of one measurement is not the next one's. */
const collect = (globalThis as { gc?: () => void }).gc;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  collect?.();
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const root = mkdtempSync(join(tmpdir(), "loom-bench-resume-"));
const pool = new pg.Pool({ connectionString: DATABASE, max: 2 });
const schema = `bench_resume_${randomUUID().slice(0, 8)}`;
const postgres = new PostgresJournal({ connectionString: DATABASE, schema });

try {
  process.stderr.write("building threads");
  const builder = new FsJournal({ dir: root, fsync: "never" });
  const threads: {
    size: number;
    id: string;
    events: number;
    snapshots: number;
    snapshotSeq: number;
    after: number;
    snapshotBytes: number;
    bytes: number;
  }[] = [];
  for (const size of SIZES) {
    const id = `thread-${size}`;
    await build(builder, id, size);
    const events = await readAll(builder, id);
    // The same events in Postgres, in batches as a run writes them.
    for (let i = 0; i < events.length; i += 500) {
      const batch = events.slice(i, i + 500).map(({ threadId: _t, seq: _s, ...rest }) => rest as NewEvent);
      await postgres.append(id, batch, i - 1);
    }
    threads.push({
      size,
      id,
      events: events.length,
      snapshots: events.filter((e) => e.type === "snapshot").length,
      snapshotSeq: events.findLast((e) => e.type === "snapshot")!.seq,
      after: events.length - 1 - events.findLast((e) => e.type === "snapshot")!.seq,
      snapshotBytes: JSON.stringify(events.findLast((e) => e.type === "snapshot")).length,
      bytes: readFileSync(join(root, `${id}.jsonl`)).length,
    });
    process.stderr.write(".");
  }
  await builder.close();
  process.stderr.write("\n");

  const head = (size: number) => threads.find((t) => t.size === size)!.events;
  // Where each thread ends is not as far from its latest snapshot (the threads' lengths place
  // snapshots differently), so the fair comparison of lengths is at the same distance past it.
  const common = Math.min(...threads.map((t) => t.after));
  const nearSnapshot = (size: number, round: number) =>
    threads.find((t) => t.size === size)!.snapshotSeq + ((round * 53) % (common + 1));
  const samples = new Map<string, number[]>();
  const add = (key: string, ms: number) => samples.set(key, [...(samples.get(key) ?? []), ms]);
  for (let round = 0; round < ROUNDS; round++) {
    for (const { size, id } of threads) {
      add(
        `fs raw ${size}`,
        await timed(async () => {
          const text = readFileSync(join(root, `${id}.jsonl`), "utf8");
          let n = 0;
          for (const line of text.split("\n")) if (line) n += JSON.parse(line).seq >= 0 ? 1 : 0;
          return n;
        }),
      );
      const fresh = new FsJournal({ dir: root });
      add(`fs loom ${size}`, await timed(() => loadThread(fresh, id)));
      // A thread stopped anywhere: its state at points spread over one snapshot interval.
      const at = head(size) - 1 - ((round * 211) % SPREAD);
      const freshAt = new FsJournal({ dir: root });
      add(`fs at ${size}`, await timed(() => loadThread(freshAt, id, { at })));
      await freshAt.close();
      const freshNear = new FsJournal({ dir: root });
      add(`fs near ${size}`, await timed(() => loadThread(freshNear, id, { at: nearSnapshot(size, round) })));
      await freshNear.close();
      await fresh.close();
      const viaAgent = new FsJournal({ dir: root });
      const agent = createAgent({ journal: viaAgent, provider: new ScriptedProvider({ turns: [] }) });
      add(`fs resume ${size}`, await timed(() => agent.resume(id)));
      await viaAgent.close();
      if (size === SIZES[0] || round < 3) {
        const plain = new FsJournal({ dir: root });
        add(`fs nosnap ${size}`, await timed(() => loadThread(plain, id, { snapshots: false })));
        await plain.close();
      }
      add(
        `pg raw ${size}`,
        // The rows as stored (one per append) and their JSON parsed, as a reader without Loom would.
        await timed(async () =>
          (
            await pool.query<{ events: string }>(
              `SELECT events FROM ${schema}.batches WHERE thread_id = $1 ORDER BY first_seq`,
              [id],
            )
          ).rows.map((row) => JSON.parse(row.events)),
        ),
      );
      add(`pg loom ${size}`, await timed(() => loadThread(postgres, id)));
      add(
        `pg at ${size}`,
        await timed(() => loadThread(postgres, id, { at: head(size) - 1 - ((round * 211) % SPREAD) })),
      );
      add(`pg near ${size}`, await timed(() => loadThread(postgres, id, { at: nearSnapshot(size, round) })));
      const pgAgent = createAgent({ journal: postgres, provider: new ScriptedProvider({ turns: [] }) });
      add(`pg resume ${size}`, await timed(() => pgAgent.resume(id)));
      if (size === SIZES[0] || round < 3) {
        add(`pg nosnap ${size}`, await timed(() => loadThread(postgres, id, { snapshots: false })));
      }
    }
  }

  const m = (key: string) => median(samples.get(key) ?? [Number.NaN]);
  const f = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(1)).padStart(7);
  console.log(
    `\nresume of a long thread, ${ROUNDS} interleaved rounds (medians, ms; fresh journal each time) — node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, load ${loadavg()[0]!.toFixed(1)}`,
  );
  for (const t of threads) {
    console.log(
      `  thread of ${t.events} events (${(t.bytes / 1e6).toFixed(1)} MB on disk, ${t.snapshots} snapshots; the latest ${(t.snapshotBytes / 1e3).toFixed(0)} kB, ${t.after} events after it)`,
    );
  }
  console.log(
    "  journal    events   raw read   loadThread  agent.resume   no snapshots   loadThread/raw   stateAt (spread)",
  );
  for (const j of ["fs", "pg"]) {
    for (const { size, events } of threads) {
      const raw = m(`${j} raw ${size}`);
      const loom = m(`${j} loom ${size}`);
      console.log(
        `  ${j === "fs" ? "journal-fs" : "postgres  "} ${String(events).padStart(7)} ${f(raw)}    ${f(loom)}     ${f(m(`${j} resume ${size}`))}        ${f(m(`${j} nosnap ${size}`))}        ${(loom / raw).toFixed(2)}x        ${f(m(`${j} at ${size}`))}`,
      );
    }
  }
  for (const j of ["fs", "pg"]) {
    const [small, big] = SIZES.map((s) => m(`${j} loom ${s}`));
    const [smallAt, bigAt] = SIZES.map((s) => m(`${j} at ${s}`));
    const [smallNear, bigNear] = SIZES.map((s) => m(`${j} near ${s}`));
    console.log(
      `  ${j}: 100,000 events cost ${(big! / small!).toFixed(2)}x 10,000 to load at the head, ${(bigAt! / smallAt!).toFixed(2)}x at points spread over the last ${SPREAD} events, ${(bigNear! / smallNear!).toFixed(2)}x at the same distance (0 to ${common} events) past their latest snapshot (${f(smallNear!)} and ${f(bigNear!)} ms)`,
    );
  }
} finally {
  await postgres.close();
  const client = await pool.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  client.release();
  await pool.end();
  rmSync(root, { recursive: true, force: true });
}
