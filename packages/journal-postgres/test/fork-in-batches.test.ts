import { type NewEvent, readAll } from "@loom/core";
import { sampleEvents } from "@loom/testing";
import { afterAll, expect, it } from "vitest";
import { adminPool, dropSchema, journalIn, uniqueSchema } from "./database.ts";

const schema = uniqueSchema("fork_batches");
const admin = adminPool();
afterAll(async () => {
  await dropSchema(admin, schema);
  await admin.end();
});

const child = (event: NewEvent): NewEvent => ({
  ...event,
  frameId: "child",
  parentFrameId: "root",
  depth: 1,
});

it("forks in the middle of a batch: the copy ends at the seq, and its status comes from the last root event before it, batches back", async () => {
  const journal = journalIn(schema);
  const statusOf = async (threadId: string) => {
    for await (const info of journal.threads({ prefix: threadId }))
      if (info.threadId === threadId) return info;
  };
  // Root events, then a run that completes, then 9 batches of a sub-agent's events only (depth 1).
  const completed = { ...sampleEvents(1)[0]!, type: "run.completed", data: { text: "done" } } as NewEvent;
  let head = (await journal.append("source", [...sampleEvents(3), completed], -1)).lastSeq;
  for (let i = 0; i < 9; i++) {
    head = (await journal.append("source", sampleEvents(3, { start: 4 + i * 3 }).map(child), head)).lastSeq;
  }
  const source = await readAll(journal, "source");
  expect(source).toHaveLength(31);

  // Seq 29 is the middle of the last batch (28 to 30); the last root event is seq 3, nine batches back.
  await journal.fork("source", 29, "fork-a");
  expect(await readAll(journal, "fork-a")).toEqual(
    source.slice(0, 30).map((e) => ({ ...e, threadId: "fork-a" })),
  );
  expect(await statusOf("fork-a")).toMatchObject({ lastSeq: 29, eventCount: 30, status: "completed" });
  expect(await journal.head("fork-a")).toBe(29);

  // At seq 2 (in the first batch, before run.completed): still running.
  await journal.fork("source", 2, "fork-b");
  expect(await statusOf("fork-b")).toMatchObject({ lastSeq: 2, status: "running" });
  expect((await readAll(journal, "fork-b")).map((e) => e.seq)).toEqual([0, 1, 2]);

  // A fork goes on from where it was cut, and the source is untouched.
  await journal.append("fork-a", sampleEvents(2, { start: 30 }).map(child), 29);
  expect((await readAll(journal, "fork-a")).map((e) => e.seq)).toEqual([...Array(32).keys()]);
  expect(await readAll(journal, "source")).toEqual(source);
  await journal.close();
});
