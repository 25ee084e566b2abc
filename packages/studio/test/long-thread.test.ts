import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Studio, startStudio } from "../src/index.js";
import { fsJournal, longRunEvents, tempDir } from "./helpers.ts";

const EVENTS = 200_000;
const BATCH = 5_000;
const CHROMIUM = "/usr/bin/chromium";
const folder = tempDir("long");
const journal = fsJournal(folder.dir);
let studio: Studio;
let browser: BrowserContext | undefined;

beforeAll(async () => {
  for (let from = 0; from < EVENTS; from += BATCH)
    await journal.append("huge", longRunEvents(BATCH, from), from - 1);
  studio = await startStudio({ journal });
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await studio?.close();
  await journal.close();
  folder.remove();
});

describe("a 200,000-event thread", () => {
  it("answers its newest page of events from the tail, in well under a second", async () => {
    const started = performance.now();
    const response = await fetch(`${studio.origin}/api/threads/huge/events?limit=500`, {
      headers: { authorization: `Bearer ${studio.token}` },
    });
    const body = (await response.json()) as { head: number; events: { seq: number }[] };
    const ms = performance.now() - started;
    expect(body.head).toBe(EVENTS - 1);
    expect(body.events[0]!.seq).toBe(EVENTS - 500);
    expect(ms).toBeLessThan(1_000);
    if (process.env.STUDIO_FIGURES) process.stderr.write(`newest 500 events: ${ms.toFixed(0)} ms\n`);
  });

  it("counts the whole thread for its summary once, then only what is new", async () => {
    const summary = async () => {
      const started = performance.now();
      const response = await fetch(`${studio.origin}/api/threads/huge/summary`, {
        headers: { authorization: `Bearer ${studio.token}` },
      });
      return {
        ms: performance.now() - started,
        body: (await response.json()) as { iterations: number; inputTokens: number },
      };
    };
    const first = await summary();
    const again = await summary();
    // Events 1..199,999 in iterations of 6: the last one has started but not reached its model call.
    expect(first.body.iterations).toBe(33_334);
    expect(first.body.inputTokens).toBe(900 * 33_333);
    expect(again.body).toEqual(first.body);
    expect(again.ms).toBeLessThan(first.ms);
    if (process.env.STUDIO_FIGURES) {
      process.stderr.write(
        `summary: ${first.ms.toFixed(0)} ms the first time, ${again.ms.toFixed(0)} ms again\n`,
      );
    }
  });

  it("explains its last iteration from one read of the thread", async () => {
    const timed = async (path: string) => {
      const started = performance.now();
      const response = await fetch(`${studio.origin}${path}`, {
        headers: { authorization: `Bearer ${studio.token}` },
      });
      const body = await response.text();
      return { ms: performance.now() - started, status: response.status, body };
    };
    const overview = await timed("/api/threads/huge/context");
    expect(overview.status).toBe(200);
    const last = await timed("/api/threads/huge/context?iteration=33333");
    expect(JSON.parse(last.body)).toMatchObject({ iteration: 33_333, totalTokens: 900 });
    // Its changes since the iteration before, message by message: the thread folded up to those seqs.
    const changes = await timed("/api/threads/huge/changes?iteration=33333");
    expect(JSON.parse(changes.body)).toMatchObject({ iteration: 33_333, previous: 33_332 });
    const earlier = await timed("/api/threads/huge/changes?iteration=33000");
    expect(JSON.parse(earlier.body)).toMatchObject({ iteration: 33_000, previous: 32_999 });
    const next = await timed("/api/threads/huge/changes?iteration=33001");
    // The turn of iteration 33,000 (its call and result) is new; the fixture's context covers messages 0–11 only.
    expect(
      JSON.parse(next.body).messages.map((m: { index: number; change: string }) => [m.index, m.change]),
    ).toEqual([
      [65_999, "added-left-out"],
      [66_000, "added-left-out"],
    ]);
    // Folded from a checkpoint (one every 5,000 events), not from seq 0: 26–325 ms over runs, against
    // 350–900 ms for the first; a loose bound, as the machine is shared.
    expect(next.ms).toBeLessThan(1_500);
    if (process.env.STUDIO_FIGURES) {
      process.stderr.write(
        `context overview ${overview.ms.toFixed(0)} ms, one iteration then ${last.ms.toFixed(0)} ms; changes of the last iteration ${changes.ms.toFixed(0)} ms, of an earlier one ${earlier.ms.toFixed(0)} ms, of the one after it ${next.ms.toFixed(0)} ms\n`,
      );
    }
  });

  it("draws the flame graph of a range of seqs, reading only that range", async () => {
    const timed = async (path: string) => {
      const started = performance.now();
      const response = await fetch(`${studio.origin}${path}`, {
        headers: { authorization: `Bearer ${studio.token}` },
      });
      const body = await response.text();
      return { ms: performance.now() - started, status: response.status, body };
    };
    // What the page asks for first: the newest 10,000 events.
    const range = await timed(`/api/threads/huge/flame?from=${EVENTS - 10_000}&to=${EVENTS - 1}`);
    expect(range.status).toBe(200);
    expect(range.body).toContain("<svg");
    expect(range.body).toContain(`events ${EVENTS - 10_000}–${EVENTS - 1} of ${EVENTS}`);
    expect(range.body).toContain(`index_page`);
    expect(range.ms).toBeLessThan(1_500);
    const early = await timed("/api/threads/huge/flame?from=0&to=9999");
    expect(early.body).toContain("events 0–9999 of");
    // Without a range: the newest 50,000 events at most, never the whole 200,000.
    const tail = await timed("/api/threads/huge/flame");
    expect(tail.status).toBe(200);
    expect(tail.body).toContain(`events ${EVENTS - 50_000}–${EVENTS - 1}`);
    const tooWide = await timed("/api/threads/huge/flame?from=0&to=60000");
    expect(tooWide.status).toBe(400);
    expect(JSON.parse(tooWide.body)).toMatchObject({ error: { code: "invalid_range" } });
    if (process.env.STUDIO_FIGURES) {
      process.stderr.write(
        `flame of the newest 10,000 events ${range.ms.toFixed(0)} ms (${(range.body.length / 1e6).toFixed(2)} MB), of events 0–9,999 ${early.ms.toFixed(0)} ms, of the newest 50,000 ${tail.ms.toFixed(0)} ms (${(tail.body.length / 1e6).toFixed(1)} MB)\n`,
      );
    }
  });

  it("opens in Chromium in under 2 s (the tail first), and pages back on demand", async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package.`);
    browser = await chromium.launchPersistentContext(join(folder.dir, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 860 },
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
    });
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(e.message));
    await page.goto(studio.url);
    await page.locator("#threads").waitFor();

    const started = Date.now();
    await page.goto(`${studio.origin}/#/t/huge`);
    const lastCall = EVENTS - 4; // the newest tool.started (each iteration: 6 events)
    await page.locator(`.tool[data-seq="${lastCall}"] .result`).waitFor();
    const openMs = Date.now() - started;
    if (process.env.STUDIO_FIGURES) process.stderr.write(`opened a ${EVENTS}-event thread in ${openMs} ms\n`);
    expect(openMs).toBeLessThan(2_000);
    expect(await page.locator("#load-earlier").textContent()).toBe("Load 500 earlier events");

    await page.locator("#load-earlier").click();
    await page.locator(`.tool[data-seq="${lastCall - 996}"]`).waitFor(); // from the page before
    expect(await page.locator(".conversation .tool").count()).toBe(167); // the tool calls among 1,000 events
    // Still responsive: the events tab of the loaded pages renders and answers a click.
    await page.click("#tab-events");
    await page.locator(`#events tr[data-seq="${EVENTS - 1}"]`).waitFor();

    // The flame tab asks for the newest range only, and pages through ranges.
    const flameStarted = Date.now();
    const flameLoaded = page.waitForResponse((r) => r.url().includes("/flame?"));
    await page.click("#tab-flame");
    const flameResponse = await flameLoaded;
    expect(flameResponse.url()).toContain(`from=${EVENTS - 10_000}&to=${EVENTS - 1}`);
    await page.frameLocator("#flame").locator("svg").first().waitFor();
    const flameMs = Date.now() - flameStarted;
    expect(flameMs).toBeLessThan(3_000);
    expect(await page.locator("#flame-range").textContent()).toContain("Events 190,000–199,999 of 200,000");
    await page.screenshot({
      path: fileURLToPath(new URL("../../../docs/studio-flame.png", import.meta.url)),
    });
    await page.click("#flame-earlier");
    await page.waitForURL(/flame\/180000\/189999$/);
    expect(await page.locator("#flame").getAttribute("src")).toContain("from=180000&to=189999");
    if (process.env.STUDIO_FIGURES)
      process.stderr.write(`flame tab of the newest 10,000 events in ${flameMs} ms\n`);
    expect(problems).toEqual([]);
  });
});
