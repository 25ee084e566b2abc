import type { Decision, ExecutionFrame, Hook, ToolCallInfo } from "@loom/core";
import { ConfigError, DECISION_SHAPES, isDecision } from "@loom/core";

export interface HITLOptions {
  /** The tools that need a human: names, or a predicate over the call. */
  readonly tools: readonly string[] | ((call: ToolCallInfo) => boolean);
  /**
   * Ask now and wait (a terminal y/n prompt, a chat message...). Without it the run pauses
   * durably and `resume(threadId, { decisions })` continues it, in any process.
   */
  readonly ask?: (request: {
    call: ToolCallInfo;
    frame: ExecutionFrame;
    reason: string;
    /** Aborted when the run is cancelled: stop asking. */
    signal: AbortSignal;
  }) => Promise<Decision> | Decision;
  /** Why the call needs a human, as journaled and shown. Default: "<tool> needs human approval". */
  readonly reason?: (call: ToolCallInfo) => string;
  readonly name?: string;
}

/**
 * Human-in-the-loop approval for dangerous tools. Every question and answer is journaled
 * (`approval.requested`, `approval.resolved`); a rejected call never runs and the model is told
 * why; an edited call runs with the edited arguments, and both versions are journaled.
 */
export function HITLHook(options: HITLOptions): Hook {
  const { tools, ask } = options;
  if (!Array.isArray(tools) && typeof tools !== "function") {
    throw new ConfigError('HITLHook: "tools" must be a list of tool names or a function (call) => boolean.');
  }
  const needsHuman = typeof tools === "function" ? tools : (call: ToolCallInfo) => tools.includes(call.name);
  const reasonFor = options.reason ?? ((call: ToolCallInfo) => `${call.name} needs human approval`);
  return {
    name: options.name ?? "hitl",
    beforeToolExecution: async ({ call, frame, approved, signal }) => {
      if (approved || !needsHuman(call)) return undefined;
      const reason = reasonFor(call);
      if (!ask) return { interrupt: reason };
      let answer: unknown;
      try {
        answer = await ask({ call, frame, reason, signal });
      } catch (error) {
        // Nobody answered (Ctrl-C at the prompt, the run cancelled): the call waits durably instead.
        if (signal.aborted || isAbort(error)) return { interrupt: reason };
        throw error;
      }
      if (signal.aborted) return { interrupt: reason };
      if (!isDecision(answer)) {
        throw new TypeError(
          `ask() returned ${JSON.stringify(answer) ?? String(answer)} for call ${call.ref} (${call.name}); it must return ${DECISION_SHAPES}`,
        );
      }
      return { decided: answer, reason };
    },
  };
}

function isAbort(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === "AbortError" || (error as { code?: unknown }).code === "ABORT_ERR")
  );
}
