import { ConfigError, createAgent, JournalError, MemoryJournal } from "@loom/core";
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

it("refuses event data jsonb cannot hold (a NUL character) with a JournalError that says so, storing nothing", async () => {
  const journal = journalIn(schema);
  const [event] = sampleEvents(1);
  const withNul = { ...event!, data: { input: "a\u0000b" } } as typeof event & {};
  const error = await journal.append("nul", [withNul], -1).catch((e: unknown) => e);
  expect(JournalError.isInstance(error)).toBe(true);
  expect((error as JournalError).message).toMatch(/NUL character/);
  expect(await journal.head("nul")).toBe(-1);
  await journal.close();
});

it("refuses a string with an unpaired UTF-16 surrogate with invalid_events naming the event and field, storing nothing", async () => {
  const journal = journalIn(schema);
  const events = sampleEvents(3);
  const cut = "Hi 👋".slice(0, 4); // half of the emoji
  const broken = structuredClone(events);
  (broken[2] as { data: { message: { toolCalls: { arguments: string }[] } } }).data.message
    .toolCalls[0]!.arguments = cut;
  const error = await journal.append("surrogate", broken, -1).catch((e: unknown) => e);
  expect(JournalError.isInstance(error)).toBe(true);
  expect((error as JournalError).code).toBe("invalid_events");
  expect((error as JournalError).message).toContain("event 2 of the batch (seq 2, llm.completed)");
  expect((error as JournalError).message).toContain("data.message.toolCalls[0].arguments");
  expect((error as JournalError).message).toMatch(/unpaired UTF-16 surrogate.*toWellFormed/s);
  expect(await journal.head("surrogate")).toBe(-1);

  // In a key, in a text column (which would silently become U+FFFD), and a lone low surrogate.
  const withOutput = sampleEvents(4)[3] as { data: { output: unknown } };
  const inKey = { ...withOutput, data: { ...withOutput.data, output: { [cut]: 1 } } } as never;
  expect(((await journal.append("surrogate", [inKey], -1).catch((e) => e)) as Error).message).toMatch(
    /in data\.output \(the key "Hi \\ud83d"\)/,
  );
  const inRunId = { ...events[0]!, runId: cut };
  expect(((await journal.append("surrogate", [inRunId], -1).catch((e) => e)) as Error).message).toContain(
    "in runId",
  );
  const low = { ...events[0]!, data: { input: "\udc4b tail" } } as (typeof events)[0] & {};
  expect(((await journal.append("surrogate", [low], -1).catch((e) => e)) as JournalError).code).toBe(
    "invalid_events",
  );
  expect(await journal.head("surrogate")).toBe(-1);

  // Whole emoji, and text that only looks like an escape, are stored as they are.
  const fine = { ...events[0]!, data: { input: "Hi 👋 and a literal \\ud83d" } } as (typeof events)[0] & {};
  expect(await journal.append("surrogate", [fine], -1)).toEqual({ lastSeq: 0 });
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
