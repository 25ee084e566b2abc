import { createAgent, readAll, tool } from "@loom/core";
import { ScriptedProvider, type ScriptedTurn, sampleEvents } from "@loom/testing";
import pg from "pg";
import { afterAll, expect, it } from "vitest";
import { z } from "zod";
import { PostgresJournal } from "../src/index.ts";
import { adminPool, DATABASE_URL, dropSchema, observeQueries, uniqueSchema } from "./database.ts";

// The journal keeps the connection its appends go through from one append to the next. These
// check that it gives it back whenever anyone else needs it, and that a kept connection that
// breaks costs nothing.

const schema = uniqueSchema("append_conn");
const admin = adminPool();
afterAll(async () => {
  await dropSchema(admin, schema);
  await admin.end();
});

function poolOfOne(name: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1, application_name: name });
  pool.on("error", () => undefined);
  return pool;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

it("keeps the connection between appends, and gives it back once the event loop turns without one", async () => {
  const pool = poolOfOne(`loom-keep-${schema}`);
  const journal = new PostgresJournal({ pool, schema });
  let connects = 0;
  pool.on("connect", () => connects++);
  pool.on("acquire", () => connects++);
  try {
    await journal.append("kept", sampleEvents(2), -1);
    const before = connects;
    let head = 1;
    for (let i = 0; i < 10; i++) {
      head = (await journal.append("kept", sampleEvents(1, { start: head + 1 }), head)).lastSeq;
    }
    expect(connects, "appends in one turn of the loop take no connection from the pool").toBe(before);
    expect(pool.totalCount).toBe(1);
    expect(pool.idleCount, "kept by the journal right after an append").toBe(0);
    await nextTurn();
    expect(pool.idleCount, "back in the pool once the loop turned without an append").toBe(1);
  } finally {
    await journal.close();
    await pool.end();
  }
});

it("a pool of one still serves others while a run appends back to back", async () => {
  const pool = poolOfOne(`loom-share-${schema}`);
  const journal = new PostgresJournal({ pool, schema });
  try {
    let head = (await journal.append("busy", sampleEvents(1), -1)).lastSeq;
    let appends = 0;
    let answeredAfter: number | undefined;
    let asked: number | undefined;
    for (let i = 0; i < 200; i++) {
      if (i === 20) {
        asked = appends;
        void pool.query("SELECT 1").then(() => {
          answeredAfter = appends;
        });
      }
      head = (await journal.append("busy", sampleEvents(1, { start: head + 1 }), head)).lastSeq;
      appends++;
    }
    await sleep(50);
    expect(answeredAfter, "the other query got the connection").toBeTypeOf("number");
    // Served once the append in flight when it asked ended, not after the run.
    expect(answeredAfter! - asked!).toBeLessThanOrEqual(2);
    expect((await readAll(journal, "busy")).length).toBe(201);
  } finally {
    await journal.close();
    await pool.end();
  }
});

it("a kept connection that breaks between appends is dropped, and the next append takes a new one", async () => {
  const pool = poolOfOne(`loom-broken-${schema}`);
  const journal = new PostgresJournal({ pool, schema });
  let taken: pg.PoolClient | undefined;
  pool.on("acquire", (client) => {
    taken = client;
  });
  try {
    await journal.append("broken", sampleEvents(2), -1);
    expect(pool.idleCount, "still kept: the event loop has not turned").toBe(0);
    // What node-postgres does when the server ends a connection nobody is querying on: an error
    // event on the client, which throws if nobody listens.
    taken!.emit("error", new Error("Connection terminated unexpectedly"));
    expect(pool.totalCount, "the broken connection left the pool").toBe(0);
    await journal.append("broken", sampleEvents(1, { start: 2 }), 1);
    expect((await readAll(journal, "broken")).map((e) => e.seq)).toEqual([0, 1, 2]);
  } finally {
    await journal.close();
    await pool.end();
  }
});

it("close() gives the kept connection back to a pool it does not own", async () => {
  const pool = poolOfOne(`loom-close-${schema}`);
  const journal = new PostgresJournal({ pool, schema });
  await journal.append("closing", sampleEvents(2), -1);
  expect(pool.idleCount).toBe(0);
  await journal.close();
  expect(pool.idleCount).toBe(1);
  await pool.end();
});

/**
 * Counts the statements each of the pool's connections has in flight (the journal's appends: the
 * pool's own queries pass a callback and get no promise): the most at once on one connection, and
 * how many were sent while another was in flight on theirs.
 */
function countInFlight(pool: pg.Pool): { most: number; behind: number } {
  const counts = { most: 0, behind: 0 };
  const inFlight = new Map<pg.PoolClient, number>();
  observeQueries(pool, (client, _config, result) => {
    if (result === undefined) return;
    const before = inFlight.get(client) ?? 0;
    if (before > 0) counts.behind++;
    counts.most = Math.max(counts.most, before + 1);
    inFlight.set(client, before + 1);
    const settled = () => {
      inFlight.set(client, inFlight.get(client)! - 1);
    };
    result.then(settled, settled);
  });
  return counts;
}

/**
 * Four appends to a new thread, each made before the one it follows has settled, through a pool with
 * or without node-postgres's pipeline mode: on a connection the journal already keeps (`warm`), or
 * with none kept, so the first waits for one. Says how many statements one connection had in flight
 * at most, how many connections the pool opened, the seqs the thread holds and how many batch rows.
 */
async function appendsBehind(pipeline: boolean, threadId: string, warm = true) {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4, pipeline });
  const journal = new PostgresJournal({ pool, schema });
  const inFlight = countInFlight(pool);
  try {
    if (warm) await journal.append(`${threadId}-warm`, sampleEvents(1), -1);
    else await journal.migrate();
    // Made while the one before is in flight, expecting its last seq (as a session does, ADR 0016).
    const made = [0, 1, 2, 3].map((i) =>
      journal.append(threadId, sampleEvents(2, { start: 2 * i }), 2 * i - 1),
    );
    const results = await Promise.all(made);
    const { rows } = await admin.query(
      `SELECT count(*)::int AS n FROM "${schema}".batches WHERE thread_id = $1`,
      [threadId],
    );
    return {
      lastSeqs: results.map((r) => r.lastSeq),
      mostInFlight: inFlight.most,
      connections: pool.totalCount,
      seqs: (await readAll(journal, threadId)).map((e) => e.seq),
      batches: rows[0].n as number,
    };
  } finally {
    await journal.close();
    await pool.end();
  }
}

/** What `appendsBehind` says when its four appends landed in order, `mostInFlight` at once on one connection. */
function landedInOrder(mostInFlight: number) {
  // One batch per append: none of them was retried or split.
  return { lastSeqs: [1, 3, 5, 7], mostInFlight, connections: 1, seqs: [0, 1, 2, 3, 4, 5, 6, 7], batches: 4 };
}

it("sends an append made behind one in flight on the same connection, without waiting for it", async () => {
  expect(await appendsBehind(true, "pipelined")).toEqual(landedInOrder(4));
});

it("pipelines appends made behind one still waiting for its connection, once it has one", async () => {
  // A run's first append finds no kept connection: the next ones go behind it all the same.
  expect(await appendsBehind(true, "pipelined-cold", false)).toEqual(landedInOrder(4));
});

it("pipelines an agent run's writes: read-only turns on an instant model, from the run's second write on", async () => {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4, pipeline: true });
  const journal = new PostgresJournal({ pool, schema });
  const inFlight = countInFlight(pool);
  const add = tool({
    name: "add",
    description: "Adds two numbers",
    input: z.object({ a: z.number(), b: z.number() }),
    readOnly: true,
    run: ({ a, b }) => String(a + b),
  });
  const iterations = 20;
  const turns: ScriptedTurn[] = [];
  for (let i = 0; i < iterations - 1; i++) {
    turns.push({ text: "", toolCalls: [{ id: `c${i}`, name: "add", args: { a: i, b: 1 } }] });
  }
  turns.push({ text: "done" });
  try {
    await journal.migrate();
    const agent = createAgent({ journal, tools: [add], provider: new ScriptedProvider({ turns }) });
    const result = await agent.run("go", { threadId: "agent-pipelined" });
    expect(result.status).toBe("completed");
    // Each turn's write is made while the one before is in flight (ADR 0015); it goes out at once,
    // the first one too, whose connection was still being taken (a slow machine may let a few land
    // before the next is made).
    expect(inFlight.most).toBe(2);
    expect(inFlight.behind).toBeGreaterThanOrEqual(iterations / 2);
    expect((await readAll(journal, "agent-pipelined")).at(-1)?.type).toBe("run.completed");
  } finally {
    await journal.close();
    await pool.end();
  }
});

it("an append sent behind one in flight names that batch by its token: it does not send the batch's text again", async () => {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4, pipeline: true });
  const journal = new PostgresJournal({ pool, schema });
  // How much text each batch statement's values hold, by statement name.
  const sent: { name: string; bytes: number }[] = [];
  observeQueries(pool, (_client, config) => {
    if (typeof config === "string" || !config.name?.includes("batch")) return;
    const bytes = (config.values ?? []).reduce<number>((sum, v) => sum + String(v).length, 0);
    sent.push({ name: config.name, bytes });
  });
  // A tool's large output, as a file read returns: 50 kB in each batch.
  const large = (start: number) =>
    sampleEvents(2, { start }).map((event, i) => ({
      ...event,
      type: "tool.completed" as const,
      data: { callId: `c${start + i}`, name: "read", content: `${start + i}:${"x".repeat(50_000)}` },
    }));
  try {
    await journal.append("large-warm", sampleEvents(1), -1);
    await journal.append("large", sampleEvents(1), -1);
    sent.length = 0;
    const made = [0, 1, 2].map((i) => journal.append("large", large(1 + 2 * i), 2 * i));
    expect((await Promise.all(made)).map((r) => r.lastSeq)).toEqual([2, 4, 6]);
    // The first names the batch this journal wrote last, too: its head check proves it is still the head.
    expect(sent.map((s) => s.name.replace(/^.*_batch/, "batch"))).toEqual([
      "batch_after_same",
      "batch_after_same",
      "batch_after_same",
    ]);
    // Each statement carries its own batch (two 50 kB events) and a few numbers, not also the one before.
    for (const { bytes } of sent) expect(bytes).toBeLessThan(110_000);
    const contents = (await readAll(journal, "large")).map((e) => (e.data as { content?: string }).content);
    expect(contents.map((content) => content?.slice(0, 2))).toEqual([
      undefined,
      "1:",
      "2:",
      "3:",
      "4:",
      "5:",
      "6:",
    ]);
    expect(contents.slice(1).every((content) => content?.length === 50_002)).toBe(true);
  } finally {
    await journal.close();
    await pool.end();
  }
});

it("sends an append behind one in flight once that one settles when the pool's connections do not pipeline", async () => {
  expect(await appendsBehind(false, "not-pipelined")).toEqual(landedInOrder(1));
});

it("fails an append sent behind one whose connection was killed, and writes neither", async () => {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4, pipeline: true });
  pool.on("error", () => undefined);
  const journal = new PostgresJournal({ pool, schema });
  const blocker = new pg.Client({ connectionString: DATABASE_URL });
  await blocker.connect();
  try {
    await journal.append("killed", sampleEvents(2), -1);
    // An uncommitted row with the key the next append takes: that append waits on it.
    await blocker.query("BEGIN");
    await blocker.query(
      `INSERT INTO "${schema}".batches (thread_id, first_seq, last_seq, events) VALUES ('killed', 2, 3, '{}')`,
    );
    await journal.append("killed-warm", sampleEvents(1), -1);
    // In the same turn, on the connection the journal keeps: the second is sent behind the first.
    const first = journal.append("killed", sampleEvents(2, { start: 2 }), 1);
    const behind = journal.append("killed", sampleEvents(2, { start: 4 }), 3);
    first.catch(() => undefined);
    behind.catch(() => undefined);
    await sleep(100);
    const { rows } = await admin.query(
      `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
       WHERE wait_event_type = 'Lock' AND query LIKE '%batches%' AND pid <> pg_backend_pid()`,
    );
    expect(rows).toEqual([{ killed: true }]);
    await expect(first).rejects.toThrow();
    await expect(behind).rejects.toThrow();
    await blocker.query("ROLLBACK");
    expect((await readAll(journal, "killed")).map((e) => e.seq)).toEqual([0, 1]);
    // The journal goes on with a new connection.
    expect((await journal.append("killed", sampleEvents(2, { start: 2 }), 1)).lastSeq).toBe(3);
  } finally {
    await blocker.end();
    await journal.close();
    await pool.end();
  }
});
