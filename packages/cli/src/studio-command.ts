import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { type Agent, type Journal, LoomError } from "@loom/core";
import { CliError } from "./errors.js";
import type { CliIO } from "./output.js";
import { loadAgent, openThreadQueue } from "./steer-commands.js";

interface StudioModule {
  startStudio(options: {
    journal: Journal;
    host?: string;
    port?: number;
    agent?: Agent;
    resume?: (threadId: string) => Promise<unknown>;
    onError?: (error: unknown) => void;
    prices?: unknown;
  }): Promise<{ url: string; close(): Promise<void> }>;
}

/**
 * `loom studio`: serves Loom Studio over the journal until the signal aborts (Ctrl-C), printing the
 * URL with its token. With `--agent`, approvals resume threads in this process with that agent.
 */
export async function studioCommand(
  ctx: { readonly journal: Journal; readonly io: CliIO; readonly signal: AbortSignal },
  opts: {
    agent?: string;
    queue?: string;
    bossSchema?: string;
    host?: string;
    port?: number;
    /** A JSON file of prices, as `startStudio({ prices })` takes them. */
    prices?: string;
  },
): Promise<void> {
  let studio: StudioModule;
  try {
    studio = (await import("@loom/studio" as string)) as StudioModule;
  } catch {
    throw new CliError(
      "missing_package",
      "loom studio needs @loom/studio: install it next to @loom/cli (npm install @loom/studio).",
    );
  }
  if (opts.agent && opts.queue) throw new CliError("usage", "Give --agent or --queue, not both.");
  const prices = opts.prices ? await readPrices(resolve(ctx.io.cwd, opts.prices)) : undefined;
  const agent = opts.agent ? await loadAgent(opts.agent, ctx.io.cwd, ctx.journal) : undefined;
  const queue = opts.queue ? await openThreadQueue(ctx.journal, opts.queue, opts.bossSchema) : undefined;
  try {
    const running = await studio
      .startStudio({
        journal: ctx.journal,
        ...(opts.host ? { host: opts.host } : {}),
        ...(opts.port !== undefined ? { port: opts.port } : {}),
        ...(agent ? { agent } : {}),
        ...(queue ? { resume: (threadId: string) => queue.resume(threadId) } : {}),
        ...(prices !== undefined ? { prices } : {}),
        onError: (error) =>
          ctx.io.stderr.write(`loom studio: ${error instanceof Error ? error.message : String(error)}\n`),
      })
      .catch((error: unknown) => {
        // Prices of the wrong shape: the person's file, a usage error.
        if (LoomError.isInstance(error) && error.code === "invalid_config")
          throw new CliError("usage", error.message);
        throw error;
      });
    const steering = agent
      ? `Decisions resume threads with agent "${agent.name}".`
      : queue
        ? `Decided threads are handed to the workers of queue "${opts.queue}".`
        : "No --agent or --queue: decisions are journaled; the thread's own runner resumes it.";
    ctx.io.stdout.write(`Loom Studio: ${running.url}\n${steering} Ctrl-C stops it.\n`);
    await new Promise<void>((done) => {
      if (ctx.signal.aborted) return done();
      ctx.signal.addEventListener("abort", () => done(), { once: true });
    });
    await running.close();
  } finally {
    await queue?.stop({ timeoutMs: 5_000 });
  }
}

async function readPrices(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new CliError("usage", `--prices: cannot read ${path}.`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(
      "usage",
      `--prices: ${path} is not JSON; write { "<provider>": { "<model>": { "input": 2, "output": 8, "cached": 0.5 } } } in US dollars per million tokens.`,
    );
  }
}
