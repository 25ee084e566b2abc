import { type Tool, tool } from "@loom/core";
import { z } from "zod";

/** A tool whose runs wait, for tests of what stops a run mid-call (a cancel, a lost lease). */
export interface BlockingTool {
  readonly tool: Tool<Record<string, unknown>, string>;
  /** Resolves when the first run begins. */
  readonly started: Promise<void>;
  /** Each run's arguments, in the order they began. */
  readonly runs: Record<string, unknown>[];
  /** Each run's `ToolContext.signal`. */
  readonly signals: AbortSignal[];
  /** Lets every run that waits, now or later, finish (with `done <args>`). */
  finish(): void;
}

export interface BlockingToolOptions {
  /** Default "crunch". */
  readonly name?: string;
  /** Which runs wait; the others answer at once. Default: every run. */
  readonly blocks?: (args: Record<string, unknown>) => boolean;
  /** A waiting run goes on waiting when its signal aborts (a tool that ignores cancels). Default false: it fails with the signal's reason. */
  readonly ignoreSignal?: boolean;
  /** Passed to `tool()`: how a call whose outcome is unknown is resumed. Default "fail". */
  readonly onUnknownOutcome?: "fail" | "retry" | "ask";
}

/**
 * A tool (any object arguments) whose runs wait until their signal aborts or `finish()` is called,
 * recording each run's arguments and signal.
 */
export function blockingTool(options: BlockingToolOptions = {}): BlockingTool {
  const runs: Record<string, unknown>[] = [];
  const signals: AbortSignal[] = [];
  let onStart!: () => void;
  const started = new Promise<void>((resolve) => {
    onStart = resolve;
  });
  let open!: () => void;
  const finished = new Promise<void>((resolve) => {
    open = resolve;
  });
  const blocking = tool({
    name: options.name ?? "crunch",
    description: "Takes a while.",
    input: z.record(z.string(), z.unknown()),
    onUnknownOutcome: options.onUnknownOutcome ?? "fail",
    run: async (args, { signal }) => {
      runs.push(args);
      signals.push(signal);
      onStart();
      if (options.blocks?.(args) ?? true) {
        await new Promise<void>((resolve, reject) => {
          void finished.then(resolve);
          if (!options.ignoreSignal)
            signal.addEventListener("abort", () => reject(signal.reason), { once: true });
        });
      }
      return `done ${JSON.stringify(args)}`;
    },
  });
  return { tool: blocking, started, runs, signals, finish: open };
}
