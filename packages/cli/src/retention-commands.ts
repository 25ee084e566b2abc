import {
  deleteThread,
  FRAME_STATUSES,
  type FrameStatus,
  type PruneResult,
  pruneThreads,
  type ThreadInfo,
  validateThreadId,
} from "@loom/core";
import type { CommandContext } from "./commands.js";
import { CliError } from "./errors.js";
import { counter, table } from "./output.js";

const UNITS: Readonly<Record<string, number>> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `30d`, `12h`, `90m`, `45s`, `2w` (or a sum: `1d12h`) in ms. */
export function duration(name: string, value: string): number {
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)([smhdw])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== value) {
    throw new CliError(
      "usage",
      `--${name} must be a duration: a number and a unit (s, m, h, d, w), e.g. 30d, 12h, 1d12h; got "${value}".`,
    );
  }
  return parts.reduce((ms, [, n, unit]) => ms + Number(n) * UNITS[unit!]!, 0);
}

export function statuses(value: string): FrameStatus[] {
  const named = value.split(",").map((s) => s.trim());
  const wrong = named.filter((s) => !(FRAME_STATUSES as readonly string[]).includes(s));
  if (wrong.length > 0 || named.length === 0) {
    throw new CliError(
      "usage",
      `--status takes a list of ${FRAME_STATUSES.join(", ")}; got "${wrong.join(",") || value}".`,
    );
  }
  return named as FrameStatus[];
}

const ago = (now: number, at: number) => {
  const hours = (now - at) / 3_600_000;
  return hours >= 48
    ? `${Math.floor(hours / 24)} d ago`
    : hours >= 1
      ? `${Math.floor(hours)} h ago`
      : "< 1 h ago";
};

function threadRows(infos: readonly ThreadInfo[], now: number): string {
  return table([
    ["THREAD", "EVENTS", "STATUS", "UPDATED"],
    ...infos.map((t) => [t.threadId, String(t.eventCount), t.status ?? "-", ago(now, t.updatedAt)]),
  ]);
}

/**
 * `loom delete <thread> --yes`: deletes one thread. Without `--yes` it shows the thread and deletes
 * nothing. A thread a run holds is refused (exit 1), as the journal refuses it.
 */
export async function deleteCommand(ctx: CommandContext, threadId: string, opts: { yes: boolean }) {
  validateThreadId(threadId);
  let info: ThreadInfo | undefined;
  for await (const t of ctx.journal.threads({ prefix: threadId, limit: 1 }))
    if (t.threadId === threadId) info = t;
  if (!info) {
    throw new CliError(
      "thread_not_found",
      `No thread "${threadId}" in this journal. \`loom threads\` lists them.`,
    );
  }
  if (!opts.yes) {
    ctx.io.stdout.write(
      `${threadRows([info], Date.now())}\nNothing deleted: add --yes to delete thread ${threadId} and its ${info.eventCount} events (it cannot be undone).\n`,
    );
    return;
  }
  await deleteThread(ctx.journal, threadId, { expectedSeq: info.lastSeq });
  ctx.io.stdout.write(
    `Deleted thread ${threadId} (${info.eventCount} events, ${info.status ?? "status unknown"}).\n`,
  );
}

/**
 * `loom prune --older-than 30d [--status S,...] [--prefix P] [--yes] [--json]`: deletes the threads
 * that match (finished ones by default); without `--yes` it lists them and deletes nothing.
 */
export async function pruneCommand(
  ctx: CommandContext,
  opts: { olderThanMs: number; statuses?: FrameStatus[]; prefix?: string; yes: boolean; json: boolean },
) {
  const now = Date.now();
  const count = counter(ctx.io);
  let result: PruneResult;
  try {
    result = await pruneThreads(ctx.journal, {
      olderThanMs: opts.olderThanMs,
      now: () => now,
      dryRun: !opts.yes,
      signal: ctx.signal,
      ...(opts.statuses ? { statuses: opts.statuses } : {}),
      ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}),
      onProgress: (p) =>
        count.tick(
          `pruning: ${p.scanned} threads looked at, ${p.deleted} ${opts.yes ? "deleted" : "to delete"}`,
          p.scanned,
        ),
    });
  } finally {
    count.end();
  }
  if (opts.json) {
    ctx.io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const { deleted, skipped } = result;
  const threads = (n: number) => `${n} thread${n === 1 ? "" : "s"}`;
  const rule = `${opts.statuses?.join(", ") ?? "finished (completed, failed, cancelled)"}, last written over ${formatDuration(opts.olderThanMs)} ago${opts.prefix !== undefined ? `, id starting "${opts.prefix}"` : ""}`;
  if (deleted.length > 0) ctx.io.stdout.write(`${threadRows(deleted, now)}\n`);
  const left =
    skipped.length === 0
      ? ""
      : ` Left ${skipped.length}: ${skipped.map((s) => `${s.threadId} (${s.reason === "busy" ? "a run holds it" : "it took new events"})`).join(", ")}.`;
  const stopped = result.stopped ? " Stopped before the end of the listing." : "";
  ctx.io.stdout.write(
    opts.yes
      ? `Deleted ${threads(deleted.length)}: ${rule}.${left}${stopped}\n`
      : `Would delete ${threads(deleted.length)}: ${rule}. Nothing deleted: add --yes to delete them.${stopped}\n`,
  );
}

function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ["w", UNITS.w!],
    ["d", UNITS.d!],
    ["h", UNITS.h!],
    ["m", UNITS.m!],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms / 1000}s`;
}
