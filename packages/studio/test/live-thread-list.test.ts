import type { NewEvent, ThreadInfo, ThreadQuery } from "@loom/core";
import { sampleEvents } from "@loom/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type Studio, startStudio } from "../src/index.js";
import { CountingJournal, followThreadList } from "./helpers.ts";

const completed = (): NewEvent => ({
  v: 1,
  runId: "run-1",
  ts: Date.now(),
  frameId: "root",
  depth: 0,
  iteration: 0,
  type: "run.completed",
  data: { text: "ok" },
});

let studio: Studio | undefined;
afterEach(async () => {
  await studio?.close();
  studio = undefined;
});

describe("the thread list, live", () => {
  it("sends the page, then again when a thread starts or changes status", async () => {
    const journal = new CountingJournal();
    await journal.append("a-1", sampleEvents(1), -1);
    studio = await startStudio({ journal, listPollMs: 100 });
    const live = followThreadList(studio, "limit=50");
    const first = await live.next();
    expect(first.threads.map((t) => [t.threadId, t.status])).toEqual([["a-1", "running"]]);

    await journal.append("a-2", sampleEvents(1), -1);
    const started = await live.next();
    expect(started.threads.map((t) => t.threadId)).toEqual(["a-1", "a-2"]);

    await journal.append("a-1", [completed()], await journal.head("a-1"));
    const finished = await live.next();
    expect(finished.threads.find((t) => t.threadId === "a-1")?.status).toBe("completed");
    live.stop();
  });

  it("is one read per interval however many pages show it, and none once they close", async () => {
    const journal = new CountingJournal();
    for (let n = 0; n < 120; n++)
      await journal.append(`t-${String(n).padStart(3, "0")}`, sampleEvents(1), -1);
    studio = await startStudio({ journal, listPollMs: 100 });
    const clients = [
      followThreadList(studio, "limit=50"),
      followThreadList(studio, "limit=50"),
      followThreadList(studio, "limit=50"),
    ];
    await Promise.all(clients.map((c) => c.next()));
    const calls = journal.listCalls;
    const rows = journal.rowsListed;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const perSecond = journal.listCalls - calls;
    // 3 clients, 100 ms: about 10 reads of one page (51 rows: the page and one to know there is a next), not 30.
    expect(perSecond).toBeGreaterThanOrEqual(5);
    expect(perSecond).toBeLessThanOrEqual(12);
    expect((journal.rowsListed - rows) / perSecond).toBe(51);
    // Nothing changed: nothing more was sent.
    for (const c of clients) expect(c.pages).toHaveLength(1);
    for (const c of clients) c.stop();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = journal.listCalls;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(journal.listCalls).toBe(after);
  });

  it("follows a later page by its cursor: a thread that sorts into it appears", async () => {
    const journal = new CountingJournal();
    for (const id of ["b-1", "b-2", "b-3", "b-5"]) await journal.append(id, sampleEvents(1), -1);
    studio = await startStudio({ journal, listPollMs: 100 });
    const live = followThreadList(studio, "limit=2&after=b-2");
    expect((await live.next()).threads.map((t) => t.threadId)).toEqual(["b-3", "b-5"]);
    await journal.append("b-4", sampleEvents(1), -1);
    const next = await live.next();
    expect(next.threads.map((t) => t.threadId)).toEqual(["b-3", "b-4"]);
    expect(next.next).toBe("b-4");
    live.stop();
  });

  it("reads a slow journal's page less often: at most a tenth of the time goes to reading it", async () => {
    class SlowJournal extends CountingJournal {
      override async *threads(query?: ThreadQuery): AsyncIterable<ThreadInfo> {
        await new Promise((resolve) => setTimeout(resolve, 60));
        yield* super.threads(query);
      }
    }
    const journal = new SlowJournal();
    await journal.append("s-1", sampleEvents(1), -1);
    studio = await startStudio({ journal, listPollMs: 50 });
    const live = followThreadList(studio, "limit=50");
    await live.next();
    const calls = journal.listCalls;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    // Every 50 ms + 60 ms of reading would be 18 reads; ten times 60 ms between reads is about 3.
    expect(journal.listCalls - calls).toBeLessThanOrEqual(5);
    expect(journal.listCalls - calls).toBeGreaterThanOrEqual(1);
    live.stop();
  });
});
