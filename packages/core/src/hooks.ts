import type { AppliedCompression, ContextComponent } from "./context.js";
import { HookError } from "./errors.js";
import type { ContextComponentRecord } from "./events.js";
import type { ExecutionFrame } from "./frame.js";
import type { Message } from "./messages.js";
import type { ModelRequest, ModelResponse } from "./provider.js";
import type { Tool } from "./tool.js";

/** Stops what the hook point is about to do. At a tool point the model is told; elsewhere the run fails. */
export interface Deny {
  readonly deny: string;
}
/** Pauses the run for a human: only at `beforeToolExecution`. */
export interface Interrupt {
  readonly interrupt: string;
}
/**
 * A human's answer obtained while the run waited (a terminal prompt, say): only at
 * `beforeToolExecution`. Both the question and the answer are journaled, as for an interrupt.
 */
export interface Decided {
  readonly decided: Decision;
  readonly reason: string;
}

/** A human's answer to a pending approval. */
export type Decision = { approve: true } | { approve: false; reason?: string } | { args: unknown };

export interface ToolCallInfo {
  readonly callId: string;
  readonly name: string;
  readonly args: unknown;
}

export interface ToolResult {
  /** What the model sees. */
  readonly content: string;
  readonly output?: unknown;
  readonly isError: boolean;
}

export interface ContextAssemblyInfo {
  readonly budget: number;
  readonly totalTokens: number;
  readonly included: readonly ContextComponentRecord[];
  readonly excluded: readonly ContextComponentRecord[];
  /** Set when the compression strategy changed what is sent (journaled as `compression.applied`). */
  readonly compression?: AppliedCompression;
}

// biome-ignore lint/suspicious/noConfusingVoidType: hook methods that only observe return nothing
type Maybe<T> = T | undefined | void;
type HookReturn<T> = Maybe<T> | Promise<Maybe<T>>;

/**
 * A hook is a plain object with a name and any of the nine methods. Each method takes one context
 * object and may return nothing (observe), a replacement, or a directive. Hooks run in order;
 * what they change is what gets journaled, so replaying a thread never runs hooks again.
 */
export interface Hook {
  readonly name: string;
  beforeIterationStart?(ctx: { frame: ExecutionFrame }): HookReturn<Deny>;
  beforeContextAssembly?(ctx: {
    frame: ExecutionFrame;
    components: readonly ContextComponent[];
  }): HookReturn<{ components: readonly ContextComponent[] } | Deny>;
  afterContextAssembly?(ctx: {
    frame: ExecutionFrame;
    messages: readonly Message[];
    assembly: ContextAssemblyInfo;
  }): HookReturn<{ messages: readonly Message[] } | Deny>;
  beforeLLMCall?(ctx: {
    frame: ExecutionFrame;
    request: ModelRequest;
  }): HookReturn<{ request: ModelRequest } | Deny>;
  afterLLMResponse?(ctx: {
    frame: ExecutionFrame;
    response: ModelResponse;
  }): HookReturn<{ response: ModelResponse } | Deny>;
  beforeToolExecution?(ctx: {
    frame: ExecutionFrame;
    call: ToolCallInfo;
    tool: Tool;
    /** True when a human already approved this call; an `interrupt` is then ignored. */
    approved: boolean;
  }): HookReturn<{ args: unknown } | Deny | Interrupt | Decided>;
  afterToolExecution?(ctx: {
    frame: ExecutionFrame;
    call: ToolCallInfo;
    result: ToolResult;
  }): HookReturn<{ result: ToolResult }>;
  beforeRecursion?(ctx: {
    frame: ExecutionFrame;
    call: ToolCallInfo;
    input: string;
  }): HookReturn<{ input: string } | Deny>;
  afterIterationEnd?(ctx: { frame: ExecutionFrame }): HookReturn<Deny>;
}

export type HookPoint = Exclude<keyof Hook, "name">;

export const HOOK_POINTS: readonly HookPoint[] = [
  "beforeIterationStart",
  "beforeContextAssembly",
  "afterContextAssembly",
  "beforeLLMCall",
  "afterLLMResponse",
  "beforeToolExecution",
  "afterToolExecution",
  "beforeRecursion",
  "afterIterationEnd",
];

type HookContext<P extends HookPoint> = Parameters<NonNullable<Hook[P]>>[0];
type HookOutput<P extends HookPoint> = NonNullable<Awaited<ReturnType<NonNullable<Hook[P]>>>>;

export type HookOutcome<P extends HookPoint> =
  | { readonly kind: "continue"; readonly ctx: HookContext<P> }
  | { readonly kind: "deny"; readonly reason: string; readonly hook: string }
  | { readonly kind: "interrupt"; readonly reason: string; readonly hook: string }
  | { readonly kind: "decided"; readonly reason: string; readonly hook: string; readonly decision: Decision };

/**
 * Runs every hook's method for one point, in order. A replacement is merged into the context the
 * next hook sees; a directive stops the chain. A hook that throws becomes a `HookError` naming it.
 */
export function runHooks<P extends HookPoint>(
  hooks: readonly Hook[],
  point: P,
  ctx: HookContext<P>,
): HookOutcome<P> | Promise<HookOutcome<P>> {
  // Most points have no hook: answer without allocating a promise.
  if (!hooks.some((hook) => typeof hook[point] === "function")) return { kind: "continue", ctx };
  return runHookChain(hooks, point, ctx);
}

async function runHookChain<P extends HookPoint>(
  hooks: readonly Hook[],
  point: P,
  ctx: HookContext<P>,
): Promise<HookOutcome<P>> {
  let current = ctx;
  for (const hook of hooks) {
    const method = hook[point] as ((c: HookContext<P>) => HookReturn<HookOutput<P>>) | undefined;
    if (!method) continue;
    let output: Maybe<HookOutput<P>>;
    try {
      output = await method.call(hook, current);
    } catch (cause) {
      throw new HookError(hook.name ?? "(unnamed hook)", point, cause);
    }
    if (output === undefined || output === null) continue;
    if (typeof output !== "object") {
      throw new HookError(
        hook.name,
        point,
        new Error(`returned ${typeof output}; return nothing, an object or a directive`),
      );
    }
    if ("deny" in output) return { kind: "deny", reason: String(output.deny), hook: hook.name };
    if ("interrupt" in output)
      return { kind: "interrupt", reason: String(output.interrupt), hook: hook.name };
    if ("decided" in output) {
      return {
        kind: "decided",
        reason: String(output.reason),
        hook: hook.name,
        decision: output.decided as Decision,
      };
    }
    current = { ...current, ...output };
  }
  return { kind: "continue", ctx: current };
}
