import { type NewEvent, readAll } from "@loom/core";
import { sampleEvents } from "@loom/testing";
import { afterAll, expect, it } from "vitest";
import { adminPool, dropSchema, journalIn, uniqueSchema } from "./database.ts";

const schema = uniqueSchema("batch_text");
const admin = adminPool();
afterAll(async () => {
  await dropSchema(admin, schema);
  await admin.end();
});

const storedText = async (threadId: string) =>
  (
    await admin.query<{ events: string }>(
      `SELECT events FROM "${schema}".batches WHERE thread_id = $1 ORDER BY first_seq`,
      [threadId],
    )
  ).rows.map((row) => row.events);

it("writes the fields a batch's events share once, and reads every event back as it was", async () => {
  const journal = journalIn(schema);
  const events = sampleEvents(7, { runId: "a-run-id-that-is-long-enough-to-count" });
  await journal.append("shared", events, -1);
  const [text] = await storedText("shared");
  expect(text!.split("a-run-id-that-is-long-enough-to-count")).toHaveLength(2);
  expect(text).not.toContain('"seq"');
  expect(await readAll(journal, "shared")).toEqual(
    events.map((e, seq) => ({ ...e, threadId: "shared", seq })),
  );
  await journal.close();
});

it("keeps each event's own run, frame, parent, depth, iteration and time when a batch mixes them", async () => {
  const journal = journalIn(schema);
  const [root, second, third, fourth] = sampleEvents(4);
  const mixed: NewEvent[] = [
    root!,
    { ...second!, runId: "other-run", ts: 5, iteration: 9 },
    { ...third!, frameId: "child", parentFrameId: "root", depth: 1 },
    { ...fourth!, frameId: "grandchild", parentFrameId: "child", depth: 2, v: 1 },
  ];
  await journal.append("mixed", mixed, -1);
  await journal.append("mixed", [{ ...root!, type: "iteration.started", data: {} }], 3);
  expect(await readAll(journal, "mixed")).toEqual([
    ...mixed.map((e, seq) => ({ ...e, threadId: "mixed", seq })),
    { ...root!, type: "iteration.started", data: {}, threadId: "mixed", seq: 4 },
  ]);
  expect((await readAll(journal, "mixed", { from: 2, to: 3 })).map((e) => e.frameId)).toEqual([
    "child",
    "grandchild",
  ]);
  await journal.close();
});
