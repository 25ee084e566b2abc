import { existsSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import {
  CallRefs,
  EVENT_TYPES,
  type EventType,
  type ExecutionFrame,
  type FrameStatus,
  foldAll,
  type Journal,
  listRecentThreads,
  listThreads,
  loadThread,
  pendingApprovals,
  readAll,
  type StoredEvent,
  threadStatusAfter,
  threadUsage,
  watchThread,
} from "@loom/core";
import { CliError } from "./errors.js";
import { type CliIO, painter, progress, table } from "./output.js";

type DebuggerModule = typeof import("@loom/debugger");
let debuggerModule: DebuggerModule | undefined;

/**
 * `@loom/debugger`, imported by the commands that explain or draw a thread: importing it costs
 * about 10 ms (it builds Intl number formats as it loads), which `show`, `events`, `threads` and
 * the others need not pay in their fresh process.
 */
async function loadDebugger(): Promise<DebuggerModule> {
  debuggerModule ??= await import("@loom/debugger");
  return debuggerModule;
}

/** The debugger if a command loaded it (an error the debugger raised means it did). */
export function loadedDebugger(): DebuggerModule | undefined {
  return debuggerModule;
}

export interface CommandContext {
  readonly journal: Journal;
  readonly io: CliIO;
  readonly signal: AbortSignal;
}

/** The thread's last seq; a thread with no events is `thread_not_found`, saying how to list them. */
async function headOf(ctx: CommandContext, threadId: string): Promise<number> {
  const head = await ctx.journal.head(threadId);
  if (head < 0) {
    throw new CliError(
      "thread_not_found",
      `No thread "${threadId}" in this journal. \`loom threads\` lists them.`,
    );
  }
  return head;
}

/** Reads a whole thread, with a progress bar on long ones; a missing thread is an error. */
export async function readThread(ctx: CommandContext, threadId: string): Promise<StoredEvent[]> {
  const head = await headOf(ctx, threadId);
  const bar = progress(ctx.io, `reading ${threadId}`, head + 1);
  const events: StoredEvent[] = [];
  for await (const event of ctx.journal.read(threadId)) {
    events.push(event);
    bar.tick(events.length);
  }
  bar.end();
  return events;
}

export async function threadsCommand(
  ctx: CommandContext,
  opts: {
    prefix?: string;
    limit?: number;
    statuses?: FrameStatus[];
    olderThanMs?: number;
    recent?: boolean;
    json: boolean;
  },
) {
  const rows: string[][] = [["THREAD", "EVENTS", "STATUS", "UPDATED"]];
  const infos = [];
  const common = {
    ...(opts.prefix ? { prefix: opts.prefix } : {}),
    ...(opts.limit ? { limit: opts.limit } : {}),
    ...(opts.statuses ? { statuses: opts.statuses } : {}),
  };
  const updatedBefore = opts.olderThanMs !== undefined ? Date.now() - opts.olderThanMs : undefined;
  const listing = opts.recent
    ? // Last written before the cutoff, most recent first: a page that starts just under it.
      listRecentThreads(ctx.journal, {
        ...common,
        ...(updatedBefore !== undefined ? { before: { updatedAt: updatedBefore, threadId: "" } } : {}),
      })
    : listThreads(ctx.journal, { ...common, ...(updatedBefore !== undefined ? { updatedBefore } : {}) });
  for await (const info of listing) {
    infos.push(info);
    rows.push([
      info.threadId,
      String(info.eventCount),
      info.status ?? "-",
      new Date(info.updatedAt).toISOString(),
    ]);
  }
  if (opts.json) ctx.io.stdout.write(`${JSON.stringify(infos, null, 2)}\n`);
  else ctx.io.stdout.write(infos.length === 0 ? "No threads.\n" : `${table(rows)}\n`);
}

const RESUMED = {
  unfinished: "taken up after the process running it stopped mid-run",
  decisions: "resumed with a human's decisions",
} as const;

function describeEvent(event: StoredEvent, refs: CallRefs): string {
  const name = (callId: string) => refs.of(event.frameId, callId);
  switch (event.type) {
    case "run.started":
      return JSON.stringify(event.data.input);
    case "llm.completed": {
      const calls = (event.data.message.toolCalls ?? []).map((c) => c.name);
      const text = event.data.message.content.replace(/\s+/g, " ");
      return `${calls.length ? `calls ${calls.join(", ")}; ` : ""}${text.length > 60 ? `${text.slice(0, 57)}...` : text} (${event.data.usage.inputTokens}→${event.data.usage.outputTokens} tokens)`;
    }
    case "llm.failed":
      return `${event.data.provider !== undefined ? `${event.data.provider}/${event.data.model ?? ""} ` : ""}${event.data.error.code}: ${event.data.error.message}${event.data.fallback ? " (next provider)" : event.data.willRetry ? " (retrying)" : ""}`;
    case "tool.started":
      return `${event.data.name} [${name(event.data.callId)}] ${JSON.stringify(event.data.args)}`;
    case "tool.step": {
      const value = event.data.value === undefined ? "" : ` = ${JSON.stringify(event.data.value)}`;
      return `[${name(event.data.callId)}] step "${event.data.name}" done${value.length > 64 ? `${value.slice(0, 61)}...` : value}`;
    }
    case "tool.completed":
      return `${event.data.name} [${name(event.data.callId)}]${event.data.error ? ` ERROR ${event.data.error.code}` : ""}: ${event.data.content.slice(0, 60)}`;
    case "context.assembled":
      return `${event.data.totalTokens}/${event.data.budget} tokens, ${event.data.excluded.length} excluded`;
    case "compression.applied":
      return `${event.data.strategy}: ${event.data.tokensBefore} → ${event.data.tokensAfter} tokens`;
    case "approval.requested":
      return event.data.calls.map((c) => `${c.name} [${name(c.callId)}] (${c.reason})`).join(", ");
    case "approval.resolved":
      return `${name(event.data.callId)}: ${event.data.decision}${event.data.reason ? ` (${event.data.reason})` : ""}`;
    case "run.completed":
      return JSON.stringify(event.data.text.slice(0, 80));
    case "run.failed":
      return `${event.data.error.code}: ${event.data.error.message}`;
    case "frame.spawned":
      return `${event.data.name} → frame ${event.data.childFrameId}`;
    case "run.interrupted":
    case "run.cancelled":
      return event.data.reason;
    case "run.resumed":
      return event.data.output
        ? `${RESUMED[event.data.reason]}, with a changed output schema ("${event.data.output.name}" ${event.data.output.hash.slice(0, 8)})`
        : RESUMED[event.data.reason];
    default:
      return "";
  }
}

export function formatEventLine(io: CliIO, event: StoredEvent, refs = new CallRefs()): string {
  const paint = painter(io.stdout, io.env);
  const colour =
    event.type.startsWith("run.failed") || event.type === "llm.failed"
      ? "red"
      : event.type.startsWith("tool.")
        ? "cyan"
        : event.type.startsWith("llm.")
          ? "magenta"
          : event.type.startsWith("approval.") ||
              event.type === "run.interrupted" ||
              event.type === "run.resumed"
            ? "yellow"
            : "gray";
  const indent = "  ".repeat(event.depth);
  return `${paint("dim", String(event.seq).padStart(5))} ${indent}${paint(colour, event.type.padEnd(20))} ${describeEvent(event, refs)}`;
}

export async function eventsCommand(
  ctx: CommandContext,
  threadId: string,
  opts: { types?: string[]; from?: number; to?: number; json: boolean },
) {
  await headOf(ctx, threadId);
  for (const t of opts.types ?? []) {
    const families = new Set(EVENT_TYPES.map((type) => type.split(".")[0]!));
    if (!EVENT_TYPES.includes(t as EventType) && !families.has(t)) {
      throw new CliError(
        "usage",
        `--type "${t}" is not an event type. Types: ${EVENT_TYPES.join(", ")}; or a family: ${[...families].join(", ")}.`,
      );
    }
  }
  const range = {
    ...(opts.from !== undefined ? { from: opts.from } : {}),
    ...(opts.to !== undefined ? { to: opts.to } : {}),
  };
  const refs = new CallRefs();
  for await (const event of ctx.journal.read(threadId, range)) {
    refs.see(event);
    if (opts.types && !opts.types.some((t) => event.type === t || event.type.startsWith(`${t}.`))) continue;
    ctx.io.stdout.write(
      opts.json ? `${JSON.stringify(event)}\n` : `${formatEventLine(ctx.io, event, refs)}\n`,
    );
  }
}

/** The thread's tokens, its sub-agents' included (a frame's own `usage` leaves them out). */
function tokens(root: ExecutionFrame): string {
  const usage = threadUsage(root);
  const subAgents = Object.keys(root.children).length > 0 ? ", sub-agents included" : "";
  return `${usage.inputTokens} tokens in / ${usage.outputTokens} out${subAgents}`;
}

/**
 * The transcript. With `last`, from the thread's latest snapshot (at or before `at`) and the
 * events after it, and only the newest messages: a long thread shows in the time of its end.
 * Without it, every message is shown, so the thread is read once from its start and that one read
 * serves the messages and the resumes (from a snapshot, the messages before it and the resumes
 * were two more reads: 2,800 events parsed for a 1,400-event thread).
 */
export async function showCommand(
  ctx: CommandContext,
  threadId: string,
  opts: { at?: number; last?: number } = {},
) {
  const head = await headOf(ctx, threadId);
  if (opts.at !== undefined && opts.at > head) {
    throw new CliError("usage", `--at ${opts.at} is past the thread's last seq, ${head}.`);
  }
  const range = opts.at !== undefined ? { to: opts.at } : {};
  const bar = progress(ctx.io, `reading ${threadId}`, (opts.at ?? head) + 1);
  let events: StoredEvent[] | undefined;
  let root: ExecutionFrame;
  if (opts.last === undefined) {
    events = [];
    for await (const event of ctx.journal.read(threadId, range)) {
      events.push(event);
      bar.tick(event.seq + 1);
    }
    root = foldAll(threadId, events);
  } else {
    root = await loadThread(ctx.journal, threadId, {
      ...(opts.at !== undefined ? { at: opts.at } : {}),
      onRead: (seq) => bar.tick(seq + 1),
    });
  }
  bar.end();
  const from = opts.last === undefined ? 0 : Math.max(0, root.messages.length - opts.last);
  await root.messages.load(from);
  const paint = painter(ctx.io.stdout, ctx.io.env);
  const out: string[] = [
    `${paint("bold", `Thread ${threadId}`)}: ${root.status}, ${root.iteration} iterations, ${tokens(root)}${opts.at !== undefined ? ` (at seq ${opts.at})` : ""}`,
    "",
  ];
  if (from > 0) out.push(paint("gray", `… ${from} earlier messages (--last ${opts.last})`));
  for (const message of root.messages.slice(from)) {
    if (message.role === "user") out.push(`${paint("green", "user")}: ${message.content}`);
    else if (message.role === "assistant") {
      if (message.content) out.push(`${paint("blue", "assistant")}: ${message.content}`);
      for (const call of message.toolCalls ?? [])
        out.push(`${paint("cyan", "  → call")} ${call.name}(${call.arguments}) [${call.id}]`);
    } else if (message.role === "tool") {
      out.push(
        `${paint(message.isError ? "red" : "cyan", "  ← result")} ${message.name}: ${message.content}`,
      );
    } else out.push(`${paint("gray", "system")}: ${message.content}`);
  }
  const resumes =
    from > 0
      ? []
      : (events ?? (await readAll(ctx.journal, threadId, range))).filter((e) => e.type === "run.resumed");
  if (resumes.length > 0) {
    out.push("");
    for (const e of resumes) out.push(paint("yellow", `↻ seq ${e.seq}: ${RESUMED[e.data.reason]}`));
  }
  if (root.status === "failed" && root.error)
    out.push("", paint("red", `failed: ${root.error.code}: ${root.error.message}`));
  const pending = pendingApprovals(root);
  if (pending.length > 0) {
    out.push("", paint("yellow", `waiting for a human (decide each by its ref):`));
    for (const p of pending)
      out.push(`  ${p.ref}  ${p.name} ${JSON.stringify(p.args)} in frame ${p.frameId}: ${p.reason}`);
  }
  ctx.io.stdout.write(`${out.join("\n")}\n`);
}

export async function explainCommand(
  ctx: CommandContext,
  threadId: string,
  opts: { iteration?: number; component?: string; frame?: string; last?: number; json: boolean },
) {
  const { ContextDebugger, formatComponent, formatIteration, formatSummary } = await loadDebugger();
  let debug: InstanceType<typeof ContextDebugger>;
  if (opts.last !== undefined) {
    // From the latest snapshot before the last N iterations: the end of a long thread only.
    await headOf(ctx, threadId);
    debug = await ContextDebugger.fromJournal(ctx.journal, threadId, {
      lastIterations: opts.last,
      ...(opts.frame ? { frameId: opts.frame } : {}),
    });
  } else {
    const events = await readThread(ctx, threadId);
    if (opts.frame !== undefined && !events.some((e) => e.frameId === opts.frame)) {
      const frames = [...new Set(events.map((e) => e.frameId))];
      throw new CliError(
        "frame_not_found",
        `Thread "${threadId}" has no frame "${opts.frame}". Its frames: ${frames.join(", ")}.`,
      );
    }
    debug = ContextDebugger.fromEvents(events, opts.frame ? { frameId: opts.frame } : {});
  }
  if (opts.iteration !== undefined) {
    const explanation = debug.explainIteration(opts.iteration);
    ctx.io.stdout.write(
      opts.json ? `${JSON.stringify(explanation, null, 2)}\n` : `${formatIteration(explanation)}\n`,
    );
  } else if (opts.component !== undefined) {
    const explanation = debug.explainComponent(opts.component);
    ctx.io.stdout.write(
      opts.json ? `${JSON.stringify(explanation, null, 2)}\n` : `${formatComponent(explanation)}\n`,
    );
  } else {
    ctx.io.stdout.write(
      opts.json ? `${JSON.stringify(debug.toJSON(), null, 2)}\n` : `${formatSummary(debug.summary())}\n`,
    );
  }
}

export async function flameCommand(
  ctx: CommandContext,
  threadId: string,
  opts: { output?: string; idleGapMs?: number | false },
) {
  const events = await readThread(ctx, threadId);
  const { flameGraphHtml, writeFlameText } = await loadDebugger();
  const idle = opts.idleGapMs === undefined ? {} : { idleGapMs: opts.idleGapMs };
  if (opts.output) {
    const file = resolve(ctx.io.cwd, opts.output);
    if (!existsSync(dirname(file))) {
      throw new CliError(
        "usage",
        `Cannot write ${file}: the folder ${dirname(file)} does not exist. Create it, or pick another -o path.`,
      );
    }
    writeFileSync(file, flameGraphHtml(events, { title: `Loom thread ${threadId}`, ...idle }));
    ctx.io.stdout.write(`Wrote ${file}: open it in a browser and hover the bars.\n`);
  } else {
    writeFlameText(events, ctx.io.stdout, idle);
  }
}

export async function forkCommand(ctx: CommandContext, threadId: string, opts: { at: number; to: string }) {
  await ctx.journal.fork(threadId, opts.at, opts.to);
  ctx.io.stdout.write(`Forked ${threadId} at seq ${opts.at} into ${opts.to}.\n`);
}

/** Prints the thread, then new events as they are appended, until it ends (with `untilEnd`) or the signal aborts. */
export async function tailCommand(
  ctx: CommandContext,
  threadId: string,
  opts: { from?: number; untilEnd: boolean; pollMs: number },
) {
  let next = opts.from ?? 0;
  const refs = new CallRefs();
  const print = (event: StoredEvent) => {
    refs.see(event);
    ctx.io.stdout.write(`${formatEventLine(ctx.io, event, refs)}\n`);
    next = event.seq + 1;
    // The run's end: a root-frame event after which the thread is no longer running.
    return opts.untilEnd && threadStatusAfter("running", event) !== "running";
  };
  for await (const event of watchThread(ctx.journal, threadId, {
    fromSeq: next,
    signal: ctx.signal,
    pollIntervalMs: opts.pollMs,
  })) {
    if (print(event)) return;
  }
}
