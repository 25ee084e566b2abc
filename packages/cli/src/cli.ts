import { parseArgs } from "node:util";
import { EventSchemaError, type Journal, JournalCorruptionError, JournalError, LoomError } from "@loom/core";
import {
  eventsCommand,
  explainCommand,
  flameCommand,
  forkCommand,
  loadedDebugger,
  showCommand,
  tailCommand,
  threadsCommand,
} from "./commands.js";
import { CliError, EXIT } from "./errors.js";
import { DEFAULT_JOURNAL_URL, openJournal } from "./journal-url.js";
import type { CliIO } from "./output.js";
import { deleteCommand, duration, pruneCommand, statuses } from "./retention-commands.js";
import { cancelCommand, decideCommand, pendingCommand, resumeCommand } from "./steer-commands.js";
import { studioCommand } from "./studio-command.js";

export const USAGE = `loom — look into Loom journals, and steer their threads

Usage: loom [--journal URL] <command> [options]

Commands:
  threads [--prefix P] [--status S,...] [--older-than AGE] [--recent] [--limit N] [--json]
                                                      list threads (those with a status, last written over AGE ago;
                                                      --recent: the most recently written first, else by id)
  events <thread> [--type T,...] [--from N] [--to N] [--json]
                                                      the thread's events (one line each, or JSON lines)
  show <thread> [--last N] [--at SEQ]                 the transcript (the newest N messages; as at SEQ)
  explain <thread> [--iteration N | --component ID] [--frame F] [--last N] [--json]
                                                      what the model saw and why (default: summary)
  flame <thread> [-o file.html] [--idle-gap S|off]    flame graph: HTML file, or text in the terminal;
                                                      idle stretches over S seconds (default 10) drawn narrow
  fork <thread> --at SEQ --to NEW                     copy events 0..SEQ into a new thread
  tail <thread> [--from N] [--until-end]              print events as they are appended

  pending [--prefix P] [--json]                       every call waiting for a human, across threads
  approve <thread> <call> [--args JSON] [--agent M | --queue Q]
                                                      approve a waiting call (by its ref, e.g. call_1@12)
  reject <thread> <call> [--reason R] [--agent M | --queue Q]
                                                      reject it: it never runs; the model is told why
  resume <thread> (--agent M | --queue Q [--boss-schema S])
                                                      carry the thread on: in this process with the agent
                                                      module M exports, or by a Postgres ThreadQueue Q
  cancel <thread> [--reason R]                        stop a thread's run (asks the process running it)
  delete <thread> [--yes]                             delete a thread (without --yes: show it, delete nothing)
  prune --older-than AGE [--status S,...] [--prefix P] [--yes] [--json]
                                                      delete threads last written over AGE ago (30d, 12h),
                                                      finished ones unless --status names others;
                                                      without --yes: list them, delete nothing
  studio [--agent M | --queue Q] [--port N] [--host H] [--prices F]
                                                      Loom Studio, a local web page over the journal (@loom/studio)

Journal URL (--journal, or LOOM_JOURNAL; default ${DEFAULT_JOURNAL_URL}):
  file://./relative/dir   file:///absolute/dir   postgres://user@host:5432/db?schema=loom

Exit codes: 0 ok, 1 failure, 2 bad usage or URL, 3 thread (or iteration) not found, 4 corrupt journal.`;

const OPTIONS = {
  journal: { type: "string" },
  prefix: { type: "string" },
  limit: { type: "string" },
  json: { type: "boolean", default: false },
  type: { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  iteration: { type: "string" },
  component: { type: "string" },
  frame: { type: "string" },
  output: { type: "string", short: "o" },
  "idle-gap": { type: "string" },
  at: { type: "string" },
  last: { type: "string" },
  "until-end": { type: "boolean", default: false },
  args: { type: "string" },
  reason: { type: "string" },
  agent: { type: "string" },
  queue: { type: "string" },
  "boss-schema": { type: "string" },
  port: { type: "string" },
  host: { type: "string" },
  prices: { type: "string" },
  "older-than": { type: "string" },
  recent: { type: "boolean", default: false },
  status: { type: "string" },
  yes: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

/**
 * `--limit -3` reads to parseArgs as a second option; say what is wrong with the number instead.
 */
function negativeNumberGiven(argv: readonly string[]): void {
  for (let i = 0; i < argv.length - 1; i++) {
    const name = argv[i]!.replace(/^--/, "");
    const option = (OPTIONS as Record<string, { type: string }>)[name];
    if (argv[i]!.startsWith("--") && option?.type === "string" && /^-\d/.test(argv[i + 1]!)) {
      throw new CliError("usage", `--${name} must be a non-negative integer, got "${argv[i + 1]}".`);
    }
  }
}

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw new CliError("usage", `--${name} must be a non-negative integer, got "${value}".`);
  return Number(value);
}

function jsonOption(name: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new CliError("usage", `--${name} must be JSON, e.g. --${name} '{"path":"/tmp/x"}'; got ${value}.`);
  }
}

/** `--idle-gap`: seconds (a decimal is fine), or `off` to draw time evenly. */
function idleGap(value: string | undefined): { idleGapMs?: number | false } {
  if (value === undefined) return {};
  if (value === "off") return { idleGapMs: false };
  if (!/^\d+(\.\d+)?$/.test(value))
    throw new CliError("usage", `--idle-gap must be a number of seconds or "off", got "${value}".`);
  return { idleGapMs: Number(value) * 1000 };
}

function needThread(command: string, thread: string | undefined): string {
  if (!thread) throw new CliError("usage", `loom ${command} needs a thread id: loom ${command} <thread>.`);
  return thread;
}

/** Runs the `loom` command with `argv` (without node and script). Returns the exit code. */
export async function runCli(
  argv: readonly string[],
  io: CliIO,
  signal: AbortSignal = new AbortController().signal,
): Promise<number> {
  let journal: Journal | undefined;
  try {
    let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
    negativeNumberGiven(argv);
    try {
      parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
    } catch (error) {
      throw new CliError("usage", `${(error as Error).message}\n\n${USAGE}`);
    }
    const { values, positionals } = parsed;
    const [command, thread, call] = positionals;
    if (values.help || !command) {
      io.stdout.write(`${USAGE}\n`);
      return command || values.help ? EXIT.ok : EXIT.usage;
    }
    const url = values.journal ?? io.env.LOOM_JOURNAL ?? DEFAULT_JOURNAL_URL;
    const known = [
      ...["threads", "events", "show", "explain", "flame", "fork", "tail"],
      ...["pending", "approve", "reject", "resume", "cancel", "delete", "prune", "studio"],
    ];
    if (!known.includes(command)) throw new CliError("usage", `Unknown command "${command}".\n\n${USAGE}`);
    journal = await openJournal(url, io.cwd);
    const ctx = { journal, io, signal };
    switch (command) {
      case "threads":
        await threadsCommand(ctx, {
          ...(values.prefix ? { prefix: values.prefix } : {}),
          ...(values.limit ? { limit: integer("limit", values.limit)! } : {}),
          ...(values.status !== undefined ? { statuses: statuses(values.status) } : {}),
          ...(values["older-than"] !== undefined
            ? { olderThanMs: duration("older-than", values["older-than"]) }
            : {}),
          recent: values.recent,
          json: values.json,
        });
        break;
      case "events":
        if (
          values.from !== undefined &&
          values.to !== undefined &&
          integer("from", values.from)! > integer("to", values.to)!
        ) {
          throw new CliError(
            "usage",
            `--from ${values.from} is after --to ${values.to}: nothing lies between; swap them.`,
          );
        }
        await eventsCommand(ctx, needThread(command, thread), {
          ...(values.type ? { types: values.type.split(",").map((t) => t.trim()) } : {}),
          ...(values.from !== undefined ? { from: integer("from", values.from)! } : {}),
          ...(values.to !== undefined ? { to: integer("to", values.to)! } : {}),
          json: values.json,
        });
        break;
      case "show":
        await showCommand(ctx, needThread(command, thread), {
          ...(values.at !== undefined ? { at: integer("at", values.at)! } : {}),
          ...(values.last !== undefined ? { last: integer("last", values.last)! } : {}),
        });
        break;
      case "explain":
        await explainCommand(ctx, needThread(command, thread), {
          ...(values.iteration !== undefined ? { iteration: integer("iteration", values.iteration)! } : {}),
          ...(values.component !== undefined ? { component: values.component } : {}),
          ...(values.frame !== undefined ? { frame: values.frame } : {}),
          ...(values.last !== undefined ? { last: integer("last", values.last)! } : {}),
          json: values.json,
        });
        break;
      case "flame":
        await flameCommand(ctx, needThread(command, thread), {
          ...(values.output ? { output: values.output } : {}),
          ...idleGap(values["idle-gap"]),
        });
        break;
      case "fork": {
        const at = integer("at", values.at);
        if (at === undefined || !values.to)
          throw new CliError("usage", "loom fork needs --at SEQ and --to NEW_THREAD.");
        await forkCommand(ctx, needThread(command, thread), { at, to: values.to });
        break;
      }
      case "tail":
        await tailCommand(ctx, needThread(command, thread), {
          ...(values.from !== undefined ? { from: integer("from", values.from)! } : {}),
          untilEnd: values["until-end"],
          pollMs: 200,
        });
        break;
      case "pending":
        await pendingCommand(ctx, { ...(values.prefix ? { prefix: values.prefix } : {}), json: values.json });
        break;
      case "approve":
      case "reject": {
        const threadId = needThread(command, thread);
        if (!call) {
          throw new CliError(
            "usage",
            `loom ${command} needs the call: loom ${command} ${threadId} <call ref>. \`loom pending\` lists them.`,
          );
        }
        if (values.agent && values.queue) throw new CliError("usage", "Give --agent or --queue, not both.");
        const decision =
          command === "reject"
            ? { approve: false as const, ...(values.reason ? { reason: values.reason } : {}) }
            : values.args !== undefined
              ? { args: jsonOption("args", values.args) }
              : { approve: true as const };
        await decideCommand(ctx, threadId, call, decision, {
          ...(values.agent ? { agent: values.agent } : {}),
          ...(values.queue ? { queue: values.queue } : {}),
          ...(values["boss-schema"] ? { bossSchema: values["boss-schema"] } : {}),
        });
        break;
      }
      case "resume":
        await resumeCommand(ctx, needThread(command, thread), {
          ...(values.agent ? { agent: values.agent } : {}),
          ...(values.queue ? { queue: values.queue } : {}),
          ...(values["boss-schema"] ? { bossSchema: values["boss-schema"] } : {}),
        });
        break;
      case "cancel":
        await cancelCommand(ctx, needThread(command, thread), values.reason ?? "cancelled with loom cancel");
        break;
      case "delete":
        await deleteCommand(ctx, needThread(command, thread), { yes: values.yes });
        break;
      case "prune": {
        const olderThan = values["older-than"];
        if (olderThan === undefined) {
          throw new CliError(
            "usage",
            "loom prune needs --older-than AGE (e.g. 30d): threads last written more recently are never pruned.",
          );
        }
        await pruneCommand(ctx, {
          olderThanMs: duration("older-than", olderThan),
          ...(values.status !== undefined ? { statuses: statuses(values.status) } : {}),
          ...(values.prefix !== undefined ? { prefix: values.prefix } : {}),
          yes: values.yes,
          json: values.json,
        });
        break;
      }
      case "studio":
        await studioCommand(ctx, {
          ...(values.agent ? { agent: values.agent } : {}),
          ...(values.queue ? { queue: values.queue } : {}),
          ...(values["boss-schema"] ? { bossSchema: values["boss-schema"] } : {}),
          ...(values.host ? { host: values.host } : {}),
          ...(values.port !== undefined ? { port: integer("port", values.port)! } : {}),
          ...(values.prices ? { prices: values.prices } : {}),
        });
        break;
    }
    return EXIT.ok;
  } catch (error) {
    io.stderr.write(`loom: ${error instanceof Error ? error.message : String(error)}\n`);
    return exitCodeOf(error);
  } finally {
    await journal?.close().catch(() => undefined);
  }
}

function exitCodeOf(error: unknown): number {
  if (CliError.isInstance(error)) return error.exitCode;
  if (JournalCorruptionError.isInstance(error) || EventSchemaError.isInstance(error)) return EXIT.corrupt;
  if (JournalError.isInstance(error)) {
    if (
      error.code === "invalid_thread_id" ||
      error.code === "invalid_range" ||
      error.code === "thread_exists"
    )
      return EXIT.usage;
    if (error.code === "thread_not_found") return EXIT.notFound;
  }
  if (loadedDebugger()?.DebuggerError.isInstance(error) && error.code.endsWith("_not_found"))
    return EXIT.notFound;
  if (LoomError.isInstance(error) && error.code === "invalid_config") return EXIT.usage;
  if (LoomError.isInstance(error) && error.code === "invalid_decision") return EXIT.usage;
  if (LoomError.isInstance(error) && error.code === "thread_not_found") return EXIT.notFound;
  return EXIT.failure;
}
