import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import {
  type Agent,
  CallRefs,
  cancelRun,
  type Decision,
  type Journal,
  listPendingApprovals,
  type PendingApproval,
  recordDecisions,
} from "@loom/core";
import type { CommandContext } from "./commands.js";
import { formatEventLine } from "./commands.js";
import { CliError } from "./errors.js";
import { painter, table } from "./output.js";

/** Every call waiting for a human, across threads. */
export async function pendingCommand(ctx: CommandContext, opts: { prefix?: string; json: boolean }) {
  const pending = await listPendingApprovals(ctx.journal, opts.prefix ? { prefix: opts.prefix } : {});
  if (opts.json) {
    ctx.io.stdout.write(`${JSON.stringify(pending, null, 2)}\n`);
    return;
  }
  if (pending.length === 0) {
    ctx.io.stdout.write("Nothing waits for a human.\n");
    return;
  }
  const rows = [["THREAD", "CALL", "TOOL", "ARGUMENTS", "REASON"]];
  for (const call of pending) {
    rows.push([
      call.threadId,
      call.ref,
      call.name,
      clip(JSON.stringify(call.args), 60),
      clip(call.reason, 60),
    ]);
  }
  ctx.io.stdout.write(`${table(rows)}\n`);
  const first = pending[0]!;
  ctx.io.stdout.write(
    `\nDecide with: loom approve ${first.threadId} ${first.ref}   or   loom reject ${first.threadId} ${first.ref} --reason "..."\n`,
  );
}

export interface DecideOptions {
  /** Resume the thread in this process with the agent this module exports, once nothing waits. */
  readonly agent?: string;
  /** Postgres: hand the thread to this ThreadQueue's workers once nothing waits. */
  readonly queue?: string;
  /** The pg-boss schema of that queue, when the app set one. */
  readonly bossSchema?: string;
}

/** `loom approve` / `loom reject`: journals a human's decision, then optionally has the run go on. */
export async function decideCommand(
  ctx: CommandContext,
  threadId: string,
  call: string,
  decision: Decision,
  opts: DecideOptions,
) {
  // What would carry the run on is checked first: a mistake there must not leave a half-done decision.
  const agent = opts.agent ? await loadAgent(opts.agent, ctx.io.cwd, ctx.journal) : undefined;
  if (opts.queue) checkQueueJournal(ctx.journal);
  const { recorded, pending } = await recordDecisions(ctx.journal, threadId, { [call]: decision });
  const verb =
    "args" in decision ? "Approved with new arguments" : decision.approve ? "Approved" : "Rejected";
  ctx.io.stdout.write(`${verb}: ${recorded.join(", ")} in thread ${threadId}.\n`);
  if (pending.length > 0) {
    ctx.io.stdout.write(`Still waiting in this thread: ${describePending(pending)}.\n`);
    return;
  }
  if (agent) return resumeWith(ctx, threadId, agent);
  if (opts.queue) return enqueueResume(ctx, threadId, opts.queue, opts.bossSchema);
  ctx.io.stdout.write(
    `Nothing waits now. The run goes on at its next resume: loom resume ${threadId} --agent <module>, a ThreadQueue (--queue), or resume("${threadId}") in your app.\n`,
  );
}

/**
 * `loom cancel <thread>`: journals the cancel of a thread nobody runs; a thread another process runs
 * is asked to cancel through the journal (`cancelRun`), and that process journals it (waited for up
 * to 3 s).
 */
export async function cancelCommand(ctx: CommandContext, threadId: string, reason: string) {
  if ((await cancelRun(ctx.journal, threadId, reason)) === "cancelled") {
    ctx.io.stdout.write(`Cancelled thread ${threadId}: ${reason}\n`);
    return;
  }
  ctx.io.stdout.write(
    `Asked the process running thread ${threadId} to cancel it: ${reason}. It still runs after 3 s (a tool slow to stop); it journals run.cancelled when it stops (loom tail ${threadId} shows it).\n`,
  );
}

/**
 * `loom resume <thread> --agent <module>`: loads the user's agent and resumes the thread in this
 * process, printing its events as they are journaled. The module exports the agent (`agent` or
 * default), or a function that makes one from the journal the CLI opened (`createAgent` from the
 * user's own code, with `journal` passed in), so both write the same journal.
 */
export async function resumeCommand(
  ctx: CommandContext,
  threadId: string,
  opts: { agent?: string; queue?: string },
) {
  if (opts.queue) return enqueueResume(ctx, threadId, opts.queue);
  if (!opts.agent) {
    throw new CliError(
      "usage",
      "loom resume needs --agent <module> (a module exporting your agent, or a function (journal) => agent), or --queue <name> for a Postgres ThreadQueue.",
    );
  }
  return resumeWith(ctx, threadId, await loadAgent(opts.agent, ctx.io.cwd, ctx.journal));
}

async function resumeWith(ctx: CommandContext, threadId: string, agent: Agent) {
  const refs = new CallRefs();
  const stream = agent.resumeStream(threadId, { signal: ctx.signal });
  for await (const event of stream) {
    if (!("seq" in event)) continue;
    refs.see(event);
    ctx.io.stdout.write(`${formatEventLine(ctx.io, event, refs)}\n`);
  }
  const result = await stream.result;
  const paint = painter(ctx.io.stdout, ctx.io.env);
  if (result.status === "completed") {
    ctx.io.stdout.write(`${paint("green", "completed")}: ${result.text}\n`);
  } else {
    ctx.io.stdout.write(
      `${paint("yellow", "paused")} (${result.reason}): waiting for ${describePending(result.pending)}. \`loom pending\` lists them.\n`,
    );
  }
}

function checkQueueJournal(journal: Journal): void {
  if (!("pool" in journal)) {
    throw new CliError(
      "usage",
      "--queue hands a thread to a Postgres ThreadQueue: it needs a postgres:// journal.",
    );
  }
}

/** A Postgres ThreadQueue on the CLI's journal, to hand threads to its workers (`--queue`). */
export async function openThreadQueue(
  journal: Journal,
  queueName: string,
  bossSchema?: string,
): Promise<QueueLike> {
  checkQueueJournal(journal);
  let module: {
    ThreadQueue: new (options: { journal: Journal; queue: string; bossSchema?: string }) => QueueLike;
  };
  try {
    module = (await import("@loom/journal-postgres/queue" as string)) as typeof module;
  } catch {
    throw new CliError(
      "missing_package",
      "--queue needs @loom/journal-postgres and pg-boss installed next to @loom/cli (npm install @loom/journal-postgres pg-boss).",
    );
  }
  return new module.ThreadQueue({ journal, queue: queueName, ...(bossSchema ? { bossSchema } : {}) });
}

async function enqueueResume(ctx: CommandContext, threadId: string, queueName: string, bossSchema?: string) {
  const queue = await openThreadQueue(ctx.journal, queueName, bossSchema);
  try {
    const job = await queue.resume(threadId);
    ctx.io.stdout.write(
      `Handed thread ${threadId} to queue "${queueName}" (job ${job}); a worker resumes it.\n`,
    );
  } finally {
    await queue.stop({ timeoutMs: 5_000 });
  }
}

export interface QueueLike {
  resume(threadId: string): Promise<string>;
  stop(options?: { timeoutMs?: number }): Promise<void>;
}

export async function loadAgent(path: string, cwd: string, journal: Journal): Promise<Agent> {
  const file = isAbsolute(path) ? path : resolve(cwd, path);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new CliError(
      "usage",
      `Cannot load the agent module ${file}: ${(error as Error).message}. Pass a built .js/.mjs file that exports your agent.`,
    );
  }
  const exported = module.agent ?? module.default;
  const agent =
    typeof exported === "function" ? await (exported as (j: Journal) => unknown)(journal) : exported;
  if (!isAgent(agent)) {
    throw new CliError(
      "usage",
      `${file} exports no agent: export \`agent\` (or default) as an agent from createAgent, or a function (journal) => agent.`,
    );
  }
  return agent;
}

function isAgent(value: unknown): value is Agent {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Agent).resumeStream === "function" &&
    typeof (value as Agent).run === "function"
  );
}

function describePending(pending: readonly PendingApproval[]): string {
  return pending.map((p) => `${p.ref} (${p.name})`).join(", ");
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
