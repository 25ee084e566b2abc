import type { Agent, Journal } from "@loom/core";
import { CliError } from "./errors.js";
import type { CliIO } from "./output.js";
import { loadAgent } from "./steer-commands.js";

interface StudioModule {
  startStudio(options: {
    journal: Journal;
    host?: string;
    port?: number;
    agent?: Agent;
    onError?: (error: unknown) => void;
  }): Promise<{ url: string; close(): Promise<void> }>;
}

/**
 * `loom studio`: serves Loom Studio over the journal until the signal aborts (Ctrl-C), printing the
 * URL with its token. With `--agent`, approvals resume threads in this process with that agent.
 */
export async function studioCommand(
  ctx: { readonly journal: Journal; readonly io: CliIO; readonly signal: AbortSignal },
  opts: { agent?: string; host?: string; port?: number },
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
  const agent = opts.agent ? await loadAgent(opts.agent, ctx.io.cwd, ctx.journal) : undefined;
  const running = await studio.startStudio({
    journal: ctx.journal,
    ...(opts.host ? { host: opts.host } : {}),
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    ...(agent ? { agent } : {}),
    onError: (error) =>
      ctx.io.stderr.write(`loom studio: ${error instanceof Error ? error.message : String(error)}\n`),
  });
  ctx.io.stdout.write(
    `Loom Studio: ${running.url}\n${agent ? `Decisions resume threads with agent "${agent.name}".` : "No --agent: decisions are journaled; the thread's own runner resumes it."} Ctrl-C stops it.\n`,
  );
  await new Promise<void>((done) => {
    if (ctx.signal.aborted) return done();
    ctx.signal.addEventListener("abort", () => done(), { once: true });
  });
  await running.close();
}
