import type { NewEvent } from "@loom/core";
import { plainJournal, sampleEvents } from "@loom/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Studio, startStudio } from "../src/index.js";
import { CountingJournal, followThreadList } from "./helpers.ts";

const THREADS = 100_000;
const journal = new CountingJournal();
let studio: Studio;

const id = (n: number) => `t-${String(n).padStart(6, "0")}`;

beforeAll(async () => {
  const started = sampleEvents(1);
  const completed: NewEvent[] = [
    ...started,
    {
      v: 1,
      runId: "run-1",
      ts: 1,
      frameId: "root",
      depth: 0,
      iteration: 0,
      type: "run.completed",
      data: { text: "ok" },
    },
  ];
  for (let n = 0; n < THREADS; n++) await journal.append(id(n), n % 1000 === 999 ? completed : started, -1);
  studio = await startStudio({ journal });
}, 120_000);
afterAll(async () => {
  await studio?.close();
});

const page_ = (query: string) => page(query);

async function page(query: string): Promise<{ ms: number; threads: { threadId: string }[]; next?: string }> {
  const started = performance.now();
  const response = await fetch(`${studio.origin}/api/threads?${query}`, {
    headers: { authorization: `Bearer ${studio.token}` },
  });
  const body = (await response.json()) as { threads: { threadId: string }[]; next?: string };
  return { ms: performance.now() - started, ...body };
}

describe("100,000 threads", () => {
  it("list page by page with a cursor, the last page as fast as the first", async () => {
    const first = await page("limit=50");
    expect(first.threads.map((t) => t.threadId)).toEqual(Array.from({ length: 50 }, (_, i) => id(i)));
    const deep = await page(`limit=50&after=${id(THREADS - 31)}`);
    expect(deep.threads.map((t) => t.threadId)).toEqual(
      Array.from({ length: 30 }, (_, i) => id(THREADS - 30 + i)),
    );
    expect(deep.next).toBeUndefined();
    expect(first.ms).toBeLessThan(1_000);
    expect(deep.ms).toBeLessThan(1_000);
    if (process.env.STUDIO_FIGURES) {
      process.stderr.write(`threads page: first ${first.ms.toFixed(0)} ms, last ${deep.ms.toFixed(0)} ms\n`);
    }
  });

  it("filter by status in the journal that keeps the threads: a page of the rare status in one read", async () => {
    const rows = journal.rowsListed;
    const completed = await page("status=completed&limit=50");
    expect(completed.threads.map((t) => t.threadId)).toEqual(
      Array.from({ length: 50 }, (_, i) => id(i * 1000 + 999)),
    );
    expect(completed.next).toBe(id(49 * 1000 + 999));
    expect(journal.rowsListed - rows).toBe(51);
    const rest = await page(`status=completed&limit=50&after=${completed.next}`);
    expect(rest.threads).toHaveLength(50);
    expect(rest.next).toBeUndefined();
  });

  it("over a journal that does not filter, scans at most 5,000 threads at a time, with a cursor to go on", async () => {
    const plain = plainJournal(journal);
    const scanning = await startStudio({ journal: plain });
    const pageOf = async (query: string) =>
      (await fetch(`${scanning.origin}/api/threads?${query}`, {
        headers: { authorization: `Bearer ${scanning.token}` },
      }).then((r) => r.json())) as { threads: { threadId: string }[]; next?: string };
    try {
      const running = await pageOf("status=running&limit=50");
      expect(running.threads).toHaveLength(50);
      // The same filter finds the rare status by scanning on, page after page.
      const found: string[] = [];
      let after: string | undefined;
      let requests = 0;
      do {
        const next = await pageOf(`status=completed&limit=50${after ? `&after=${after}` : ""}`);
        found.push(...next.threads.map((t) => t.threadId));
        after = next.next;
        requests++;
      } while (after && found.length < 10);
      expect(found.slice(0, 10)).toEqual(Array.from({ length: 10 }, (_, i) => id(i * 1000 + 999)));
      expect(requests).toBe(2); // 5,000 threads per scan hold 5 completed ones
    } finally {
      await scanning.close();
    }
  });

  it("follows the open page live without reading the other threads: one keyset read of ≤ 51 rows a second", async () => {
    const live = followThreadList(studio, `limit=50&after=${id(THREADS - 31)}`);
    expect((await live.next()).threads).toHaveLength(30);
    const calls = journal.listCalls;
    const rows = journal.rowsListed;
    const appended = performance.now();
    await journal.append(id(THREADS), sampleEvents(1), -1); // sorts onto this last page
    const page = await live.next();
    const latency = performance.now() - appended;
    expect(page.threads.at(-1)?.threadId).toBe(id(THREADS));
    const reads = journal.listCalls - calls;
    const listed = journal.rowsListed - rows;
    expect(reads).toBeLessThanOrEqual(2);
    expect(listed).toBeLessThanOrEqual(51 * reads);
    // The cost of one read of the page, as the server does it every second while a page shows it.
    const started = performance.now();
    for (let i = 0; i < 20; i++) await page_(`limit=50&after=${id(THREADS - 31)}`);
    const perRead = (performance.now() - started) / 20;
    live.stop();
    expect(latency).toBeLessThan(2_500);
    if (process.env.STUDIO_FIGURES) {
      process.stderr.write(
        `live list of 100,000 threads: a new thread on the open page after ${latency.toFixed(0)} ms; one read of the page ${perRead.toFixed(1)} ms (${reads} read(s), ${listed} rows)\n`,
      );
    }
  });
});
