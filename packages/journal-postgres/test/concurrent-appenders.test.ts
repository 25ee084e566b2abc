import { JournalConflictError, readAll } from "@loom/core";
import { sampleEvents } from "@loom/testing";
import { afterAll, expect, it } from "vitest";
import type { PostgresJournal } from "../src/index.ts";
import { adminPool, dropSchema, journalIn, uniqueSchema } from "./database.ts";

const schema = uniqueSchema("race");
const admin = adminPool();
afterAll(async () => {
  await dropSchema(admin, schema);
  await admin.end();
});

it("10 appenders on their own connections racing on one thread write every seq exactly once, losers get JournalConflictError", async () => {
  const writers = 10;
  const target = 300;
  const journals: PostgresJournal[] = Array.from({ length: writers }, () =>
    journalIn(schema, { poolConfig: { max: 1 } }),
  );
  await journals[0]!.migrate();
  const won = new Set<string>();
  const otherErrors: unknown[] = [];
  let conflicts = 0;

  await Promise.all(
    journals.map(async (journal, w) => {
      for (let attempt = 0; ; attempt++) {
        const head = await journal.head("race");
        if (head + 1 >= target) return;
        const tag = `writer-${w}-attempt-${attempt}`;
        // Odd writers append batches of 3, so batches and single events interleave.
        const batch = sampleEvents(w % 2 === 1 ? 3 : 1, { start: head + 1 }).map((e) => ({
          ...e,
          runId: tag,
        }));
        try {
          await journal.append("race", batch, head);
          won.add(tag);
        } catch (error) {
          if (JournalConflictError.isInstance(error)) conflicts++;
          else otherErrors.push(error);
        }
      }
    }),
  );

  expect(otherErrors).toEqual([]);
  expect(conflicts).toBeGreaterThan(0);
  const stored = await readAll(journals[0]!, "race");
  expect(stored.map((e) => e.seq)).toEqual(stored.map((_, i) => i));
  expect(stored.length).toBeGreaterThanOrEqual(target);
  // Each winning append is in the journal once, whole; no losing append left anything behind.
  const byTag = new Map<string, number[]>();
  for (const event of stored) byTag.set(event.runId, [...(byTag.get(event.runId) ?? []), event.seq]);
  expect(new Set(byTag.keys())).toEqual(won);
  for (const [tag, seqs] of byTag) {
    const size = Number(tag.split("-")[1]) % 2 === 1 ? 3 : 1;
    expect(seqs, tag).toHaveLength(size);
    expect(seqs.at(-1)! - seqs[0]!, tag).toBe(size - 1);
  }
  for await (const info of journals[0]!.threads({ prefix: "race" })) {
    expect(info.lastSeq).toBe(stored.length - 1);
  }
  await Promise.all(journals.map((j) => j.close()));
});
