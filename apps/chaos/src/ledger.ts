import { appendFileSync, closeSync, existsSync, fsyncSync, openSync, readFileSync } from "node:fs";

/**
 * The record of what really happened outside the journal, one JSON line each, fsynced before the
 * tool returns: it survives SIGKILL. Lines are appended with O_APPEND by every process of a trial,
 * so their order in the file is the order they happened in.
 */
export type LedgerLine =
  /** A tool's side effect (every run of `run`, idempotent or not). */
  | {
      readonly k: "effect";
      readonly key: string;
      readonly ref: string;
      readonly tool: string;
      readonly args: unknown;
      readonly pid: number;
      readonly attempt: number;
      /** Whether the call's frame, as the tool got it, held an approve/edit for this very call. */
      readonly approvedInFrame: boolean;
      /** Whether the journal held the call's `tool.started` when the tool was called. */
      readonly recorded: boolean;
    }
  /** A call's `tool.completed` was durable (seen in the stream, or read from the journal after an attempt). */
  | {
      readonly k: "completed";
      readonly key: string;
      readonly by: "stream" | "journal";
      readonly attempt: number;
    }
  /** The human's decision for a call, logged before it is handed to `resume`. */
  | {
      readonly k: "decision";
      readonly key: string;
      readonly ref: string;
      readonly tool: string;
      readonly decision: "approve" | "reject" | "edit";
      /** What the human allowed to run: the args it was shown (approve) or its edit. */
      readonly args: unknown;
      /** A re-run of a call whose outcome is unknown (onUnknownOutcome "ask"). */
      readonly rerun: boolean;
    };

/** Appends one line and fsyncs it before returning. */
export function appendLedger(file: string, line: LedgerLine): void {
  const fd = openSync(file, "a");
  try {
    appendFileSync(fd, `${JSON.stringify(line)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Every whole line of a ledger (a line torn by a kill mid-write is skipped: its write never returned). */
export function readLedger(file: string): LedgerLine[] {
  if (!existsSync(file)) return [];
  const lines: LedgerLine[] = [];
  for (const text of readFileSync(file, "utf8").split("\n")) {
    if (text === "") continue;
    try {
      lines.push(JSON.parse(text) as LedgerLine);
    } catch {
      // torn by a kill: the tool that wrote it never returned
    }
  }
  return lines;
}
