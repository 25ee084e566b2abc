import { ConfigError, createAgent, JournalError, MemoryJournal } from "@loom/core";
import { ScriptedProvider, sampleEvents } from "@loom/testing";
import { afterAll, expect, it } from "vitest";
import { ThreadQueue } from "../src/index.ts";
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
  const queue = new ThreadQueue({ journal });
  const elsewhere = createAgent({ journal: new MemoryJournal(), provider: new ScriptedProvider([]) });
  await expect(queue.work(elsewhere)).rejects.toThrow(/this queue's journal/);
  await expect(queue.enqueue("../x", "hi")).rejects.toThrow(JournalError);
  await queue.stop();
  await journal.close();
});
