import { createAgent } from "@loom/core";
import { ScriptedProvider, sampleEvents } from "@loom/testing";
import pg from "pg";
import { afterAll, expect, it } from "vitest";
import type { PostgresJournal } from "../src/index.ts";
import { listenerLockKey, notifyChannel } from "../src/subscription.ts";
import {
  adminPool,
  DATABASE_URL,
  dropSchema,
  insertBatchRow,
  journalIn,
  observeQueries,
  uniqueSchema,
} from "./database.ts";

// An append is one statement, so one round trip and one commit (ADR 0011). What an iteration of an
// agent costs on Postgres is what that statement costs: these tests fail if an append grows a
// statement (a head read, a BEGIN/COMMIT, a NOTIFY nobody listens to).

const schema = uniqueSchema("round_trips");
const admin = adminPool();
afterAll(async () => {
  await dropSchema(admin, schema);
  await admin.end();
});

/** Every statement the journal's pool sends from now on. */
function recordStatements(journal: PostgresJournal): string[] {
  const sent: string[] = [];
  observeQueries(journal.pool, (_client, config) => {
    sent.push(typeof config === "string" ? config : config.text);
  });
  return sent;
}

const isNotify = (text: string) => text.includes("pg_notify");

async function appendMany(
  journal: PostgresJournal,
  threadId: string,
  count: number,
  from = -1,
): Promise<number> {
  let head = from;
  for (let i = 0; i < count; i++) {
    const size = (i % 3) + 1;
    head = (await journal.append(threadId, sampleEvents(size, { start: head + 1 }), head)).lastSeq;
  }
  return head;
}

it("an append is one statement, and sends no NOTIFY while nobody listens", async () => {
  const journal = journalIn(schema);
  const sent = recordStatements(journal);
  // The first append migrates the schema; count from the second.
  const head = await appendMany(journal, "alone", 1);
  sent.length = 0;
  await appendMany(journal, "alone", 30, head);
  // A NOTIFY would go after the commit, asynchronously: give it time to show.
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(sent.filter(isNotify)).toEqual([]);
  expect(sent).toHaveLength(30);
  await journal.close();
});

it("notifies when a subscriber of another process listens, and stops once it is gone", async () => {
  const writer = journalIn(schema);
  const reader = journalIn(schema);
  const sent = recordStatements(writer);
  const head = await appendMany(writer, "watched", 1);
  // A plain LISTEN of our own sees what the appender sends; it holds no lock, so alone it would not
  // make the writer notify.
  const listener = new pg.Client({ connectionString: DATABASE_URL });
  await listener.connect();
  const payloads: string[] = [];
  listener.on("notification", (message) => payloads.push(message.payload ?? ""));
  await listener.query(`LISTEN "${notifyChannel(schema)}"`);

  const controller = new AbortController();
  const seen: number[] = [];
  const following = (async () => {
    for await (const event of reader.subscribe("watched", { signal: controller.signal }))
      seen.push(event.seq);
  })();
  for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  sent.length = 0;
  const last = await appendMany(writer, "watched", 5, head);
  for (let i = 0; i < 200 && !payloads.includes(`watched ${last}`); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(payloads).toContain(`watched ${last}`);
  expect(sent.filter(isNotify).length).toBeGreaterThan(0);
  for (let i = 0; i < 200 && seen.at(-1) !== last; i++)
    await new Promise((resolve) => setTimeout(resolve, 10));
  expect(seen).toEqual(Array.from({ length: last + 1 }, (_, i) => i));
  controller.abort();
  await following;
  await reader.close();

  // The reader's LISTEN session ends with it, and its lock with it: the writer stops notifying
  // (Postgres ends the session a moment after the socket closes, hence the retries).
  let after = last;
  let notifies = -1;
  for (let i = 0; i < 100 && notifies !== 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    sent.length = 0;
    after = await appendMany(writer, "watched", 1, after);
    await new Promise((resolve) => setTimeout(resolve, 20));
    notifies = sent.filter(isNotify).length;
  }
  expect(notifies).toBe(0);
  await listener.end();
  await writer.close();
});

it("a subscriber that starts while an append found nobody listening waits for its commit, then reads it", async () => {
  const app = `loom-late-${schema}`;
  const writer = journalIn(schema);
  const reader = journalIn(schema, { poolConfig: { application_name: app } });
  const head = await appendMany(writer, "late", 1);
  // What an append that found no listener holds until its commit: the listener lock, exclusively.
  const appender = await admin.connect();
  await appender.query("BEGIN");
  await appender.query(`SELECT pg_advisory_xact_lock(${listenerLockKey(schema)})`);
  const [event] = sampleEvents(1, { start: head + 1 });
  await insertBatchRow(appender, schema, "late", head + 1, [event!]);

  const seen: number[] = [];
  const controller = new AbortController();
  const following = (async () => {
    for await (const e of reader.subscribe("late", { signal: controller.signal })) seen.push(e.seq);
  })();
  // The subscriber's LISTEN connection waits on the lock: it has read nothing yet.
  let waiting = 0;
  for (let i = 0; i < 200 && waiting === 0; i++) {
    const { rows } = await admin.query(
      "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock' AND wait_event = 'advisory'",
      [app],
    );
    waiting = rows.length;
    if (waiting === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(waiting).toBe(1);
  expect(seen).toEqual([]);
  await appender.query("COMMIT");
  appender.release();
  for (let i = 0; i < 200 && seen.length < head + 2; i++)
    await new Promise((resolve) => setTimeout(resolve, 10));
  expect(seen).toEqual(Array.from({ length: head + 2 }, (_, i) => i));

  // From now on the writer sees the lock held and notifies.
  const sent = recordStatements(writer);
  await appendMany(writer, "late", 1, head + 1);
  for (let i = 0; i < 100 && !sent.some(isNotify); i++)
    await new Promise((resolve) => setTimeout(resolve, 10));
  expect(sent.some(isNotify)).toBe(true);
  controller.abort();
  await following;
  await Promise.all([reader.close(), writer.close()]);
});

it("writes the thread's row only when its status changes, and keeps threads() right when another writer changed it in between", async () => {
  const one = journalIn(schema);
  const other = journalIn(schema);
  const status = async () => {
    for await (const info of one.threads({ prefix: "status" })) return info.status;
  };
  const rowVersion = async () =>
    (await admin.query(`SELECT xmin::text AS v FROM "${schema}".threads WHERE thread_id = 'status'`)).rows[0]
      .v;
  const [started, ...rest] = sampleEvents(4);
  const completed = {
    ...sampleEvents(1, { start: 4 })[0]!,
    type: "run.completed",
    data: { text: "done" },
  } as never;
  let head = (await one.append("status", [started!], -1)).lastSeq;
  const created = await rowVersion();
  for (const event of rest) head = (await one.append("status", [event], head)).lastSeq;
  expect(await rowVersion()).toBe(created); // "running" all along: the row was not written again
  expect(await status()).toBe("running");

  // Another journal completes the thread; the first one's memory of the head is stale now.
  head = (await other.append("status", [completed], head)).lastSeq;
  expect(await status()).toBe("completed");
  await expect(one.append("status", sampleEvents(1, { start: 1 }), head - 1)).rejects.toThrow(/expected/i);
  head = (await one.append("status", sampleEvents(1, { start: 1 }), head)).lastSeq;
  expect(await status()).toBe("running");
  await Promise.all([one.close(), other.close()]);
});

it("a run continuing a thread its agent ran last reads one page from where that run ended, and no snapshot", async () => {
  const journal = journalIn(schema);
  const agent = createAgent({
    journal,
    provider: new ScriptedProvider({ turns: [{ text: "one" }, { text: "two" }, { text: "three" }] }),
  });
  await agent.run("first", { threadId: "continued" });
  const sent = recordStatements(journal);
  const second = await agent.run("second", { threadId: "continued" });
  expect(second).toMatchObject({ status: "completed", text: "two" });
  const reads = sent.filter(
    (text) => text.includes(`FROM "${schema}".batches`) && text.trimStart().startsWith("SELECT"),
  );
  expect(reads).toHaveLength(1);
  expect(reads[0]).toContain("first_seq <= $3");
  // Another agent (another process, say) has not run it: it loads the thread, snapshot first.
  const other = createAgent({ journal, provider: new ScriptedProvider({ turns: [{ text: "four" }] }) });
  sent.length = 0;
  await other.run("third", { threadId: "continued" });
  expect(sent.some((text) => text.includes("snapshot_seq IS NOT NULL"))).toBe(true);
  await journal.close();
});
