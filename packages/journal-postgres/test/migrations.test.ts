import { JournalError } from "@loom/core";
import { sampleEvents } from "@loom/testing";
import { afterAll, expect, it } from "vitest";
import { MIGRATIONS } from "../src/index.ts";
import { adminPool, dropSchema, journalIn, uniqueSchema } from "./database.ts";

const admin = adminPool();
const schemas: string[] = [];
afterAll(async () => {
  for (const schema of schemas) await dropSchema(admin, schema);
  await admin.end();
});

function freshSchema(): string {
  const schema = uniqueSchema("migrate");
  schemas.push(schema);
  return schema;
}

it("migrates explicitly, once, even when many processes migrate at the same time", async () => {
  const schema = freshSchema();
  const journals = Array.from({ length: 4 }, () => journalIn(schema, { migrate: false }));
  const results = await Promise.all(journals.map((j) => j.migrate()));
  const all = MIGRATIONS.map((m) => m.version);
  expect(results.map((r) => r.applied).sort((a, b) => b.length - a.length)).toEqual([all, [], [], []]);
  expect(await journals[0]!.migrate()).toEqual({ applied: [] });
  const { rows } = await admin.query(`SELECT version FROM "${schema}".migrations ORDER BY version`);
  expect(rows.map((r) => r.version)).toEqual(all);
  await Promise.all(journals.map((j) => j.close()));
});

it("migrates on first use by default", async () => {
  const schema = freshSchema();
  const journal = journalIn(schema);
  expect(await journal.append("t", sampleEvents(2), -1)).toEqual({ lastSeq: 1 });
  await journal.close();
});

it("with migrate: false on an empty schema, says to call migrate()", async () => {
  const journal = journalIn(freshSchema(), { migrate: false });
  const error = await journal.append("t", sampleEvents(1), -1).catch((e: unknown) => e);
  expect(JournalError.isInstance(error)).toBe(true);
  expect((error as JournalError).message).toMatch(/call migrate\(\)/);
  await journal.migrate();
  expect(await journal.append("t", sampleEvents(1), -1)).toEqual({ lastSeq: 0 });
  await journal.close();
});

it("refuses a bad schema name or bad options with a ConfigError that does not echo the connection string", () => {
  expect(() => journalIn('x"; DROP TABLE y; --')).toThrow(/not a valid schema name/);
  expect(() => journalIn("ok", { readPageSize: 0 })).toThrow(/readPageSize/);
  let message = "";
  try {
    journalIn("ok", { connectionString: "" });
  } catch (error) {
    message = (error as Error).message;
  }
  expect(message).toMatch(/connectionString/);
});
