import { ConfigError } from "./errors.js";
import type { CallState, ExecutionFrame } from "./frame.js";
import type { JsonValue } from "./json-value.js";
import type { ThreadSession } from "./session.js";

const MAX_STEP_NAME = 200;

/**
 * The steps of one attempt of a call (`ToolContext.step`): each runs once for the call, whatever
 * the attempts. What a step returned is journaled (`tool.step`) before `step` resolves; an attempt
 * after a crash or an unknown outcome finds it in the call's state and returns it without running.
 */
export class CallSteps {
  private readonly used = new Set<string>();
  private open = true;

  constructor(
    private readonly session: ThreadSession,
    private readonly frame: ExecutionFrame,
    private readonly call: CallState,
  ) {}

  async run<T>(name: string, step: () => T | Promise<T>): Promise<T> {
    if (typeof name !== "string" || name === "" || name.length > MAX_STEP_NAME) {
      throw new ConfigError(
        `step(name, run): name is a non-empty string of at most ${MAX_STEP_NAME} characters that says which step it is (e.g. "charge-card"); got ${JSON.stringify(name)}.`,
      );
    }
    if (typeof step !== "function") {
      throw new ConfigError(`step("${name}", run): run is the function that does the step.`);
    }
    if (this.used.has(name)) {
      throw new ConfigError(
        `step("${name}") was called twice in one run of call ${this.call.ref}: a step's name is its identity across attempts, so each step of a call needs its own (in a loop: \`charge-\${i}\`).`,
      );
    }
    this.used.add(name);
    const done = this.call.steps?.find((s) => s.name === name);
    if (done) return done.value as T;
    const value = journalable(name, await step());
    // A step that ends after the call returned, timed out or was cancelled is not journaled: the
    // call's outcome is recorded already, and nothing runs it again.
    if (this.open) {
      await this.session.append([
        this.session.event(this.frame, "tool.step", {
          callId: this.call.callId,
          name,
          ...(value !== undefined ? { value } : {}),
        }),
      ]);
    }
    return value as T;
  }

  close(): void {
    this.open = false;
  }
}

/** The value as the journal keeps it (what a later attempt gets back); refused when it is not JSON. */
function journalable(name: string, value: unknown): JsonValue | undefined {
  if (value === undefined) return undefined;
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new ConfigError(
      `step("${name}") returned a value that cannot be journaled as JSON (${error instanceof Error ? error.message : String(error)}): return the part a later attempt needs, as plain data.`,
    );
  }
  if (text === undefined) {
    throw new ConfigError(
      `step("${name}") returned a ${typeof value}, which JSON cannot hold: return plain data (or nothing).`,
    );
  }
  return JSON.parse(text) as JsonValue;
}
