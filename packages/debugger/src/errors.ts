import { LoomError } from "@loom/core";

export type DebuggerErrorCode =
  | "invalid_events"
  | "mixed_threads"
  | "frame_not_found"
  | "iteration_not_found"
  | "component_not_found";

/** The debugger was given something it cannot explain (bad events, an unknown iteration, frame or component). */
export class DebuggerError extends LoomError {
  declare readonly code: DebuggerErrorCode;

  constructor(code: DebuggerErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
