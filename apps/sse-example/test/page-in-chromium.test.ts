import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryJournal, readAll } from "@loom/core";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { exampleAgent, startExampleServer } from "../src/index.js";

const CHROMIUM = "/usr/bin/chromium";
const dir = mkdtempSync(join(tmpdir(), "loom-sse-page-"));
let browser: BrowserContext | undefined;

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function openBrowser(): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: this test opens the example page in Debian's Chromium. Install it with "apt-get install -y chromium".`,
    );
  }
  browser ??= await chromium.launchPersistentContext(join(dir, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
    ],
  });
  return browser;
}

describe("the example page in Chromium", () => {
  it("runs a thread, rides out dropped connections, approves the paused call and shows the answer", async () => {
    const journal = new MemoryJournal();
    const server = await startExampleServer({
      journal,
      agent: exampleAgent(journal, { files: 40, stepMs: 60 }),
    });
    try {
      const page = await (await openBrowser()).newPage();
      const problems: string[] = [];
      page.on("pageerror", (e) => problems.push(e.message));
      page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
      const streams: Promise<string>[] = [];
      page.on("request", (r) => {
        if (r.url().includes("/events")) streams.push(r.allHeaders().then((h) => h["last-event-id"] ?? "-"));
      });
      await page.goto(server.url);
      await page.click("#start button");
      await page.waitForSelector("#events li");
      // Two network blips while the run goes on: EventSource reconnects with Last-Event-ID.
      for (const wait of [200, 1500]) {
        await page.waitForTimeout(wait);
        server.dropConnections();
      }
      await page.waitForSelector("#pending .call button", { timeout: 15_000 });
      expect(await page.textContent("#pending")).toContain("delete_file");
      await page.click("#pending .call button:text('Approve')");
      await page.locator("#status", { hasText: /^completed$/ }).waitFor({ timeout: 15_000 });
      expect(await page.textContent("#answer")).toContain("removed the oldest one");

      const threadId = (await page.textContent("#thread"))!;
      const journaled = (await readAll(journal, threadId)).map((e) => e.seq);
      const shown = await page.$$eval("#events li", (items) =>
        items.map((li) => (li as unknown as { value: number }).value),
      );
      expect(shown).toEqual(journaled);
      // The first stream, a reconnect after each blip (with the last seq seen), one after the approval.
      const lastEventIds = await Promise.all(streams);
      expect(lastEventIds.length).toBeGreaterThanOrEqual(4);
      expect(
        lastEventIds.slice(1, 3).every((id) => /^\d+$/.test(id)),
        lastEventIds.join(" "),
      ).toBe(true);
      // A dropped stream shows as a failed request in the console; nothing else may.
      expect(problems.filter((p) => !/net::ERR_|Failed to load resource/.test(p))).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it("refuses the page and the API without the token", async () => {
    const server = await startExampleServer({ journal: new MemoryJournal() });
    try {
      expect((await fetch(server.origin)).status).toBe(401);
      expect((await fetch(`${server.origin}/api/pending`)).status).toBe(401);
      expect((await fetch(server.url)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
