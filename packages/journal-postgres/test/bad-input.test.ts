import { ConfigError, createAgent, JournalError, MemoryJournal, readAll } from "@loom/core";
import { ScriptedProvider, sampleEvents } from "@loom/testing";
import { afterAll, expect, it } from "vitest";
import { PostgresJournal } from "../src/index.ts";
import { ThreadQueue } from "../src/queue.ts";
import { adminPool, dropSchema, journalIn, uniqueSchema } from "./database.ts";

const schema = uniqueSchema("badinput");
const admin = adminPool();
afterAll(async () => {
  await dropSchema(admin, schema);
  await admin.end();
});

it("stores and reads back, as they were, strings jsonb could not hold: a NUL, unpaired UTF-16 surrogates in data, keys and text fields", async () => {
  const journal = journalIn(schema);
  const events = sampleEvents(4);
  const half = "Hi 👋".slice(0, 4); // half of the emoji
  const odd = structuredClone(events);
  (odd[0] as { runId: string }).runId = half;
  (odd[0] as { data: { input: string } }).data.input = "a literal \\ud83d and a whole 👋";
  (odd[2] as { data: { message: { toolCalls: { arguments: string }[] } } }).data.message
    .toolCalls[0]!.arguments = half;
  (odd[3] as { data: { output: unknown } }).data.output = { text: `a\u0000b ${half} \udc4b tail`, [half]: 1 };
  expect(await journal.append("odd", odd, -1)).toEqual({ lastSeq: 3 });
  const back = await readAll(journal, "odd");
  expect(back).toEqual(odd.map((e, seq) => ({ ...e, threadId: "odd", seq })));
  expect((back[3]!.data as unknown as { output: { text: string } }).output.text).toBe(
    `a\u0000b ${half} \udc4b tail`,
  );
  await journal.close();
});

it("refuses a bad expectedSeq, a non-array batch and work after close() with JournalErrors", async () => {
  const journal = journalIn(schema);
  for (const expected of [-2, 1.5, Number.NaN]) {
    const error = await journal.append("t", sampleEvents(1), expected).catch((e: unknown) => e);
    expect((error as JournalError).code, String(expected)).toBe("invalid_range");
  }
  const error = await journal.append("t", "nope" as never, -1).catch((e: unknown) => e);
  expect((error as JournalError).code).toBe("invalid_events");
  await journal.close();
  expect(() => journal.subscribe("t")).toThrow(/closed/);
  const closed = await journal.head("t").catch((e: unknown) => e);
  expect((closed as JournalError).code).toBe("journal_closed");
});

it("refuses bad queue options, and an agent that writes to another journal", async () => {
  const journal = journalIn(schema);
  expect(() => new ThreadQueue({ journal, heartbeatSeconds: 5 })).toThrow(ConfigError);
  expect(() => new ThreadQueue({ journal, queue: "no spaces" })).toThrow(/queue/);
  expect(() => new ThreadQueue({ journal, bossSchema: "Bad-Schema" })).toThrow(/schema/);
  expect(() => new ThreadQueue({} as never)).toThrow(/journal/);
  expect(() => new ThreadQueue({ journal, queueCacheIntervalSeconds: 0 })).toThrow(
    /queueCacheIntervalSeconds/,
  );
  expect(() => new ThreadQueue({ journal, failoverCheckMs: 50 })).toThrow(/failoverCheckMs/);
  expect(() => new ThreadQueue({ journal, failoverCheckMs: 0 })).not.toThrow();
  const queue = new ThreadQueue({ journal });
  const elsewhere = createAgent({ journal: new MemoryJournal(), provider: new ScriptedProvider([]) });
  await expect(queue.work(elsewhere)).rejects.toThrow(/this queue's journal/);
  const here = createAgent({ journal, provider: new ScriptedProvider([]) });
  await expect(queue.work(here, { burstWhenReadyExceeds: 0 })).rejects.toThrow(/burstWhenReadyExceeds/);
  await expect(queue.enqueue("../x", "hi")).rejects.toThrow(JournalError);
  await queue.stop();
  await journal.close();
});

it("says a server that refuses connections is not reachable, naming it without the password", async () => {
  const journal = new PostgresJournal({
    connectionString: "postgres://loom:s3cret-pass@127.0.0.1:1/loomdb",
    schema,
  });
  const error = await journal.head("any").catch((e: unknown) => e);
  expect(JournalError.isInstance(error) && error.code).toBe("io");
  const message = (error as Error).message;
  expect(message).toContain("PostgreSQL at postgres://loom:***@127.0.0.1:1/loomdb is not reachable");
  expect(message).toContain("(ECONNREFUSED)");
  expect(message).not.toMatch(/rolled back/);
  expect(message).not.toContain("s3cret-pass");
  await journal.close();
});
