import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { buildSpans, flameGraphHtml } from "@loom/debugger";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { countOf, delegatingThread } from "./threads.ts";

const CHROMIUM = "/usr/bin/chromium";
const dir = mkdtempSync(join(tmpdir(), "loom-flame-html-"));
let browser: BrowserContext | undefined;

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("HTML flame graph in headless Chromium", () => {
  it("draws a bar per span, shows details on hover, fetches nothing and logs no error", async () => {
    // Checked inside the test, not in a hook: a missing browser must fail the test, not skip it.
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} is missing: this test opens the flame graph in Debian's Chromium. Install it with "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium".`,
      );
    }
    // A persistent context is how playwright takes a fresh --user-data-dir of our choosing.
    browser = await chromium.launchPersistentContext(join(dir, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    const { events } = await delegatingThread();
    const spans = buildSpans(events);
    const file = join(dir, "flame.html");
    writeFileSync(file, flameGraphHtml(events));

    const page = await browser!.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => (m.type() === "error" || m.type() === "warning") && problems.push(m.text()));
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("request", (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href);

    expect(await page.title()).toBe("Loom flame graph — delegating");
    const count = (selector: string) => page.locator(selector).count();
    expect(await count(".bar")).toBe(spans.length);
    expect(await count('.bar[data-kind="tool"]')).toBe(countOf(events, "tool.completed"));
    expect(await count('.bar[data-kind="llm"]')).toBe(
      countOf(events, "llm.completed") + countOf(events, "llm.failed"),
    );
    expect(await count('.bar[data-kind="frame"]')).toBe(1);
    expect(await count('.bar[data-status="error"]')).toBe(2);

    // The sub-agent's bars sit below the root's (y = depth) and inside the delegating call (x = time).
    const box = async (selector: string) => (await page.locator(selector).first().boundingBox())!;
    const run = await box('.bar[data-kind="run"] rect.box');
    const frame = await box('.bar[data-kind="frame"] rect.box');
    const delegation = await page
      .locator('.bar[data-kind="tool"]', { has: page.locator("text", { hasText: "researcher" }) })
      .locator("rect.box")
      .boundingBox();
    expect(run.width).toBeGreaterThan(1000);
    expect(frame.y).toBeGreaterThan(delegation!.y);
    expect(frame.x).toBeGreaterThanOrEqual(delegation!.x - 1);
    expect(frame.x + frame.width).toBeLessThanOrEqual(delegation!.x + delegation!.width + 1);

    const tooltip = page.locator("#tooltip");
    expect(await tooltip.isVisible()).toBe(false);
    await page.locator('.bar[data-kind="tool"][data-status="error"] rect.box').hover();
    expect(await tooltip.isVisible()).toBe(true);
    const text = await tooltip.textContent();
    expect(text).toMatch(
      /^tool: flaky\nduration: \d+(\.\d+)? ms \(error\)\nframe: root \(depth 0\), iteration 1\n/,
    );
    expect(text).toContain('error: tool_error: Tool "flaky" failed: disk on fire');

    await page.locator('.bar[data-kind="llm"][data-status="ok"] rect.box').first().hover();
    expect(await tooltip.textContent()).toMatch(
      /llm: scripted\/scripted-model[\s\S]*inputTokens: \d+\noutputTokens: \d+/,
    );
    // Text from the thread is shown as text, never run as markup.
    await page.locator('.bar[data-kind="frame"] rect.box').hover();
    expect(await tooltip.textContent()).toContain('input: dig into <loom> & "friends"');
    await page.mouse.move(1, 1);
    expect(await tooltip.isVisible()).toBe(false);

    expect(requests).toEqual([pathToFileURL(file).href]);
    expect(problems).toEqual([]);
  }, 60_000);
});
