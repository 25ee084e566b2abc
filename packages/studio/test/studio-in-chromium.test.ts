import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createAgent, listRecentThreads, readAll, tool } from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type Studio, startStudio } from "../src/index.js";
import {
  appendFromAnotherProcess,
  deletingAgent,
  fsJournal,
  pausedThread,
  researchThread,
  tempDir,
} from "./helpers.ts";

const CHROMIUM = "/usr/bin/chromium";
const docs = fileURLToPath(new URL("../../../docs/", import.meta.url));
const folder = tempDir("chromium");
const journal = fsJournal(folder.dir);
const { agent, deleted } = deletingAgent(journal);
let studio: Studio;
let browser: BrowserContext | undefined;

beforeAll(async () => {
  await researchThread(journal, "research-looms");
  await pausedThread(agent, "approve-me");
  await pausedThread(agent, "reject-me");
  await pausedThread(agent, "cleanup-old-logs");
  await appendFromAnotherProcess(folder.dir, "worker-remote", "a task started by another process");
  // Dollars per million tokens of the scripted model every agent here uses.
  studio = await startStudio({
    journal,
    agent,
    pollMs: 100,
    prices: { scripted: { "scripted-model": { input: 3, output: 15 } } },
  });
});
afterAll(async () => {
  await browser?.close();
  await studio?.close();
  await journal.close();
  folder.remove();
});

/** Chromium, started once; checked inside each test, so a missing browser fails the test instead of skipping it. */
async function openBrowser(): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: these tests drive Debian's Chromium. Install it with "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium".`,
    );
  }
  browser ??= await chromium.launchPersistentContext(join(folder.dir, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 860 },
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

/** A page that records console errors and warnings, page errors, and requests that left the studio. */
async function watchedPage(): Promise<{ page: Page; problems: string[] }> {
  const page = await (await openBrowser()).newPage();
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning")
      problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("request", (request) => {
    if (!request.url().startsWith(studio.origin) && !request.url().startsWith("data:")) {
      problems.push(`request outside the studio: ${request.url()}`);
    }
  });
  return { page, problems };
}

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(docs, { recursive: true });
  await page.screenshot({ path: join(docs, name), fullPage: false });
}

describe("Loom Studio in Chromium", () => {
  it("lists threads with status, activity, iterations and tokens", async () => {
    const { page, problems } = await watchedPage();
    await page.goto(studio.url);
    expect(page.url()).toBe(`${studio.origin}/`); // the token left the address bar
    const row = page.locator('tr[data-thread="research-looms"]');
    await row.waitFor();
    await expect.poll(() => row.locator("td").nth(4).textContent()).toBe("3");
    expect(await row.locator(".badge").textContent()).toBe("completed");
    expect(await page.locator('tr[data-thread="approve-me"] .badge').textContent()).toBe(
      "paused for approval",
    );
    expect(await page.locator('tr[data-thread="worker-remote"] .badge').textContent()).toBe("running");
    await page.selectOption("#status", "paused");
    await expect.poll(() => page.locator("#threads tbody tr").count()).toBe(3);
    await page.selectOption("#status", "");
    await expect.poll(() => page.locator("#threads tbody tr").count()).toBe(5);
    await expect.poll(() => row.locator("td").nth(5).textContent()).not.toBe("…");
    // Cost from the prices the studio was given; a thread without a model call costs nothing.
    await expect.poll(() => row.locator("td.cost").textContent()).toMatch(/^\$0\.\d{4}$/);
    await expect.poll(() => page.locator('tr[data-thread="worker-remote"] td.cost').textContent()).toBe("$0");
    await screenshot(page, "studio-threads.png");
    expect(problems).toEqual([]);
    await page.close();
  });

  it("the list follows the journal: a thread another process starts appears", async () => {
    const { page, problems } = await watchedPage();
    await page.goto(studio.url);
    await page.locator('tr[data-thread="research-looms"]').waitFor();
    await appendFromAnotherProcess(folder.dir, "worker-late", "started while the list was open");
    // Sent by the server (it reads the open page once a second), not found by a re-read of the page.
    await page.locator('tr[data-thread="worker-late"] .badge.running').waitFor({ timeout: 2_500 });
    expect(problems).toEqual([]);
    await page.close();
  });

  it("lists the most recently active threads first, and by id on request; a thread written again moves to the top", async () => {
    await appendFromAnotherProcess(folder.dir, "order-a", "written first");
    await appendFromAnotherProcess(folder.dir, "order-b", "written last");
    const { page, problems } = await watchedPage();
    await page.goto(studio.url);
    await page.locator('tr[data-thread="order-b"]').waitFor();
    const shown = () =>
      page
        .locator("#threads tbody tr[data-thread]")
        .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-thread")!));
    const recent: string[] = [];
    for await (const t of listRecentThreads(journal)) recent.push(t.threadId);
    expect(recent[0]).toBe("order-b");
    expect(await shown()).toEqual(recent);
    await page.selectOption("#order", "id");
    await expect.poll(shown).toEqual([...recent].sort());
    await page.selectOption("#order", "recent");
    await expect.poll(shown).toEqual(recent);
    await appendFromAnotherProcess(folder.dir, "order-a", "written again");
    await expect
      .poll(async () => (await shown()).slice(0, 2), { timeout: 3_000 })
      .toEqual(["order-a", "order-b"]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("lists every call waiting for a human, across threads", async () => {
    const { page, problems } = await watchedPage();
    await page.goto(studio.url);
    await page.locator("#threads tbody tr").first().waitFor();
    await page.click('a[href="#/approvals"]');
    await page.locator(".approval").first().waitFor();
    expect(await page.locator("h2").textContent()).toBe("Waiting for a human: 3");
    expect(await page.locator(".approval b").allTextContents()).toEqual([
      "delete_file",
      "delete_file",
      "delete_file",
    ]);
    expect(await page.locator("h3 a").allTextContents()).toEqual([
      "approve-me",
      "cleanup-old-logs",
      "reject-me",
    ]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("opens a thread: the conversation with tool calls, an error and a nested sub-agent", async () => {
    const { page, problems } = await watchedPage();
    await page.goto(studio.url);
    await page.click('a[href="#/t/research-looms"]');
    const talk = page.locator(".conversation");
    await talk.waitFor();
    expect(await talk.locator(".bubble.user").count()).toBe(2);
    expect(await talk.locator('.tool[data-call="call_s"] .result.error').textContent()).toContain(
      "the archive is offline",
    );
    const sub = talk.locator(".subagent");
    expect(await sub.locator("summary").textContent()).toContain("summarize");
    expect(await sub.locator(".bubble.model").textContent()).toContain("Looms interlace warp and weft");
    expect(await talk.locator(".done").count()).toBe(2);
    await screenshot(page, "studio-thread.png");

    await page.click("#tab-events");
    const rows = page.locator("#events tr[data-seq]");
    await rows.first().waitFor();
    const head = await journal.head("research-looms");
    expect(await rows.count()).toBe(head + 1);
    await rows.nth(2).locator("button").click();
    expect(JSON.parse((await rows.nth(2).locator("pre.raw").textContent()) ?? "")).toMatchObject({ seq: 2 });

    await page.click("#tab-flame");
    const flame = page.frameLocator("#flame");
    await flame.locator("svg").first().waitFor();
    expect(problems).toEqual([]);
    await page.close();
  });

  it("shows under a tool's result the tokens of the model calls the tool made itself", async () => {
    const summarize = tool({
      name: "summarize",
      description: "summarizes with a model",
      input: z.object({}),
      run: (_args, { reportUsage }) => {
        reportUsage({ inputTokens: 1_200, outputTokens: 80 }, { provider: "openai", model: "gpt-mini" });
        return "short";
      },
    });
    await createAgent({
      journal,
      tools: [summarize],
      provider: new ScriptedProvider([{ toolCalls: [{ name: "summarize", args: {} }] }, { text: "Done." }]),
    }).run("Summarize the log", { threadId: "tool-tokens" });
    const { page, problems } = await watchedPage();
    await page.goto(studio.url);
    await page.goto(`${studio.origin}/#/t/tool-tokens`);
    const usage = page.locator(".conversation .tool .tool-usage");
    await usage.waitFor();
    expect(await usage.textContent()).toBe(
      "The tool's own model calls: openai/gpt-mini 1,200 tokens in / 80 out",
    );
    expect(problems).toEqual([]);
    await page.close();
  });

  it("shows the steps a tool call finished (ToolContext.step) inside its card", async () => {
    const order = tool({
      name: "order",
      description: "charges, then sends a receipt",
      input: z.object({}),
      run: async (_args, { step }) => {
        const charge = await step("charge", () => ({ id: "ch_42" }));
        await step("receipt", () => undefined);
        return `charged ${charge.id}`;
      },
    });
    await createAgent({
      journal,
      tools: [order],
      provider: new ScriptedProvider([{ toolCalls: [{ name: "order", args: {} }] }, { text: "Done." }]),
    }).run("Order it", { threadId: "tool-steps" });
    const { page, problems } = await watchedPage();
    await page.goto(studio.url);
    await page.goto(`${studio.origin}/#/t/tool-steps`);
    const steps = page.locator(".conversation .tool .tool-step");
    await steps.first().waitFor();
    expect(await steps.allTextContents()).toEqual(['✓ step charge {"id":"ch_42"}', "✓ step receipt"]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("shows an event another process journals, live", async () => {
    const { page, problems } = await watchedPage();
    await page.goto(studio.url);
    await page.goto(`${studio.origin}/#/t/worker-remote`);
    await page.locator("#live.on").waitFor();
    await appendFromAnotherProcess(folder.dir, "worker-remote", "appended while you watched");
    await page
      .locator(".bubble.user", { hasText: "appended while you watched" })
      .waitFor({ timeout: 10_000 });
    expect(problems).toEqual([]);
    await page.close();
  });

  it("approves a paused call and sees the run finish", async () => {
    const { page, problems } = await watchedPage();
    await page.goto(studio.url);
    await page.goto(`${studio.origin}/#/t/approve-me`);
    const card = page.locator(".approval", { hasText: "delete_file" });
    expect(await card.locator(".muted").textContent()).toBe("delete_file deletes files");
    await card.locator("button.approve").click();
    await page.locator(".done").waitFor({ timeout: 10_000 });
    await page.locator(".tool .result", { hasText: "deleted notes.txt" }).waitFor();
    expect(await page.locator("#approvals .approval").count()).toBe(0);
    expect(deleted).toEqual(["notes.txt"]);
    expect((await readAll(journal, "approve-me")).at(-1)?.type).toBe("run.completed");
    expect(problems).toEqual([]);
    await page.close();
  });

  it("rejects with a reason: the call never runs, the model is told, the run finishes", async () => {
    const { page, problems } = await watchedPage();
    await page.goto(studio.url);
    await page.goto(`${studio.origin}/#/t/reject-me`);
    const card = page.locator(".approval", { hasText: "delete_file" });
    await card.locator(".reject-reason").fill("those notes are mine");
    await card.locator("button.reject").click();
    await page.locator(".done").waitFor({ timeout: 10_000 });
    expect(await page.locator(".bubble.error", { hasText: "Human: reject" }).textContent()).toContain(
      "those notes are mine",
    );
    const events = await readAll(journal, "reject-me");
    expect(events.some((e) => e.type === "tool.started")).toBe(false);
    expect(deleted).toEqual(["notes.txt"]); // only the approved thread's call ran
    expect(problems).toEqual([]);
    await page.close();
  });

  it("opens the context explanation of an iteration", async () => {
    const { page, problems } = await watchedPage();
    await page.goto(studio.url);
    await page.goto(`${studio.origin}/#/t/research-looms/context`);
    await page.locator('a.iteration[data-iteration="3"]').click();
    const explanation = page.locator('#explanation[data-iteration="3"]');
    await explanation.waitFor();
    expect(await explanation.locator("h3").textContent()).toContain("Iteration 3");
    expect(await explanation.locator("table.components").first().textContent()).toContain("system");
    // The window is small on purpose: the oldest history is left out, with the assembler's reason.
    const leftOut = explanation.locator("table.components.excluded");
    expect(await leftOut.textContent()).toContain("history");
    expect(await leftOut.locator("td").nth(4).textContent()).not.toBe("");
    expect(await explanation.locator(".budget .part").count()).toBeGreaterThan(2);
    expect(await explanation.locator(".diff").textContent()).toContain("history");
    expect(await explanation.textContent()).toContain("Changes since iteration 2");
    // What the model saw: the history at that iteration, the oldest turns marked as left out.
    const seen = page.locator("#messages-seen .seen");
    await seen.first().waitFor();
    expect(await page.locator("#messages-seen .seen.left-out").count()).toBeGreaterThan(0);
    expect(await page.locator("#messages-seen .seen.sent").count()).toBeGreaterThan(0);
    expect(await page.locator("#messages-seen .seen.left-out").first().textContent()).toContain(
      "How does a loom work?",
    );
    // Message by message since iteration 2: the four oldest dropped by the compression, a summary
    // sent in their place, the model's answer and the new question added.
    const changes = page.locator("#message-diff");
    expect(await changes.locator('li[data-change="dropped-by-compression"]').count()).toBe(4);
    expect(await changes.locator('li[data-change="summary-added"]').textContent()).toContain(
      "stands for messages 0–3",
    );
    expect(await changes.locator('li[data-change="added"]').last().textContent()).toContain(
      "And the shuttle?",
    );
    // What the system prompt said at that iteration, and what the iteration cost.
    await page.locator('details.component-text[data-id="system"] summary').click();
    expect(await page.locator('details.component-text[data-id="system"] pre').textContent()).toBe(
      "You research textile history.",
    );
    expect(await page.locator("#iteration-cost").textContent()).toMatch(/cost \$0\.\d{4}/);
    await screenshot(page, "studio-context.png");
    expect(problems).toEqual([]);
    await page.close();
  });

  it("forks a thread at a seq, and shows the state at any seq", async () => {
    const { page, problems } = await watchedPage();
    await page.goto(studio.url);
    await page.goto(`${studio.origin}/#/t/research-looms`);
    const fork = page.locator("form.fork").first();
    await fork.locator('input[name="at"]').fill("5");
    await fork.locator('input[name="to"]').fill("research-looms-at-5");
    await fork.locator('button[type="submit"]').click();
    await page.waitForURL(/#\/t\/research-looms-at-5$/);
    await page.locator(".conversation .bubble.user").waitFor();
    expect(await journal.head("research-looms-at-5")).toBe(5);

    await page.goto(`${studio.origin}/#/t/research-looms/state/4`);
    await page.locator("#state-seq").waitFor();
    const messages = page.locator(".messages .bubble");
    expect(await messages.count()).toBe(2); // the question, and the model's turn asking for two tools
    expect(await messages.nth(1).locator(".who").textContent()).toBe("assistant");
    await page.locator("#state-seq").fill("31");
    await page.locator("#state-seq").press("Enter");
    await page.waitForURL(/state\/31$/);
    await expect.poll(() => page.locator(".messages .bubble").count()).toBeGreaterThan(2);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("deletes a thread from its page after a second click, then shows the list without it", async () => {
    await pausedThread(agent, "delete-me");
    const { page, problems } = await watchedPage();
    await page.goto(studio.url);
    await page.goto(`${studio.origin}/#/t/delete-me`);
    await page.locator("#delete").click();
    expect(await page.locator("#delete-confirm").textContent()).toContain(
      "of delete-me? This cannot be undone.",
    );
    await page.locator("#delete-no").click();
    expect(await page.locator("#delete-confirm").isHidden()).toBe(true);
    expect(await journal.head("delete-me")).toBeGreaterThanOrEqual(0);
    await page.locator("#delete").click();
    await page.locator("#delete-yes").click();
    await page.waitForURL(/#\/$/);
    await expect.poll(() => journal.head("delete-me")).toBe(-1);
    await page.locator("#threads").waitFor();
    expect(await page.locator("#threads").textContent()).not.toContain("delete-me");
    expect(problems).toEqual([]);
    await page.close();
  });

  it("cancels a paused thread from its page: its call never runs", async () => {
    const { page, problems } = await watchedPage();
    await page.goto(studio.url);
    await page.goto(`${studio.origin}/#/t/cleanup-old-logs`);
    await page.locator("#cancel-reason").fill("wrong folder");
    await page.locator("#cancel").click();
    await page.locator("#summary .badge.cancelled").waitFor({ timeout: 10_000 });
    const events = await readAll(journal, "cleanup-old-logs");
    expect(events.at(-1)).toMatchObject({ type: "run.cancelled", data: { reason: "wrong folder" } });
    expect(events.some((e) => e.type === "tool.started")).toBe(false);
    expect(await page.locator("#cancel").count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });
});
