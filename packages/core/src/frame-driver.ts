import type { z } from "zod";
import { isToolResultValue, journaledAttachments } from "./attachments.js";
import type { CompressionStrategy } from "./compression.js";
import { addressTexts } from "./content-hash.js";
import {
  type AssembledContext,
  assembleContext,
  type ContextComponent,
  type ContextOptionsSchema,
  messagesForTurn,
} from "./context.js";
import { approvalResolution } from "./decisions.js";
import {
  ConfigError,
  HookError,
  LoomError,
  ProviderError,
  RunCancelledError,
  RunFailedError,
  type RunFailureCode,
} from "./errors.js";
import type { ModelUsage, NewEvent } from "./events.js";
import { type FallbackChain, fallbackChain } from "./fallback.js";
import {
  addModelUsage,
  type CallState,
  type ExecutionFrame,
  failureKey,
  NO_MODEL_USAGE,
  parseArgsLoosely,
  type Turn,
} from "./frame.js";
import {
  type Decision,
  type Hook,
  type HookOutcome,
  runHooks,
  type ToolCallInfo,
  type ToolResult,
} from "./hooks.js";
import { type AssistantMessage, type Usage, UsageSchema } from "./messages.js";
import type { ModelRequest, ModelResponse, ModelSettings, Provider, ToolSpec } from "./provider.js";
import type { SnapshotPolicy, ThreadSession } from "./session.js";
import { checkOutput, type OutputRuntime } from "./structured-output.js";
import type { KeptThreads } from "./thread-states.js";
import type { Tokenizer } from "./tokenizer.js";
import type { Tool } from "./tool.js";
import type { Toolbox } from "./tool-set.js";
import { CallSteps } from "./tool-steps.js";

export interface RetryPolicy {
  readonly maxRetries: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

/** Everything a frame needs to run: the agent's resolved configuration. */
export interface AgentRuntime {
  readonly name: string;
  readonly provider: Provider;
  /** Its tools, read as they are at each request and each turn's run (`ToolSet`s change). */
  readonly toolbox: Toolbox;
  readonly hooks: readonly Hook[];
  readonly system: string | undefined;
  readonly maxIterations: number;
  readonly maxRepeatedToolCalls: number;
  readonly maxNearRepeatedToolCalls: number;
  readonly maxRepeatedFailures: number;
  readonly toolTimeoutMs: number;
  readonly retry: RetryPolicy;
  readonly context: z.output<typeof ContextOptionsSchema>;
  readonly compression: CompressionStrategy;
  readonly tokenizer: Tokenizer;
  readonly settings: ModelSettings;
  readonly random: () => number;
  /** The agent's `output` schema, checked on the final answer. */
  readonly output?: OutputRuntime;
  /** When the thread journals snapshots (`budget`: the most history tokens a request carries). */
  readonly snapshots: SnapshotPolicy | undefined;
  /** The states of threads run last: the agent's own, or shared by agents (`KeptThreads`). */
  readonly keptThreads: KeptThreads;
}

export type { Decision };

export const SUB_AGENT = Symbol.for("loom.subAgent");

/** What `agent.asTool()` attaches to its tool under `SUB_AGENT`. */
export interface SubAgent {
  readonly runtime: AgentRuntime;
  readonly inheritHooks: boolean;
}

/** The parent's hooks first (the outer guard), then the child's own; a hook given to both runs once. */
function withParentHooks(child: AgentRuntime, parentHooks: readonly Hook[]): AgentRuntime {
  if (parentHooks.length === 0) return child;
  const hooks = [...parentHooks, ...child.hooks.filter((h) => !parentHooks.includes(h))];
  return { ...child, hooks };
}

export type FrameOutcome = { status: "completed"; text: string } | { status: "interrupted"; reason: string };

interface ApprovalRequest {
  readonly callId: string;
  readonly name: string;
  readonly args: unknown;
  readonly reason: string;
}

interface Runnable {
  readonly call: CallState;
  readonly tool: Tool;
  readonly args: unknown;
}

class ToolTimeoutError extends Error {}

/** A call whose tool said its outcome is unknown (it may or may not have taken effect), and why. */
interface UnknownOutcome {
  readonly unknownOutcome: string;
}

/** Runs one frame of a thread from whatever state its events left it in, until it ends or pauses. */
export class FrameDriver {
  constructor(
    private readonly session: ThreadSession,
    private readonly agent: AgentRuntime,
    private readonly frameId: string,
    private readonly decisions: Map<string, Decision>,
    private readonly signal: AbortSignal,
  ) {}

  /** The request journaled by `requestModel` in this process, so `callModel` need not rebuild it. */
  private prepared: { iteration: number; request: ModelRequest } | undefined;

  private frame(): ExecutionFrame {
    return this.session.frame(this.frameId);
  }

  async drive(): Promise<FrameOutcome> {
    try {
      return await this.loop();
    } catch (error) {
      if (HookError.isInstance(error)) await this.fail("hook_failed", error.message, error);
      throw error;
    }
  }

  private async loop(): Promise<FrameOutcome> {
    for (;;) {
      const f = this.frame();
      if (f.status === "completed") return { status: "completed", text: f.result?.text ?? "" };
      if (f.status === "failed") throw storedFailure(f);
      this.checkCancelled();
      const turn = f.turn;
      if (!turn && f.finalAnswer !== undefined) await this.completeRun(f, f.finalAnswer);
      else if (!turn) await this.startIteration(f);
      else if (turn.phase === "started") await this.requestModel(f);
      else if (turn.phase === "requested") await this.callModel(f, turn);
      else if (turn.calls.every((c) => c.execution === "completed")) await this.endIteration(f, turn);
      else {
        const paused = await this.runCalls(f, turn);
        if (paused) return paused;
      }
    }
  }

  private checkCancelled(): void {
    if (this.signal.aborted) throw new RunCancelledError(this.session.threadId, reasonOf(this.signal));
  }

  private async fail(code: RunFailureCode, message: string, cause?: unknown): Promise<never> {
    const f = this.frame();
    await this.session.append([this.session.event(f, "run.failed", { error: { code, message } })]);
    throw new RunFailedError(code, this.session.threadId, message, { cause });
  }

  private completeRun(f: ExecutionFrame, text: string): Promise<void> {
    const last = f.messages.at(f.messages.length - 1);
    return this.finishRun(f, text, last?.role === "assistant" ? last.refusal : undefined, []);
  }

  /**
   * Ends the run on a final answer, written with `before`. With an `output` schema the answer is
   * checked first: one that fails it is fed back to the model (`output.rejected`, then a new
   * iteration) until `outputRetries` is used up, then the run fails with `invalid_output`. A refusal
   * is not checked: it ends the run as it is.
   */
  private async finishRun(
    f: ExecutionFrame,
    text: string,
    refusal: string | undefined,
    before: NewEvent[],
  ): Promise<void> {
    const output = this.agent.output;
    const check = output && refusal === undefined ? checkOutput(output.schema, text) : undefined;
    if (!output || !check || check.ok) {
      return this.session.append([...before, this.session.event(f, "run.completed", { text })]);
    }
    if (f.outputRejections < output.retries) {
      const attempt = f.outputRejections + 1;
      return this.session.append([
        ...before,
        this.session.event(f, "output.rejected", { message: check.message, attempt }),
      ]);
    }
    if (before.length > 0) await this.session.append(before);
    return this.fail(
      "invalid_output",
      `The final answer failed the output schema ${output.retries + 1} time(s); the last one: ${check.message}`,
    );
  }

  private async startIteration(f: ExecutionFrame): Promise<void> {
    if (f.runIterations >= this.agent.maxIterations) {
      await this.fail(
        "max_iterations",
        `Agent "${this.agent.name}" stopped after ${this.agent.maxIterations} iterations without a final answer. Raise maxIterations if the task needs more steps.`,
      );
    }
    const stalled = this.agent.maxNearRepeatedToolCalls;
    if (stalled > 0 && f.stall.count >= stalled) {
      await this.fail(
        "loop_detected",
        `The model made the same tool calls, differing only in numbers or whitespace, with the same results ${f.stall.count} turns in a row (${short(f.stall.signature)}); stopped to break the loop. Raise maxNearRepeatedToolCalls (0 turns this check off) if the task really repeats.`,
      );
    }
    const outcome = await runHooks(this.agent.hooks, "beforeIterationStart", {
      frame: f,
      thread: this.session.root,
    });
    if (outcome.kind !== "continue") await this.deniedByHook(outcome.hook, outcome.reason);
    await this.session.stage([this.session.event(f, "iteration.started", {}, f.iteration + 1)]);
  }

  private deniedByHook(hook: string, reason: string): Promise<never> {
    return this.fail("denied_by_hook", `Hook "${hook}" stopped the run: ${reason}`);
  }

  /** Assembles the context, lets hooks change it, and journals what will be sent. */
  private async requestModel(f: ExecutionFrame): Promise<void> {
    const agent = this.agent;
    const defaults: ContextComponent[] = agent.system
      ? [{ id: "system", kind: "system", priority: 100, content: agent.system }]
      : [];
    const before = await runHooks(agent.hooks, "beforeContextAssembly", { frame: f, components: defaults });
    if (before.kind !== "continue") return this.deniedByHook(before.hook, before.reason);
    const components = before.ctx.components;
    const updating = agent.toolbox.settled();
    if (updating) await updating;
    const offered = agent.toolbox.current();
    const assembled = await assembleContext(
      f,
      components,
      offered.tokens,
      agent.context,
      agent.compression,
      this.signal,
    );
    const assembly = {
      budget: assembled.budget,
      totalTokens: assembled.totalTokens,
      included: assembled.included,
      excluded: assembled.excluded,
    };
    const after = await runHooks(agent.hooks, "afterContextAssembly", {
      frame: f,
      messages: assembled.messages,
      assembly: assembled.compression ? { ...assembly, compression: assembled.compression } : assembly,
    });
    if (after.kind !== "continue") return this.deniedByHook(after.hook, after.reason);
    const request: ModelRequest = {
      messages: after.ctx.messages,
      tools: offered.specs,
      settings: agent.settings,
    };
    const call = await runHooks(agent.hooks, "beforeLLMCall", { frame: f, request });
    if (call.kind !== "continue") return this.deniedByHook(call.hook, call.reason);
    const sent = call.ctx.request;
    this.prepared = { iteration: f.iteration, request: sent };
    // Only what the journal cannot rebuild is journaled: the assembler's choice and each component
    // text (once per thread, by hash) are in context.assembled; the messages themselves only when a
    // hook replaced them.
    const replaced = sent.messages !== assembled.messages;
    const compression = assembled.compression;
    const system = await this.addressComponents(assembled.sent);
    // Staged, not awaited: the model call does not wait for this write (a crash before it only
    // means the call is made again), and a fast answer carries it in its own write.
    await this.session.stage([
      this.session.event(f, "context.assembled", system.length > 0 ? { ...assembly, system } : assembly),
      ...(compression ? [this.session.event(f, "compression.applied", compression as never)] : []),
      this.session.event(f, "llm.requested", {
        provider: agent.provider.provider,
        model: agent.provider.modelId,
        messageCount: sent.messages.length,
        tools: sent.tools.map((t) => t.name),
        ...(replaced ? { replacedMessages: sent.messages as never } : {}),
        ...(sent.settings !== agent.settings ? { settings: sent.settings as never } : {}),
      }),
    ]);
  }

  private async callModel(f: ExecutionFrame, turn: Turn): Promise<void> {
    const agent = this.agent;
    const attempt = turn.llmAttempts + 1;
    const request: ModelRequest =
      this.prepared?.iteration === f.iteration ? this.prepared.request : await this.rebuildRequest(f, turn);
    // A fallback chain starts each iteration at its first provider, and a resumed one where it was.
    const chain = fallbackChain(agent.provider);
    const route = chain ? routeOf(chain, turn) : undefined;
    const provider = chain && route ? chain.providers[route.index]! : agent.provider;
    let response: ModelResponse;
    try {
      response = await this.streamModel(f, request, provider);
    } catch (error) {
      this.checkCancelled();
      const failure = toProviderError(error, provider.provider);
      const tries = route ? route.attempts + 1 : attempt;
      const retrySame = failure.retryable && tries <= agent.retry.maxRetries;
      const next =
        chain !== undefined &&
        route !== undefined &&
        route.index + 1 < chain.providers.length &&
        (chain.immediate(failure) || !retrySame) &&
        chain.shouldFallback(failure);
      const willRetry = next || retrySame;
      const error_ = { code: failure.code, message: failure.message, retryable: failure.retryable };
      // What llm.failed says of it: the API's status and request id; with a fallback chain, who failed
      // and whether the turn moves on (what a resumed turn reads its route from).
      const about = {
        ...(failure.status !== undefined ? { status: failure.status } : {}),
        ...(failure.requestId !== undefined ? { requestId: failure.requestId } : {}),
        ...(chain
          ? {
              provider: provider.provider,
              model: provider.modelId,
              ...(next ? { fallback: true as const } : {}),
            }
          : {}),
      };
      if (!willRetry) {
        await this.session.append([
          this.session.event(f, "llm.failed", { error: error_, attempt, willRetry, ...about }),
        ]);
        return this.fail(
          "provider_failed",
          `Model call to ${provider.provider}/${provider.modelId} failed after ${attempt} attempt(s): ${failure.message}`,
          failure,
        );
      }
      // The next provider takes the turn at once: the wait is for the one that failed.
      const delay = next ? 0 : retryDelay(agent.retry, tries, failure, agent.random);
      await this.session.append([
        this.session.event(f, "llm.failed", {
          error: error_,
          attempt,
          willRetry,
          retryInMs: delay,
          ...about,
        }),
      ]);
      await sleep(delay, this.signal);
      return;
    }
    const after = await runHooks(agent.hooks, "afterLLMResponse", { frame: f, response });
    if (after.kind !== "continue") return this.deniedByHook(after.hook, after.reason);
    const final = after.ctx.response;
    // Staged: it is written with the turn's tool.started (or its end), before any tool runs.
    await this.session.stage([
      this.session.event(f, "llm.completed", {
        message: withCallIds(final.message, f),
        usage: final.usage,
        finishReason: final.finishReason,
        attempt,
        ...(final.requestId !== undefined ? { requestId: final.requestId } : {}),
        ...(final.responseId !== undefined ? { responseId: final.responseId } : {}),
        ...(chain ? { provider: provider.provider, model: provider.modelId } : {}),
        ...(final.warnings?.length ? { warnings: [...final.warnings] } : {}),
      }),
    ]);
  }

  /**
   * Gives each component sent its content address, and its text the first time the thread sends
   * it; returns the hashes in system-message order.
   */
  private async addressComponents(sent: AssembledContext["sent"]): Promise<string[]> {
    const addresses = await addressTexts(
      sent.map((s) => s.component.content),
      this.session.root.contents,
    );
    sent.forEach(({ component, record }, i) => {
      const { hash, first } = addresses[i]!;
      (record as { hash?: string }).hash = hash;
      if (first) (record as { content?: string }).content = component.content;
    });
    return addresses.map((a) => a.hash);
  }

  /** The request of a turn journaled by another process, rebuilt from the journal alone. */
  private async rebuildRequest(f: ExecutionFrame, turn: Turn): Promise<ModelRequest> {
    const agent = this.agent;
    if (!turn.replacedMessages) await f.messages.load(turn.historyFrom);
    const { specs } = agent.toolbox.current();
    return {
      messages: messagesForTurn(f, agent.system, this.session.root.contents),
      tools: turn.tools ? specs.filter((t) => turn.tools!.includes(t.name)) : specs,
      settings: (turn.settings as ModelSettings | undefined) ?? agent.settings,
    };
  }

  private async streamModel(
    f: ExecutionFrame,
    request: ModelRequest,
    provider: Provider,
  ): Promise<ModelResponse> {
    const base = {
      threadId: this.session.threadId,
      runId: this.session.runId,
      frameId: f.frameId,
      depth: f.depth,
      iteration: f.iteration,
    };
    const streaming = this.session.streaming;
    for await (const part of provider.doStream(request, { signal: this.signal })) {
      if (!streaming && part.type !== "finish") continue;
      if (part.type === "text-delta") {
        this.session.emit({ ...base, type: "llm.delta", data: { kind: "text", delta: part.delta } });
      } else if (part.type === "reasoning-delta") {
        this.session.emit({ ...base, type: "llm.delta", data: { kind: "reasoning", delta: part.delta } });
      } else if (part.type === "refusal-delta") {
        this.session.emit({ ...base, type: "llm.delta", data: { kind: "refusal", delta: part.delta } });
      } else if (part.type === "tool-call-delta") {
        this.session.emit({
          ...base,
          type: "llm.delta",
          data: { kind: "tool-call", delta: part.argsDelta, ...(part.callId ? { callId: part.callId } : {}) },
        });
      } else if (part.type === "finish") {
        return {
          message: part.message,
          usage: part.usage,
          finishReason: part.finishReason,
          ...(part.requestId !== undefined ? { requestId: part.requestId } : {}),
          ...(part.responseId !== undefined ? { responseId: part.responseId } : {}),
          ...(part.warnings?.length ? { warnings: part.warnings } : {}),
        };
      }
    }
    throw new ProviderError("invalid_response", "The model's stream ended without a final message.", {
      provider: provider.provider,
      retryable: true,
    });
  }

  private async endIteration(f: ExecutionFrame, turn: Turn): Promise<void> {
    const outcome = await runHooks(this.agent.hooks, "afterIterationEnd", { frame: f });
    if (outcome.kind !== "continue") return this.deniedByHook(outcome.hook, outcome.reason);
    const ended = this.session.event(f, "iteration.completed", {});
    if (turn.calls.length > 0) return this.session.stage([ended]);
    await this.finishRun(f, turn.assistant?.content ?? "", turn.assistant?.refusal, [ended]);
  }

  /** Runs the open turn's tool calls. Returns an outcome when the frame pauses for a human. */
  private async runCalls(f: ExecutionFrame, turn: Turn): Promise<FrameOutcome | undefined> {
    const awaiting = turn.calls.filter((c) => c.approval?.state === "requested");
    if (awaiting.length > 0) return this.resolveApprovals(f, awaiting);

    const fresh = turn.calls.every((c) => c.execution === "pending" && c.approval === undefined);
    if (fresh && f.repeat.count >= this.agent.maxRepeatedToolCalls) {
      await this.fail(
        "loop_detected",
        `The model asked for the same tool calls with the same arguments ${f.repeat.count} turns in a row (${f.repeat.signature}); stopped to break the loop.`,
      );
    }
    const failing =
      // No failure recorded yet (the common case): no key can have reached the limit.
      fresh && this.agent.maxRepeatedFailures > 0 && f.failures.size > 0
        ? turn.calls
            .map((c) => ({ key: failureKey(c.name, c.rawArgs), call: c }))
            .find(({ key }) => (f.failures.get(key) ?? 0) >= this.agent.maxRepeatedFailures)
        : undefined;
    if (failing) {
      await this.fail(
        "loop_detected",
        `The model asked again for a call that already failed ${f.failures.get(failing.key)} times in this run (${short(failing.key)}); stopped to break the loop. Raise maxRepeatedFailures (0 turns this check off) to let it try more.`,
      );
    }

    const completions: NewEvent[] = [];
    const starts: NewEvent[] = [];
    const runnable: Runnable[] = [];
    const approvals: ApprovalRequest[] = [];
    const decided: { request: ApprovalRequest; decision: Decision }[] = [];
    let hookFailure: HookError | undefined;
    const complete = (call: CallState, code: string, content: string) =>
      completions.push(
        this.session.event(f, "tool.completed", {
          callId: call.callId,
          name: call.name,
          content,
          error: { code, message: content },
        }),
      );

    const { tools } = this.agent.toolbox.current();
    for (const call of turn.calls) {
      if (call.execution === "completed") continue;
      const tool = tools.get(call.name);
      const approval = call.approval?.state === "resolved" ? call.approval : undefined;
      if (!tool) {
        complete(call, "unknown_tool", unknownToolMessage(call.name, tools));
        continue;
      }
      if (approval?.decision === "reject") {
        complete(
          call,
          "rejected",
          `A human rejected this call${approval.reason ? `: ${approval.reason}` : "."}`,
        );
        continue;
      }
      if (call.execution === "started") {
        // Started by a process that stopped before journaling the outcome.
        // An approval allowed one run, not two: an approved call follows its policy like any other.
        const next = afterUnknownOutcome(tool);
        if (next === "rerun") {
          const restored = restoreArgs(call, tool);
          if (restored.ok) runnable.push({ call, tool, args: restored.args });
          else complete(call, "invalid_arguments", restored.message);
        } else if (next === "ask") {
          approvals.push({
            callId: call.callId,
            name: call.name,
            args: call.args ?? null,
            reason:
              "The process running this call stopped before it finished; its outcome is unknown. Run it again?",
          });
        } else {
          complete(
            call,
            "unknown_outcome",
            `The outcome of this call is unknown: the process running it stopped before it finished, and "${call.name}" is not safe to run twice, so it was not run again.`,
          );
        }
        continue;
      }

      const parsed = parseArgs(
        call,
        tool,
        approval?.decision === "edit" ? { edited: approval.args } : undefined,
      );
      if (!parsed.ok) {
        complete(call, "invalid_arguments", parsed.message);
        continue;
      }
      const approved = approval !== undefined;
      let before: HookOutcome<"beforeToolExecution">;
      try {
        before = await runHooks(this.agent.hooks, "beforeToolExecution", {
          frame: f,
          call: callInfo(call, parsed.args),
          tool,
          approved,
          signal: this.signal,
        });
      } catch (error) {
        if (!HookError.isInstance(error)) throw error;
        // The hook that guards a call failed: the safe outcome is a call that waits for a human.
        hookFailure ??= error;
        approvals.push({
          callId: call.callId,
          name: call.name,
          args: parsed.input ?? null,
          reason: `Hook "${error.hookName}" failed while deciding this call (${error.message}); decide it by hand.`,
        });
        continue;
      }
      if (before.kind === "deny") {
        complete(call, "denied", `Not run: ${before.reason}`);
        continue;
      }
      if (before.kind === "interrupt" && !approved) {
        approvals.push({
          callId: call.callId,
          name: call.name,
          args: parsed.input ?? null,
          reason: before.reason,
        });
        continue;
      }
      if (before.kind === "decided" && !approved) {
        const request = {
          callId: call.callId,
          name: call.name,
          args: parsed.input ?? null,
          reason: before.reason,
        };
        decided.push({ request, decision: before.decision });
        continue;
      }
      // The tool runs with what its schema made of the arguments (transforms, defaults); the journal
      // keeps the JSON they were made from, which the schema turns into the same value on resume.
      let args = parsed.args;
      let journaled = parsed.input;
      let edited = approval?.decision === "edit";
      if (before.kind === "continue" && "args" in before.ctx) {
        edited = true;
        const reparsed = tool.input.safeParse((before.ctx as { args: unknown }).args);
        if (!reparsed.success) {
          complete(
            call,
            "invalid_arguments",
            `A hook changed the arguments into invalid ones: ${reparsed.error.message}`,
          );
          continue;
        }
        args = reparsed.data;
        journaled = toJson((before.ctx as { args: unknown }).args);
      }
      if (SUB_AGENT in tool) {
        const recursion = await runHooks(this.agent.hooks, "beforeRecursion", {
          frame: f,
          call: callInfo(call, args),
          input: (args as { input: string }).input,
        });
        if (recursion.kind !== "continue") {
          complete(call, "denied", `Not run: ${recursion.reason}`);
          continue;
        }
        if (recursion.ctx.input !== (args as { input: string }).input) edited = true;
        args = { input: recursion.ctx.input };
        journaled = args;
      }
      starts.push(
        this.session.event(f, "tool.started", {
          callId: call.callId,
          name: call.name,
          args: journaled as never,
          ...(edited ? { originalArgs: parseArgsLoosely(call.rawArgs) as never } : {}),
          idempotencyKey: idempotencyKey(this.session.threadId, call),
        }),
      );
      runnable.push({ call, tool, args });
    }

    if (decided.length > 0) {
      // Answered while we waited: journal question and answer, then take the turn again.
      await this.session.append([
        this.session.event(f, "approval.requested", { calls: decided.map((d) => d.request) as never }),
        ...decided.map((d) => this.resolution(f, d.request.callId, d.decision)),
      ]);
      return undefined;
    }
    if (approvals.length > 0) {
      const reason = hookFailure ? "hook_failed" : "approval";
      await this.session.append([
        this.session.event(f, "approval.requested", { calls: approvals as never }),
        this.session.event(f, "run.interrupted", {
          reason,
          pendingCallIds: approvals.map((a) => a.callId),
        }),
      ]);
      if (hookFailure) this.session.pausedBy ??= hookFailure;
      return { status: "interrupted", reason };
    }
    if (runnable.length > 0 && runnable.every((r) => isReadOnly(r.tool))) {
      // Nothing these calls do needs their record first: they run while it is written (ADR 0015).
      await this.session.appendBehind([...completions, ...starts]);
    } else if (completions.length + starts.length > 0) {
      await this.session.append([...completions, ...starts]);
    }
    if (runnable.length === 0) return undefined;

    const started = this.frame();
    const settled = await Promise.allSettled(runnable.map((r) => this.execute(started, r)));
    const failure = settled.find((s) => s.status === "rejected");
    if (failure) throw (failure as PromiseRejectedResult).reason;
    this.checkCancelled();
    const waiting = runnable.filter((_, i) => {
      const outcome = settled[i]!;
      return outcome.status === "fulfilled" && outcome.value === "interrupted";
    });
    if (waiting.length > 0)
      return this.pause(
        this.frame(),
        "approval",
        waiting.map((r) => r.call.callId),
      );
    return undefined;
  }

  private async resolveApprovals(
    f: ExecutionFrame,
    awaiting: CallState[],
  ): Promise<FrameOutcome | undefined> {
    const decided = awaiting.filter((c) => this.decisions.has(c.ref));
    if (decided.length === 0) {
      return this.pause(
        f,
        f.interruptReason ?? "approval",
        awaiting.map((c) => c.callId),
      );
    }
    const events = decided.map((call) => {
      const decision = this.decisions.get(call.ref)!;
      this.decisions.delete(call.ref);
      return this.resolution(f, call.callId, decision);
    });
    await this.session.append(events);
    // The turn runs once every pending call has an answer; until then the frame stays paused.
    return undefined;
  }

  /**
   * Ends the frame's drive paused. A frame waiting on its sub-agents, or on calls still unanswered
   * after others were decided, journals its own pause, so the thread's status says "interrupted"
   * wherever in it a human is awaited.
   */
  private async pause(f: ExecutionFrame, reason: string, callIds: string[]): Promise<FrameOutcome> {
    if (f.status !== "interrupted") {
      await this.session.append([
        this.session.event(f, "run.interrupted", { reason, pendingCallIds: callIds }),
      ]);
    }
    return { status: "interrupted", reason };
  }

  private resolution(f: ExecutionFrame, callId: string, decision: Decision): NewEvent {
    return this.session.event(f, "approval.resolved", approvalResolution(callId, decision));
  }

  /** Runs one call and journals its outcome. Returns "interrupted" when a sub-agent paused. */
  private async execute(
    frame: ExecutionFrame,
    runnable: Runnable,
  ): Promise<"done" | "interrupted" | "aborted"> {
    const { call, tool } = runnable;
    const startedAt = this.session.now();
    const reported = new ReportedUsage();
    let result: ToolResult;
    if (SUB_AGENT in tool) {
      const outcome = await this.runSubAgent(runnable);
      if (outcome === "interrupted") return "interrupted";
      result = outcome;
    } else {
      const steps = new CallSteps(this.session, frame, runnable.call);
      const ran = await this.runTool(frame, runnable, reported, steps);
      reported.close();
      steps.close();
      if (ran === "aborted") return "aborted";
      if ("unknownOutcome" in ran) {
        // As after a crash during the call (runCalls): its start stays the last word on it, and a
        // human decides whether it runs again; until then nothing is completed or run.
        await this.session.append([
          this.session.event(frame, "approval.requested", {
            calls: [
              {
                callId: call.callId,
                name: call.name,
                args: (this.frame().turn?.calls.find((c) => c.callId === call.callId)?.args ?? null) as never,
                reason: `The outcome of this call is unknown (${ran.unknownOutcome}): it may or may not have taken effect. Run it again?`,
              },
            ],
          }),
        ]);
        return "interrupted";
      }
      result = ran;
    }
    const info = callInfo(call, runnable.args);
    let final = result;
    try {
      const after = await runHooks(this.agent.hooks, "afterToolExecution", {
        frame,
        call: info,
        result,
        modelUsage: reported.byModel() ?? NO_MODEL_USAGE,
      });
      if (after.kind === "continue") final = after.ctx.result;
    } catch (error) {
      // The tool has run: its outcome is journaled before the hook's failure ends the run.
      await this.session.append([await this.completion(frame, call, result, startedAt, reported)]);
      throw error;
    }
    // Staged: written within the current macrotask's end, or with the next step's first write
    // (ADR 0010); nothing that depends on it runs before it is durable or rides with it.
    await this.session.stage([await this.completion(frame, call, final, startedAt, reported)]);
    return "done";
  }

  private async completion(
    frame: ExecutionFrame,
    call: CallState,
    result: ToolResult,
    startedAt: number,
    reported: ReportedUsage,
  ): Promise<NewEvent> {
    const attachments = result.attachments?.length
      ? await journaledAttachments(result.attachments, this.session.root.contents)
      : undefined;
    const modelUsage = reported.byModel();
    return this.session.event(frame, "tool.completed", {
      callId: call.callId,
      name: call.name,
      content: result.content,
      ...(attachments ? { attachments } : {}),
      ...(modelUsage ? { modelUsage } : {}),
      ...(result.output !== undefined ? { output: toJson(result.output) as never } : {}),
      ...(result.isError ? { error: { code: "tool_error", message: result.content } } : {}),
      durationMs: Math.max(0, this.session.now() - startedAt),
    });
  }

  private async runTool(
    frame: ExecutionFrame,
    { call, tool, args }: Runnable,
    reported: ReportedUsage,
    steps: CallSteps,
  ): Promise<ToolResult | UnknownOutcome | "aborted"> {
    const timeoutMs = tool.timeoutMs ?? this.agent.toolTimeoutMs;
    const controller = new AbortController();
    const session = this.session;
    const context = {
      signal: controller.signal,
      idempotencyKey: idempotencyKey(session.threadId, call),
      callId: call.callId,
      callRef: call.ref,
      frame,
      reportProgress: (progress: unknown) =>
        session.emit({
          type: "tool.progress",
          threadId: session.threadId,
          runId: session.runId,
          frameId: frame.frameId,
          depth: frame.depth,
          iteration: frame.iteration,
          data: { callId: call.callId, name: call.name, progress },
        }),
      reportUsage: (usage: Usage, model?: { provider: string; model: string }) => reported.add(usage, model),
      step: <T>(name: string, run: () => T | Promise<T>) => steps.run(name, run),
    };
    let pending: unknown;
    try {
      pending = tool.run(args, context);
    } catch (error) {
      return failed(tool, call.name, error);
    }
    // A tool that answered synchronously needs no timer and no link to the run's signal.
    if (!isThenable(pending)) return fromOutput(pending);

    const onAbort = () => controller.abort(this.signal.reason);
    this.signal.addEventListener("abort", onAbort, { once: true });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new ToolTimeoutError(`timed out after ${timeoutMs} ms`);
        controller.abort(error);
        reject(error);
      }, timeoutMs);
    });
    try {
      return fromOutput(await Promise.race([pending, timeout]));
    } catch (error) {
      if (this.signal.aborted) return "aborted";
      return failed(tool, call.name, error);
    } finally {
      clearTimeout(timer);
      this.signal.removeEventListener("abort", onAbort);
    }
  }

  private async runSubAgent({ call, tool, args }: Runnable): Promise<ToolResult | "interrupted"> {
    const { runtime, inheritHooks } = (tool as Tool & { [SUB_AGENT]: SubAgent })[SUB_AGENT];
    // A sub-agent is guarded by its parent's hooks (approvals, limits, logging) unless it opted out.
    const child = inheritHooks ? withParentHooks(runtime, this.agent.hooks) : runtime;
    let state = this.frame().turn?.calls.find((c) => c.callId === call.callId);
    let childFrameId = state?.childFrameId;
    if (!childFrameId) {
      const parent = this.frame();
      childFrameId = `${parent.frameId}.${parent.iteration}.${call.callId}`;
      await this.session.append([
        this.session.event(parent, "frame.spawned", {
          childFrameId,
          callId: call.callId,
          name: call.name,
          input: (args as { input: string }).input,
        }),
      ]);
      state = this.frame().turn?.calls.find((c) => c.callId === call.callId);
    }
    const childFrame = this.session.frame(childFrameId);
    if (childFrame.status === "idle") {
      await this.session.append([
        this.session.event(childFrame, "run.started", {
          input: (args as { input: string }).input,
          agent: child.name,
        }),
      ]);
    }
    try {
      const outcome = await new FrameDriver(
        this.session,
        child,
        childFrameId,
        this.decisions,
        this.signal,
      ).drive();
      if (outcome.status === "interrupted") return "interrupted";
      return { content: outcome.text, output: outcome.text, isError: false };
    } catch (error) {
      if (RunFailedError.isInstance(error)) {
        return { content: `Sub-agent "${call.name}" failed: ${error.message}`, isError: true };
      }
      throw error;
    }
  }
}

/** The model usage a running call reports (`reportUsage`), by model; nothing counts once the call returned. */
class ReportedUsage {
  private models: readonly ModelUsage[] = NO_MODEL_USAGE;
  private open = true;

  add(usage: Usage, model: { provider: string; model: string } | undefined): void {
    const parsed = UsageSchema.safeParse(usage);
    if (!parsed.success) {
      throw new ConfigError(
        `reportUsage takes { inputTokens, outputTokens, reasoningTokens?, cachedInputTokens?, cacheWriteTokens? }, each a whole number of tokens >= 0; got ${JSON.stringify(usage)}.`,
      );
    }
    if (model !== undefined && !(typeof model.provider === "string" && typeof model.model === "string")) {
      throw new ConfigError(
        `reportUsage's model is { provider, model }, both strings (e.g. { provider: "openai", model: "gpt-4.1" }); got ${JSON.stringify(model)}.`,
      );
    }
    if (!this.open) return;
    this.models = addModelUsage(this.models, {
      ...(model ? { provider: model.provider, model: model.model } : {}),
      usage: parsed.data,
    });
  }

  close(): void {
    this.open = false;
  }

  byModel(): ModelUsage[] | undefined {
    return this.models.length > 0 ? [...this.models] : undefined;
  }
}

/** A call as hooks see it, with the arguments it is to run with. */
function callInfo(call: CallState, args: unknown): ToolCallInfo {
  return { callId: call.callId, ref: call.ref, name: call.name, args };
}

/** A long signature cut for an error message. */
function short(text: string): string {
  return text.length <= 300 ? text : `${text.slice(0, 297)}...`;
}

/**
 * The key a tool dedupes on: `<threadId>/<callId>@<seq>`, unique in every thread for ever. A call
 * started by an older Loom keeps the key it was started with.
 */
function idempotencyKey(threadId: string, call: CallState): string {
  return call.idempotencyKey ?? `${threadId}/${call.ref}`;
}

/** A tool whose calls may run while their start is written (ADR 0015): read-only, and not a sub-agent. */
function isReadOnly(tool: Tool): boolean {
  return tool.readOnly === true && !(SUB_AGENT in tool);
}

/** The value a started call runs with again: its journaled arguments, through the tool's schema. */
function restoreArgs(
  call: CallState,
  tool: Tool,
): { ok: true; args: unknown } | { ok: false; message: string } {
  if (SUB_AGENT in tool) return { ok: true, args: call.args };
  return parseArgs(call, tool, { edited: call.args });
}

function storedFailure(f: ExecutionFrame): RunFailedError {
  const error = f.error ?? { code: "internal", message: "The run failed." };
  return new RunFailedError(error.code as RunFailureCode, f.threadId, error.message);
}

export function reasonOf(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason.message;
  return reason === undefined ? "aborted" : String(reason);
}

function parseArgs(
  call: CallState,
  tool: Tool,
  override?: { edited: unknown },
): { ok: true; args: unknown; input: unknown } | { ok: false; message: string } {
  let raw: unknown;
  if (override) {
    raw = override.edited;
  } else {
    try {
      raw = call.rawArgs.trim() === "" ? {} : JSON.parse(call.rawArgs);
    } catch (error) {
      return {
        ok: false,
        message: `The arguments for "${call.name}" are not valid JSON (${(error as Error).message}). Call it again with a JSON object matching its schema.`,
      };
    }
  }
  const result = tool.input.safeParse(raw);
  if (result.success) return { ok: true, args: result.data, input: raw };
  const problems = result.error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "(root)"}: ${issue.message}`)
    .join("; ");
  return {
    ok: false,
    message: `The arguments for "${call.name}" do not match its schema: ${problems}. Call it again with corrected arguments.`,
  };
}

function unknownToolMessage(name: string, tools: ReadonlyMap<string, Tool>): string {
  const names = [...tools.keys()];
  return `There is no tool named "${name}". Available tools: ${names.length > 0 ? names.join(", ") : "none"}.`;
}

/**
 * What a call whose outcome is unknown does next, by its tool: runs again (it may run twice: a
 * sub-agent, an idempotent or read-only tool, or `onUnknownOutcome: "retry"`), asks a human, or fails.
 */
function afterUnknownOutcome(tool: Tool): "rerun" | "ask" | "fail" {
  if (SUB_AGENT in tool || tool.idempotent || isReadOnly(tool) || tool.onUnknownOutcome === "retry") {
    return "rerun";
  }
  return tool.onUnknownOutcome === "ask" ? "ask" : "fail";
}

/**
 * A tool's error as its result, or, when it leaves the outcome unknown and the tool asks a human then
 * (as after a crash during the call), the unknown outcome that pauses the run.
 */
function failed(tool: Tool, name: string, error: unknown): ToolResult | UnknownOutcome {
  if (outcomeUnknown(error) && afterUnknownOutcome(tool) === "ask") {
    return { unknownOutcome: error instanceof Error ? error.message : String(error) };
  }
  return toolFailure(name, error);
}

/**
 * Whether a tool's error leaves its outcome unknown: the run's own timeout (the tool may still be
 * working), or an error that says so with `outcomeUnknown: true` (an MCP server that died or did not
 * answer in time, a payment API whose request timed out).
 */
function outcomeUnknown(error: unknown): boolean {
  if (error instanceof ToolTimeoutError) return true;
  return (
    typeof error === "object" &&
    error !== null &&
    (error as { outcomeUnknown?: unknown }).outcomeUnknown === true
  );
}

/** What the model sees of a tool that threw or timed out. */
function toolFailure(name: string, error: unknown): ToolResult {
  if (error instanceof ToolTimeoutError)
    return { content: `Tool "${name}" ${error.message}.`, isError: true };
  const message = error instanceof Error ? error.message : String(error);
  return { content: `Tool "${name}" failed: ${message}`, isError: true };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/** A tool's return value as its result: `toolResult(...)` carries text, attachments and output apart. */
function fromOutput(output: unknown): ToolResult {
  if (isToolResultValue(output)) {
    return {
      content: output.content,
      ...(output.output !== undefined ? { output: output.output } : {}),
      isError: false,
      ...(output.attachments.length > 0 ? { attachments: output.attachments } : {}),
    };
  }
  return { content: toContent(output), output, isError: false };
}

function toContent(output: unknown): string {
  if (typeof output === "string") return output;
  if (output === undefined) return "";
  return JSON.stringify(output) ?? String(output);
}

function toJson(value: unknown): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? null : JSON.parse(text);
  } catch {
    return String(value);
  }
}

/**
 * Tool call ids must be unique within a turn; some models send none. Loom's own ids name the frame
 * too (a sub-agent's differ from its parent's), though a call's identity is its `ref`.
 */
function withCallIds(message: AssistantMessage, f: ExecutionFrame): AssistantMessage {
  const prefix = f.depth === 0 ? `call_${f.iteration}` : `call_${f.frameId}_${f.iteration}`;
  const calls = message.toolCalls;
  if (!calls || calls.every((c, i) => c.id !== "" && calls.findIndex((d) => d.id === c.id) === i))
    return message;
  return {
    ...message,
    toolCalls: calls.map((c, i) => ({
      ...c,
      id: c.id !== "" && calls.findIndex((d) => d.id === c.id) === i ? c.id : `${prefix}_${i}`,
    })),
  };
}

export function toProviderError(error: unknown, provider: string): ProviderError {
  if (ProviderError.isInstance(error)) return error;
  if (error instanceof Error && error.name === "AbortError") {
    return new ProviderError("aborted", "The model call was aborted.", {
      provider,
      retryable: false,
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  const code = LoomError.isInstance(error) ? error.code : undefined;
  return new ProviderError("unknown", `${provider} provider threw${code ? ` (${code})` : ""}: ${message}`, {
    provider,
    retryable: false,
    cause: error,
  });
}

/** The one retry schedule: `retry-after` when the provider gave one, else exponential backoff with jitter. */
export function retryDelay(
  policy: RetryPolicy,
  attempt: number,
  error: ProviderError,
  random: () => number,
): number {
  if (error.retryAfterMs !== undefined) return Math.min(Math.max(0, error.retryAfterMs), 60_000);
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
  return Math.round(base * (0.5 + random() / 2));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

export function countToolTokens(tokenizer: Tokenizer, specs: readonly ToolSpec[]): number {
  return specs.length === 0 ? 0 : tokenizer.count(JSON.stringify(specs));
}

/**
 * Which provider of a fallback chain takes the turn, and its attempts so far, from the turn's
 * journaled failures: the first with none; after a failure, the same one, or the next when the turn
 * moved on. A provider the chain no longer has (its configuration changed) starts the chain again.
 */
function routeOf(chain: FallbackChain, turn: Turn): { index: number; attempts: number } {
  const failed = turn.failedOn;
  if (!failed) return { index: 0, attempts: 0 };
  const index = chain.providers.findIndex(
    (p) => p.provider === failed.provider && p.modelId === failed.model,
  );
  if (index < 0) return { index: 0, attempts: 0 };
  if (failed.movedOn)
    return index + 1 < chain.providers.length ? { index: index + 1, attempts: 0 } : { index: 0, attempts: 0 };
  return { index, attempts: failed.tries };
}
