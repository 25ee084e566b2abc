import { z } from "zod";
import type { AppliedCompression, ContextComponent } from "./context.js";
import { HookError } from "./errors.js";
import type { ContextComponentRecord, ModelUsage } from "./events.js";
import type { ExecutionFrame } from "./frame.js";
import type { Attachment, Message } from "./messages.js";
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

export const DecisionSchema = z.union([
  z.object({ approve: z.literal(true) }).strict(),
  z.object({ approve: z.literal(false), reason: z.string().optional() }).strict(),
  z.object({ args: z.unknown() }).strict(),
]);

/** The shapes a `Decision` takes, as errors that refuse one name them. */
export const DECISION_SHAPES = "{ approve: true }, { approve: false, reason? } or { args }";

/** True when `value` is a `Decision`. */
export function isDecision(value: unknown): value is Decision {
  return DecisionSchema.safeParse(value).success;
}

export interface ToolCallInfo {
  /** The model's id for the call (unique in its turn only). */
  readonly callId: string;
  /** The call's identity in its thread (`<callId>@<seq>`): what decisions and keys use. */
  readonly ref: string;
  readonly name: string;
  readonly args: unknown;
}

export interface ToolResult {
  /** What the model sees. */
  readonly content: string;
  readonly output?: unknown;
  readonly isError: boolean;
  /** Images and files the model sees with `content`. */
  readonly attachments?: readonly Attachment[];
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
  /**
   * `thread` is the thread's root frame, every sub-agent under it (`children`): what a limit on the
   * whole thread reads (`threadUsage(thread)`), also from inside a sub-agent.
   */
  beforeIterationStart?(ctx: { frame: ExecutionFrame; thread: ExecutionFrame }): HookReturn<Deny>;
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
  /**
   * The one point that may pause for a human (`interrupt`, or `decided` when it asked itself). A hook
   * that throws here does not fail the run: the call waits for a human (`run.interrupted`, reason
   * `hook_failed`) and the run throws the `HookError`; `resume` with a decision for it goes on.
   */
  beforeToolExecution?(ctx: {
    frame: ExecutionFrame;
    call: ToolCallInfo;
    tool: Tool;
    /** True when a human already approved this call; an `interrupt` or `decided` is then ignored. */
    approved: boolean;
    /** The run's signal: aborted when the run is cancelled (a prompt waiting for a human should stop). */
    signal: AbortSignal;
  }): HookReturn<{ args: unknown } | Deny | Interrupt | Decided>;
  afterToolExecution?(ctx: {
    frame: ExecutionFrame;
    call: ToolCallInfo;
    result: ToolResult;
    /** The model calls the tool made itself and reported (`reportUsage`), by model; empty for most tools. */
    modelUsage: readonly ModelUsage[];
  }): HookReturn<{ result: ToolResult }>;
  beforeRecursion?(ctx: {
    frame: ExecutionFrame;
    call: ToolCallInfo;
    input: string;
  }): HookReturn<{ input: string } | Deny>;
  afterIterationEnd?(ctx: { frame: ExecutionFrame }): HookReturn<Deny>;
}

/**
 * Types a hook written as an object literal, so its methods' context parameters are typed without
 * annotations (`defineHook({ name, beforeToolExecution: ({ call }) => ... })`). Returns it as is.
 */
export function defineHook<H extends Hook>(hook: H): H {
  return hook;
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

type Directive = "deny" | "interrupt" | "decided";

/** The directives each point takes, as its type says; any other is a `HookError` naming the hook. */
const DIRECTIVES: Readonly<Record<HookPoint, readonly Directive[]>> = {
  beforeIterationStart: ["deny"],
  beforeContextAssembly: ["deny"],
  afterContextAssembly: ["deny"],
  beforeLLMCall: ["deny"],
  afterLLMResponse: ["deny"],
  beforeToolExecution: ["deny", "interrupt", "decided"],
  afterToolExecution: [],
  beforeRecursion: ["deny"],
  afterIterationEnd: ["deny"],
};

function refuse(hook: string, point: HookPoint, what: string): HookError {
  const allowed = DIRECTIVES[point];
  return new HookError(
    hook,
    point,
    new Error(
      `returned ${what}, which ${point} does not take (it takes ${allowed.length > 0 ? allowed.map((d) => `{ ${d} }`).join(", ") : "no directive"}). Only beforeToolExecution can pause for a human.`,
    ),
  );
}

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
    const directive = (["deny", "interrupt", "decided"] as const).find((d) => d in output);
    if (directive !== undefined && !DIRECTIVES[point].includes(directive)) {
      throw refuse(hook.name, point, `{ ${directive} }`);
    }
    if ("deny" in output) return { kind: "deny", reason: String(output.deny), hook: hook.name };
    if ("interrupt" in output)
      return { kind: "interrupt", reason: String(output.interrupt), hook: hook.name };
    if ("decided" in output) {
      if (!isDecision(output.decided)) {
        throw new HookError(
          hook.name,
          point,
          new Error(
            `returned { decided: ${describeValue(output.decided)} }; a decision is ${DECISION_SHAPES}`,
          ),
        );
      }
      return {
        kind: "decided",
        reason: String(output.reason),
        hook: hook.name,
        decision: output.decided,
      };
    }
    current = { ...current, ...output };
  }
  return { kind: "continue", ctx: current };
}

function describeValue(value: unknown): string {
  if (value === undefined) return "undefined";
  try {
    return JSON.stringify(value)?.slice(0, 80) ?? String(value);
  } catch {
    return String(value);
  }
}
