import type { StoredEvent } from "@loom/core";
import { JournalError } from "@loom/core";
import { sampleEvents } from "@loom/testing";
import { afterAll, expect, it } from "vitest";
import { adminPool, dropSchema, insertBatchRow, journalIn, uniqueSchema } from "./database.ts";

const schema = uniqueSchema("subscribe");
const admin = adminPool();
afterAll(async () => {
  await dropSchema(admin, schema);
  await admin.end();
});

async function take(stream: AsyncIterable<StoredEvent>, count: number): Promise<StoredEvent[]> {
  const got: StoredEvent[] = [];
  if (count === 0) return got;
  for await (const event of stream) {
    got.push(event);
    if (got.length === count) break;
  }
  return got;
}

it("delivers stored events from a seq, then events another process commits, in order, none missed or repeated", async () => {
  const reader = journalIn(schema);
  const writer = journalIn(schema);
  await writer.append("live", sampleEvents(3), -1);

  // Single events and batches, from another pool, racing with the subscription's catch-up read.
  const sizes = [...Array.from({ length: 20 }, (_, i) => (i % 3) + 1), 4, 4, 4, 4, 4];
  const lastSeq = 2 + sizes.reduce((a, b) => a + b, 0);
  const received = take(reader.subscribe("live", { from: 1 }), lastSeq);
  let head = 2;
  for (const size of sizes) {
    await writer.append("live", sampleEvents(size, { start: head + 1 }), head);
    head += size;
  }
  const events = await received;
  expect(events.map((e) => e.seq)).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
  expect(events.every((e) => e.threadId === "live")).toBe(true);
  await Promise.all([reader.close(), writer.close()]);
});

it("ignores other threads, ends on abort and on close", async () => {
  const journal = journalIn(schema);
  await journal.append("quiet", sampleEvents(1), -1);
  const controller = new AbortController();
  const seen: number[] = [];
  const done = (async () => {
    for await (const event of journal.subscribe("quiet", { signal: controller.signal })) seen.push(event.seq);
  })();
  await journal.append("noisy", sampleEvents(5), -1);
  await journal.append("quiet", sampleEvents(1, { start: 1 }), 0);
  for (let i = 0; i < 100 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
  controller.abort();
  await done;
  expect(seen).toEqual([0, 1]);

  const open = (async () => {
    const got: number[] = [];
    for await (const event of journal.subscribe("quiet", { from: 2 })) got.push(event.seq);
    return got;
  })();
  await new Promise((r) => setTimeout(r, 50));
  await journal.close();
  expect(await open).toEqual([]);
});

it("refuses a bad thread id or start seq before touching the database", () => {
  const journal = journalIn(schema, { migrate: false });
  for (const call of [() => journal.subscribe("../x"), () => journal.subscribe("ok", { from: -1 })]) {
    expect(call).toThrow(JournalError);
  }
  return journal.close();
});

it("keeps delivering, none missed, after its LISTEN connection is killed", async () => {
  const app = `loom-listen-${schema}`;
  const reader = journalIn(schema, { poolConfig: { application_name: app } });
  const writer = journalIn(schema);
  await writer.append("survivor", sampleEvents(2), -1);
  const received = take(reader.subscribe("survivor"), 8);
  // Wait for the subscription's LISTEN, then kill that backend.
  let killed = 0;
  for (let i = 0; i < 100 && killed === 0; i++) {
    const { rows } = await admin.query(
      "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'",
      [app],
    );
    killed = rows.length;
    if (killed === 0) await new Promise((r) => setTimeout(r, 20));
  }
  expect(killed).toBe(1);
  let head = 1;
  for (let i = 0; i < 6; i++) {
    await writer.append("survivor", sampleEvents(1, { start: head + 1 }), head);
    head++;
    await new Promise((r) => setTimeout(r, 30));
  }
  expect((await received).map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  await Promise.all([reader.close(), writer.close()]);
});

it("delivers an event whose NOTIFY never came (its appender died between commit and notify) by the backstop read", async () => {
  const journal = journalIn(schema);
  await journal.append("unnotified", sampleEvents(1), -1);
  const received = take(journal.subscribe("unnotified"), 2);
  // Committed as an append would commit it, but with no NOTIFY after: what a crash leaves.
  const [event] = sampleEvents(1, { start: 1 });
  await insertBatchRow(admin, schema, "unnotified", 1, [event!]);
  const started = performance.now();
  const events = await received;
  expect(events.map((e) => e.seq)).toEqual([0, 1]);
  expect(performance.now() - started).toBeLessThan(3_000);
  await journal.close();
});
