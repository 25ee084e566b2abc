import { LoomError } from "@loom/core";

/** Exit codes of the `loom` command. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  corrupt: 4,
} as const;

export type CliErrorCode = "usage" | "bad_url" | "thread_not_found" | "frame_not_found" | "missing_package";

/** A mistake in how `loom` was called, or what it was pointed at. */
export class CliError extends LoomError {
  declare readonly code: CliErrorCode;
  readonly exitCode: number;

  constructor(code: CliErrorCode, message: string) {
    super(code, message);
    this.exitCode = code.endsWith("_not_found") ? EXIT.notFound : EXIT.usage;
  }
}
