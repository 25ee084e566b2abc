import { z } from "zod";
import { type ContentPart, journaledAttachments, splitInput } from "./attachments.js";
import { Channel } from "./channel.js";
import { type CompressionStrategy, dropOldest } from "./compression.js";
import { contentHash } from "./content-hash.js";
import { ContextOptionsSchema } from "./context.js";
import { resolveDecisions } from "./decisions.js";
import {
  ConfigError,
  HookError,
  JournalError,
  ResumeError,
  RunCancelledError,
  RunFailedError,
  ThreadBusyError,
  ThreadLeaseLostError,
} from "./errors.js";
import { type AgentEvent, type TraceContext, TraceContextSchema } from "./events.js";
import { canonicalJson, type ExecutionFrame, type PendingApproval, pendingApprovals } from "./frame.js";
import {
  type AgentRuntime,
  type Decision,
  FrameDriver,
  type FrameOutcome,
  reasonOf,
  SUB_AGENT,
  type SubAgent,
} from "./frame-driver.js";
import type { Hook } from "./hooks.js";
import { HOOK_POINTS } from "./hooks.js";
import { acquireThread, type Journal } from "./journal.js";
import { MemoryJournal } from "./memory-journal.js";
import type { Attachment } from "./messages.js";
import type { ModelSettings, Provider } from "./provider.js";
import { IGNORE_EVENTS, ThreadSession } from "./session.js";
import { SnapshotOptionsSchema } from "./snapshot.js";
import { checkOutput, type OutputRuntime, outputRuntime, promptedInstruction } from "./structured-output.js";
import { closestName } from "./suggest.js";
import { validateThreadId } from "./thread-id.js";
import { KeptThreads, loadKept } from "./thread-states.js";
import { estimateTokenizer, type Tokenizer } from "./tokenizer.js";
import { type Tool, tool } from "./tool.js";
import { Toolbox, ToolSet } from "./tool-set.js";

const AgentConfigSchema = z.object({
  name: z.string().min(1).default("agent"),
  system: z.string().optional(),
  maxIterations: z.number().int().positive().default(20),
  maxRepeatedToolCalls: z.number().int().min(2).default(3),
  /**
   * Turns in a row that call the same tools with arguments differing only in numbers or
   * whitespace and get the same results (or fail) before the run stops as a loop. 0: never.
   */
  maxNearRepeatedToolCalls: z.number().int().min(0).default(5),
  /** Failures of the same call (tool and arguments) in a run before the run stops as a loop. 0: never. */
  maxRepeatedFailures: z.number().int().min(0).default(3),
  toolTimeoutMs: z.number().positive().default(60_000),
  retry: z
    .object({
      maxRetries: z.number().int().nonnegative().default(3),
      initialDelayMs: z.number().nonnegative().default(500),
      maxDelayMs: z.number().nonnegative().default(20_000),
    })
    .default({ maxRetries: 3, initialDelayMs: 500, maxDelayMs: 20_000 }),
  context: ContextOptionsSchema.default({ windowTokens: 128_000, reservedOutputTokens: 4_096 }),
  /** With `output`: answers that fail the schema fed back to the model before the run fails. */
  outputRetries: z.number().int().nonnegative().default(2),
  /** When a thread journals its state, so a resume reads only the end of a long thread (see `SnapshotOptions`). */
  snapshots: SnapshotOptionsSchema.default({ everyEvents: 1_000, everyBytes: 4 * 1024 * 1024, sizeRatio: 1 }),
  /**
   * How many threads' state the agent keeps in memory after their runs, so that the next run of one
   * reads only the events appended since (checking that the journal still holds the event that run
   * ended with) instead of loading the thread again. 0: every run loads its thread (ADR 0014). Or a
   * `KeptThreads` shared by agents created per request, so they keep states together.
   */
  keptThreads: z.union([z.number().int().nonnegative(), z.instanceof(KeptThreads)]).default(32),
});

export interface AgentOptions<Output = undefined> extends z.input<typeof AgentConfigSchema> {
  readonly provider: Provider;
  /**
   * A zod schema for the final answer: it is asked for as JSON (natively where the provider can,
   * else in the system prompt), validated, and returned typed as `result.output`. An answer that
   * fails it is fed back to the model (`outputRetries` times), then the run fails with
   * `invalid_output`.
   */
  readonly output?: z.ZodType<Output>;
  /**
   * A list of tools, or a record of them by name (`{ search, fetchPage }`). A `ToolSet` in the list
   * (or alone) is read as it is at each request: its tools can change while the agent runs.
   */
  readonly tools?: readonly (Tool | ToolSet)[] | ToolSet | Readonly<Record<string, Tool>>;
  /** Where events go. Default: a new `MemoryJournal` (nothing survives the process). */
  readonly journal?: Journal;
  readonly hooks?: readonly Hook[];
  readonly settings?: ModelSettings;
  /** Clock for event timestamps. */
  readonly now?: () => number;
  /** Source of randomness for retry jitter. */
  readonly random?: () => number;
  /** Counts tokens for context assembly. Default: an estimate of 4 characters a token. */
  readonly tokenizer?: Tokenizer;
  /** What to send when the history does not fit. Default: `dropOldest()`. */
  readonly compression?: CompressionStrategy;
}

export interface RunOptions {
  /** The thread to run on. A new id starts an empty thread; an existing one continues its conversation. */
  readonly threadId?: string;
  readonly signal?: AbortSignal;
  /**
   * The W3C trace context of the caller (an HTTP request's `traceparent` header, say), journaled in
   * `run.started`: tracing (`@loom/otel`) puts the run's spans in that trace, in every process that
   * takes the run up.
   */
  readonly traceparent?: string;
  readonly tracestate?: string;
  /**
   * This run's own `output` schema, in place of the agent's (`result.output` is typed by it). Only
   * its name and hash are journaled: a resume of the run needs it again (`resume(threadId, { output })`),
   * and refuses an unfinished run without one.
   */
  readonly output?: z.ZodType;
}

export interface ResumeOptions {
  /**
   * Answers for pending approvals, keyed by each call's `ref` (`PendingApproval.ref`), or by its
   * call id when no other pending call has the same id.
   */
  readonly decisions?: Readonly<Record<string, Decision>>;
  readonly signal?: AbortSignal;
  /**
   * The `output` schema the run was started with (`run(input, { output })`): only its name and hash
   * are journaled, and an unfinished run started with one is not resumed without it.
   */
  readonly output?: z.ZodType;
}

export type RunResult<Output = unknown> =
  | {
      readonly status: "completed";
      readonly threadId: string;
      readonly text: string;
      /** The final answer parsed and validated by the agent's `output` schema (undefined without one). */
      readonly output: Output;
      readonly refusal?: undefined;
      readonly frame: ExecutionFrame;
    }
  | {
      readonly status: "completed";
      readonly threadId: string;
      readonly text: string;
      readonly output: undefined;
      /**
       * The final answer was the model declining (finish reason `refusal`): its words, or the
       * provider's note. `text` holds whatever else the model said; there is no `output`.
       */
      readonly refusal: string;
      readonly frame: ExecutionFrame;
    }
  | {
      readonly status: "interrupted";
      readonly threadId: string;
      readonly reason: string;
      /** The calls waiting for a decision; answer them with `resume(threadId, { decisions })`. */
      readonly pending: readonly PendingApproval[];
      readonly frame: ExecutionFrame;
    };

/** Events as they happen (durable ones once journaled), and the run's result. */
export interface AgentStream<Output = unknown> extends AsyncIterable<AgentEvent> {
  readonly result: Promise<RunResult<Output>>;
  readonly threadId: string;
}

/** The result type inside `createAgent`, where `RunResult` names its own `Output`. */
type RunResultOf<Output> = RunResult<Output>;

export interface Agent<Output = unknown> {
  readonly name: string;
  readonly journal: Journal;
  /**
   * The tools it offers the model now (sub-agents as tools included; a `ToolSet`'s as they are when
   * read): what a UI checks edited arguments with.
   */
  readonly tools: readonly Tool[];
  /**
   * `input`: text, or text with images and files (`[{ type: "text", text }, { type: "image", ... }]`).
   * With `output`, this run's answer is checked and typed by that schema instead of the agent's.
   */
  run<O>(
    input: string | readonly ContentPart[],
    options: RunOptions & { readonly output: z.ZodType<O> },
  ): Promise<RunResult<O>>;
  run(input: string | readonly ContentPart[], options?: RunOptions): Promise<RunResult<Output>>;
  stream<O>(
    input: string | readonly ContentPart[],
    options: RunOptions & { readonly output: z.ZodType<O> },
  ): AgentStream<O>;
  stream(input: string | readonly ContentPart[], options?: RunOptions): AgentStream<Output>;
  /** Continues a thread from where its journal stops. */
  resume<O>(
    threadId: string,
    options: ResumeOptions & { readonly output: z.ZodType<O> },
  ): Promise<RunResult<O>>;
  resume(threadId: string, options?: ResumeOptions): Promise<RunResult<Output>>;
  resumeStream<O>(
    threadId: string,
    options: ResumeOptions & { readonly output: z.ZodType<O> },
  ): AgentStream<O>;
  resumeStream(threadId: string, options?: ResumeOptions): AgentStream<Output>;
  /**
   * This agent as a tool of another agent: it runs in a child frame of the caller's thread. The
   * caller's hooks run inside it too (before its own), so a `HITLHook` on the top agent guards
   * every sub-agent's tools; `inheritHooks: false` gives it only its own hooks.
   */
  asTool(options: {
    name?: string;
    description: string;
    inheritHooks?: boolean;
  }): Tool<{ input: string }, string>;
}

/** Creates an agent. Options are checked here: a wrong one is a `ConfigError` saying what to fix. */
export function createAgent<Output = undefined>(options: AgentOptions<Output>): Agent<Output> {
  type RunResult = RunResultOf<Output>;
  const resolved = resolveRuntime(options as AgentOptions<unknown>);
  const agentRuntime = resolved.runtime;
  const journal = options.journal ?? new MemoryJournal();
  const now = options.now ?? Date.now;
  const kept = agentRuntime.keptThreads;
  /** The agent's runtime, or the one for a run's own `output` schema. */
  const runtimeFor = (output: unknown, where: string) =>
    output === undefined ? agentRuntime : resolved.withOutput(output, where);

  const start = (
    threadId: string,
    runtime: AgentRuntime,
    signal: AbortSignal | undefined,
    emit: (event: AgentEvent) => void,
    prepare: (root: ExecutionFrame) => Prepared,
  ): Promise<RunResult> =>
    (async () => {
      // Owner first: nothing is read, called or run before this process holds the thread.
      const lease = await acquireThread(journal, threadId);
      const lost = lease.lost;
      const signals = [signal, lease.cancelRequested, lost].filter((s) => s !== undefined);
      const run: OwnedRun = {
        threadId,
        runtime,
        emit,
        signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0],
        lost,
      };
      try {
        return await runOwned(run, prepare);
      } catch (error) {
        // The loss stopped the run (its signal), or another owner's write refused this one's.
        if (lost?.aborted && (RunCancelledError.isInstance(error) || JournalError.isInstance(error))) {
          throw new ThreadLeaseLostError(threadId, reasonOf(lost), { cause: error });
        }
        throw error;
      } finally {
        await lease.release();
      }
    })();

  const runOwned = async (run: OwnedRun, prepare: (root: ExecutionFrame) => Prepared): Promise<RunResult> => {
    const { threadId, runtime } = run;
    const { frame: root, last } = await loadKept(journal, threadId, kept.take(threadId, runtime.tokenizer), {
      tokenizer: runtime.tokenizer,
    });
    const prepared = prepare(root);
    const session = new ThreadSession(
      journal,
      threadId,
      root,
      prepared.runId,
      run.emit,
      now,
      runtime.snapshots,
      last,
    );
    try {
      return await drive(run, session, root, prepared);
    } finally {
      // Nothing is written after the lease is given up: what is staged goes out now, or never. After a
      // loss too: `expectedSeq` refuses it if another owner wrote first.
      await session.close();
      const state = session.kept();
      if (state && !run.lost?.aborted) kept.keep(threadId, state);
    }
  };

  const drive = async (
    run: OwnedRun,
    session: ThreadSession,
    root: ExecutionFrame,
    { decisions, input, attachments = [], trace }: Prepared,
  ): Promise<RunResult> => {
    const { runtime, threadId } = run;
    // A resume shows in the journal, durable before anything runs: the thread's previous owner may
    // still be writing (a lease lost before it knew), and of the two, expectedSeq then refuses this
    // one before it runs anything, even a tool that would not wait for a write (a read-only one, or a
    // call re-run after an unknown outcome). Not only for a thread left running: a pause resumed by
    // one process can be taken over by another mid-way while its root still reads as paused.
    const resumed = input === undefined ? resumeReason(root, decisions) : undefined;
    if (resumed) {
      // A schema other than the run's (a deploy changed it) is taken, and said: the answer is
      // checked against it from here on, and the journal tells which one a run was checked against.
      const output = runtime.output ? await journaledOutput(runtime.output) : undefined;
      const changed =
        output !== undefined && (output.hash !== root.runOutput?.hash || output.name !== root.runOutput.name);
      await session.append([
        session.event(root, "run.resumed", { reason: resumed, ...(changed ? { output } : {}) }),
      ]);
    }
    if (input !== undefined) {
      // Staged: it rides with the first iteration's write (nothing is acknowledged before that).
      const journaled = await journaledAttachments(attachments, session.root.contents);
      await session.stage([
        session.event({ ...root, frameId: "root", depth: 0 }, "run.started", {
          input,
          ...(journaled.length > 0 ? { attachments: journaled } : {}),
          agent: runtime.name,
          ...(trace ? { trace } : {}),
          ...(runtime.output ? { output: await journaledOutput(runtime.output) } : {}),
        }),
      ]);
    }
    if (session.root.status === "completed" && input === undefined) {
      return completed<Output>(session.root, runtime.output);
    }
    const controller = run.signal ?? new AbortController().signal;
    let outcome: FrameOutcome;
    try {
      outcome = await new FrameDriver(session, runtime, "root", decisions, controller).drive();
    } catch (error) {
      // A run stopped by its lost lease journals nothing: the thread may be another owner's now.
      if (RunCancelledError.isInstance(error) && !run.lost?.aborted) {
        await session.append([session.event(session.root, "run.cancelled", { reason: error.message })]);
      }
      throw error;
    }
    if (outcome.status === "completed") return completed<Output>(session.root, runtime.output);
    if (session.pausedBy) throw pausedByHook(session.pausedBy, threadId, pendingApprovals(session.root));
    return {
      status: "interrupted",
      threadId,
      reason: outcome.reason,
      pending: pendingApprovals(session.root),
      frame: session.root,
    };
  };

  const runWith = (
    input: string | readonly ContentPart[],
    opts: RunOptions,
    emit: (event: AgentEvent) => void,
    threadId: string,
  ) => {
    const { text, attachments } = splitInput(input);
    const runtime = runtimeFor(opts.output, "run(input, { output })");
    return start(threadId, runtime, opts.signal, emit, (root) => {
      if (root.status === "running" || root.status === "interrupted") {
        throw new ThreadBusyError(
          threadId,
          `Thread "${threadId}" has an unfinished run (${root.status}). Call resume("${threadId}") to finish it, or run on another thread id.`,
          { reason: "unfinished" },
        );
      }
      const trace = traceContextOf(opts);
      return { runId: newId(), decisions: new Map(), input: text, attachments, ...(trace ? { trace } : {}) };
    });
  };

  const resumeWith = (threadId: string, opts: ResumeOptions, emit: (event: AgentEvent) => void) => {
    const runtime = runtimeFor(opts.output, "resume(threadId, { output })");
    return start(threadId, runtime, opts.signal, emit, (root) => {
      if (root.lastSeq < 0) {
        throw new ResumeError(
          "thread_not_found",
          `Cannot resume thread "${threadId}": the journal has no events for it.`,
        );
      }
      if (root.status === "failed") {
        throw new RunFailedError(
          (root.error?.code ?? "internal") as never,
          threadId,
          root.error?.message ?? "The run failed.",
        );
      }
      if (root.runOutput && !runtime.output && root.status !== "completed") {
        throw new ConfigError(
          `resume("${threadId}"): its run was started with an output schema ("${root.runOutput.name}"), and none was given now. Pass it again, as resume("${threadId}", { output }) or the agent's "output" option: without it the run's requests would not ask for that JSON, and its answer would not be checked.`,
        );
      }
      return { runId: root.runId, decisions: resolveDecisions(threadId, root, opts.decisions) };
    });
  };

  const streamOf = (threadId: string, begin: (emit: (event: AgentEvent) => void) => Promise<RunResult>) => {
    const channel = new Channel<AgentEvent>();
    const result = begin((event) => channel.push(event)).then(
      (value) => {
        channel.close();
        return value;
      },
      (error: unknown) => {
        channel.close({ value: error });
        throw error;
      },
    );
    // Whoever only iterates sees the error there; whoever only awaits `result` sees it there.
    result.catch(() => undefined);
    return { result, threadId, [Symbol.asyncIterator]: () => channel[Symbol.asyncIterator]() };
  };

  // One implementation each; the overloads only type `result.output` by a run's own schema.
  type Input = string | readonly ContentPart[];
  const run = (input: Input, opts: RunOptions = {}) => {
    const threadId = validateThreadId(opts.threadId ?? `thread-${newId()}`);
    return runWith(input, opts, IGNORE_EVENTS, threadId);
  };
  const stream = (input: Input, opts: RunOptions = {}) => {
    const threadId = validateThreadId(opts.threadId ?? `thread-${newId()}`);
    return streamOf(threadId, (emit) => runWith(input, opts, emit, threadId));
  };
  const resume = (threadId: string, opts: ResumeOptions = {}) =>
    resumeWith(validateThreadId(threadId), opts, IGNORE_EVENTS);
  const resumeStream = (threadId: string, opts: ResumeOptions = {}) =>
    streamOf(validateThreadId(threadId), (emit) => resumeWith(threadId, opts, emit));

  const agent: Agent<Output> = {
    name: agentRuntime.name,
    journal,
    get tools() {
      return [...agentRuntime.toolbox.current().tools.values()];
    },
    run: run as Agent<Output>["run"],
    stream: stream as Agent<Output>["stream"],
    resume: resume as Agent<Output>["resume"],
    resumeStream: resumeStream as Agent<Output>["resumeStream"],
    asTool: ({ name, description, inheritHooks }) => {
      const subAgentTool = tool({
        name: name ?? agentRuntime.name,
        description,
        input: z.object({ input: z.string().describe("The task for this agent, in plain language.") }),
        idempotent: true,
        run: () => {
          throw new Error("internal: a sub-agent tool is run by the executor");
        },
      });
      const subAgent: SubAgent = { runtime: agentRuntime, inheritHooks: inheritHooks ?? true };
      return Object.assign(subAgentTool, { [SUB_AGENT]: subAgent });
    },
  };
  return agent;
}

/** A run or resume once its process holds the thread. */
interface OwnedRun {
  readonly threadId: string;
  /** The agent's runtime, or the one for the run's own `output` schema. */
  readonly runtime: AgentRuntime;
  readonly emit: (event: AgentEvent) => void;
  /** The caller's signal joined with the lease's `cancelRequested` and `lost`. */
  readonly signal: AbortSignal | undefined;
  readonly lost: AbortSignal | undefined;
}

/** What a run or resume starts from, worked out once the thread is held and read. */
interface Prepared {
  readonly runId: string;
  readonly decisions: Map<string, Decision>;
  readonly input?: string;
  readonly attachments?: readonly Attachment[];
  readonly trace?: TraceContext;
}

/** The caller's trace context, checked: a malformed one is a `ConfigError`, not a broken trace. */
function traceContextOf(opts: RunOptions): TraceContext | undefined {
  if (opts.traceparent === undefined) {
    if (opts.tracestate !== undefined)
      throw new ConfigError("run(input, { tracestate }): tracestate needs a traceparent beside it.");
    return undefined;
  }
  const parsed = TraceContextSchema.safeParse({
    traceparent: opts.traceparent,
    ...(opts.tracestate !== undefined ? { tracestate: opts.tracestate } : {}),
  });
  if (!parsed.success) {
    throw new ConfigError(
      `run(input, { traceparent }): "${String(opts.traceparent).slice(0, 80)}" is not a W3C traceparent (00-<32 hex trace id>-<16 hex span id>-<2 hex flags>, lower case, ids not all zero)${opts.tracestate !== undefined ? ", or tracestate is over 512 characters" : ""}.`,
    );
  }
  return parsed.data;
}

/** Why a resume takes up the run, if it does: a run left mid-way, or a pause a human answered. */
function resumeReason(
  root: ExecutionFrame,
  decisions: ReadonlyMap<string, Decision>,
): "unfinished" | "decisions" | undefined {
  const paused = root.status === "interrupted" || root.status === "cancelled";
  // A root still reads as paused while the sub-agents a resumed pause woke up run: that run stopped
  // mid-way too.
  // A cancelled run is taken up from where it stopped, as one left running is.
  const running =
    root.status === "running" || root.status === "cancelled" || (paused && anyChildRunning(root));
  if ((paused || running) && (decisions.size > 0 || decidedNotRun(root))) return "decisions";
  if (running) return "unfinished";
  return undefined;
}

function anyChildRunning(frame: ExecutionFrame): boolean {
  return Object.values(frame.children).some((c) => c.status === "running" || anyChildRunning(c));
}

/** Whether a decision journaled from outside (`recordDecisions`) waits to be carried out. */
function decidedNotRun(frame: ExecutionFrame): boolean {
  const calls = frame.turn?.calls ?? [];
  if (calls.some((c) => c.approval?.state === "resolved" && c.execution === "pending")) return true;
  return Object.values(frame.children).some(decidedNotRun);
}

/** The `HookError` of a hook that failed guarding a call, saying the call now waits for a human. */
function pausedByHook(error: HookError, threadId: string, pending: readonly PendingApproval[]): HookError {
  const refs = pending.map((p) => `"${p.ref}": { approve: true }`).join(", ");
  return new HookError(error.hookName, error.hookPoint, error.cause, {
    note: `Nothing ran; the thread is paused for a human: resume("${threadId}", { decisions: { ${refs} } }) decides it.`,
  });
}

function completed<Output>(root: ExecutionFrame, output: OutputRuntime | undefined): RunResult<Output> {
  const last = root.messages.at(root.messages.length - 1);
  const refusal = last?.role === "assistant" ? last.refusal : undefined;
  const text = root.result?.text ?? "";
  const base = { status: "completed" as const, threadId: root.threadId, text, frame: root };
  if (refusal !== undefined) return { ...base, output: undefined, refusal };
  if (!output) return { ...base, output: undefined as Output };
  // The journal holds the answer's text; the typed value is the schema's parse of it, every time.
  const check = checkOutput(output.schema, text);
  if (!check.ok) {
    throw new RunFailedError(
      "invalid_output",
      root.threadId,
      `The thread's final answer does not match the agent's output schema (was the schema changed since?): ${check.message}`,
    );
  }
  return { ...base, output: check.value as Output };
}

/** Every option `createAgent` reads: anything else is a mistake worth naming. */
const AGENT_OPTIONS: readonly string[] = [
  ...Object.keys(AgentConfigSchema.shape),
  "provider",
  "tools",
  "journal",
  "hooks",
  "settings",
  "output",
  "now",
  "random",
  "tokenizer",
  "compression",
];

/** An agent's runtime, and the same runtime with another `output` schema (for one run's `output`). */
interface ResolvedRuntime {
  readonly runtime: AgentRuntime;
  withOutput(schema: unknown, where: string): AgentRuntime;
}

function resolveRuntime(options: AgentOptions<unknown>): ResolvedRuntime {
  if (!options || typeof options !== "object")
    throw new ConfigError("createAgent(options): options must be an object.");
  for (const key of Object.keys(options)) {
    if (AGENT_OPTIONS.includes(key)) continue;
    const near = closestName(key, AGENT_OPTIONS);
    throw new ConfigError(
      `createAgent: unknown option "${key}"${near ? `; did you mean "${near}"?` : "."} Options: ${AGENT_OPTIONS.join(", ")}.`,
    );
  }
  const parsed = AgentConfigSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`createAgent: option "${issue.path.join(".")}" is invalid: ${issue.message}.`);
  }
  const config = parsed.data;
  const provider = options.provider;
  if (!provider || typeof provider.doStream !== "function") {
    throw new ConfigError(
      'createAgent: "provider" must be a Provider (an object with doStream), e.g. new ScriptedProvider(...) from @loom/testing or a provider package.',
    );
  }
  if (provider.specificationVersion !== "v1") {
    throw new ConfigError(
      `createAgent: provider "${provider.provider}" implements specification ${String(provider.specificationVersion)}, but this @loom/core supports v1.`,
    );
  }
  const hooks = options.hooks ?? [];
  for (const hook of hooks) {
    if (!hook || typeof hook.name !== "string") {
      throw new ConfigError('createAgent: every hook needs a "name" (used in errors and logs).');
    }
    // A method named like a hook point that is not one is almost surely a typo that would never run.
    const misnamed = hookMethodNames(hook).filter(
      (k) => /^(before|after)[A-Z]/.test(k) && !(HOOK_POINTS as string[]).includes(k),
    );
    if (misnamed.length > 0) {
      throw new ConfigError(
        `createAgent: hook "${hook.name}" has method(s) ${misnamed.join(", ")}, which are not hook points. Hook points: ${HOOK_POINTS.join(", ")}.`,
      );
    }
  }
  const tokenizer = options.tokenizer ?? estimateTokenizer;
  if (typeof tokenizer.count !== "function") {
    throw new ConfigError('createAgent: "tokenizer" must have count(text): number.');
  }
  const toolbox = new Toolbox(toolList(options.tools), tokenizer);
  // What an output schema changes: the prompted instruction (without native structured output), the
  // response format, and the check of the final answer.
  const shaped = (output: OutputRuntime | undefined) => ({
    system:
      output && !provider.nativeStructuredOutput
        ? [config.system, promptedInstruction(output.format)].filter((s) => s !== undefined).join("\n\n")
        : config.system,
    settings: output ? { ...options.settings, responseFormat: output.format } : (options.settings ?? {}),
  });
  const output =
    options.output !== undefined
      ? outputRuntime(options.output, config.outputRetries, config.name)
      : undefined;
  const compression = options.compression ?? dropOldest();
  if (typeof compression.compress !== "function" || typeof compression.name !== "string") {
    throw new ConfigError(
      'createAgent: "compression" must be a strategy with a name and compress(), e.g. keepLastTurns(10).',
    );
  }
  const runtime: AgentRuntime = {
    name: config.name,
    provider,
    toolbox,
    hooks,
    ...shaped(output),
    maxIterations: config.maxIterations,
    maxRepeatedToolCalls: config.maxRepeatedToolCalls,
    maxNearRepeatedToolCalls: config.maxNearRepeatedToolCalls,
    maxRepeatedFailures: config.maxRepeatedFailures,
    toolTimeoutMs: config.toolTimeoutMs,
    retry: config.retry,
    context: config.context,
    ...(output ? { output } : {}),
    random: options.random ?? Math.random,
    compression,
    tokenizer,
    keptThreads:
      config.keptThreads instanceof KeptThreads ? config.keptThreads : new KeptThreads(config.keptThreads),
    snapshots:
      config.snapshots === false
        ? undefined
        : { ...config.snapshots, budget: config.context.windowTokens - config.context.reservedOutputTokens },
  };
  const variants = new WeakMap<object, AgentRuntime>();
  return {
    runtime,
    withOutput: (schema, where) => {
      const known = typeof schema === "object" && schema !== null ? variants.get(schema) : undefined;
      if (known) return known;
      const run = outputRuntime(schema, config.outputRetries, config.name, where);
      const variant: AgentRuntime = { ...runtime, ...shaped(run), output: run };
      variants.set(schema as object, variant);
      return variant;
    },
  };
}

/**
 * `tools` as a list, or as a record of tools by name (the AI SDK's `tools: { weather }` form), in
 * which case each key must be its tool's name.
 */
function toolList(tools: AgentOptions["tools"]): readonly (Tool | ToolSet)[] {
  if (tools === undefined) return [];
  if (ToolSet.isInstance(tools)) return [tools];
  if (Array.isArray(tools)) return tools;
  if (typeof tools !== "object" || tools === null) {
    throw new ConfigError(
      `createAgent: "tools" must be a list of tools ([search, fetchPage]) or a record of them by name ({ search }); got ${typeof tools}.`,
    );
  }
  return Object.entries(tools as Record<string, Tool>).map(([key, t]) => {
    if (t && typeof t === "object" && typeof t.name === "string" && t.name !== key) {
      throw new ConfigError(
        `createAgent: "tools.${key}" is the tool named "${t.name}"; in the record form each key must be its tool's name.`,
      );
    }
    return t;
  });
}

/** Own and inherited method names of a hook object, up to (not including) Object.prototype. */
function hookMethodNames(hook: Hook): string[] {
  const names = new Set<string>();
  for (let o: object | null = hook; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const key of Object.getOwnPropertyNames(o)) {
      if (key !== "constructor" && typeof (hook as unknown as Record<string, unknown>)[key] === "function")
        names.add(key);
    }
  }
  return [...names];
}

function newId(): string {
  return globalThis.crypto.randomUUID();
}

/** A run's output schema as `run.started` journals it: the format's name and its JSON Schema's content hash. */
async function journaledOutput(output: OutputRuntime): Promise<{ name: string; hash: string }> {
  return { name: output.format.name, hash: await contentHash(canonicalJson(output.format.schema)) };
}
