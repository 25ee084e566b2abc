import { resolvedAttachments } from "./attachments.js";
import {
  type ContextComponentRecord,
  type ErrorInfo,
  type ModelUsage,
  SnapshotContentsSchema,
  type StoredEvent,
} from "./events.js";
import { History } from "./history.js";
import type { JsonValue } from "./json-value.js";
import type { AssistantMessage, Attachment, Message, ToolCall, Usage } from "./messages.js";

/** Every status a frame (and a thread, by its root frame) can have. */
export const FRAME_STATUSES = ["idle", "running", "interrupted", "completed", "failed", "cancelled"] as const;
export type FrameStatus = (typeof FRAME_STATUSES)[number];

export type ApprovalState =
  | { readonly state: "requested"; readonly reason: string }
  | {
      readonly state: "resolved";
      readonly decision: "approve" | "reject" | "edit";
      readonly reason?: string | undefined;
      readonly args?: unknown;
    };

/** One tool call of the open turn, and how far it got. */
export interface CallState {
  /** The model's id for the call: unique in its turn only. */
  readonly callId: string;
  /**
   * The call's identity in its thread, for ever: `<callId>@<seq>`, where seq is that of the
   * `llm.completed` that asked for it. Decisions, idempotency keys and tools name a call by it.
   */
  readonly ref: string;
  readonly name: string;
  /** The raw JSON text of the arguments, as the model produced it. */
  readonly rawArgs: string;
  readonly execution: "pending" | "started" | "completed";
  /** The arguments the tool was started with (after hooks and human edits). */
  readonly args?: unknown;
  readonly idempotencyKey?: string;
  readonly approval?: ApprovalState;
  readonly childFrameId?: string;
  /** The steps of the call that finished (`ToolContext.step`), in the order they were journaled. */
  readonly steps?: readonly { readonly name: string; readonly value?: JsonValue }[];
  readonly result?: {
    readonly content: string;
    readonly isError: boolean;
    readonly attachments?: readonly Attachment[];
  };
}

/** The open iteration of a frame. */
export interface Turn {
  readonly phase: "started" | "requested" | "responded";
  /** Index of the first history message sent to the model (set by `context.assembled`). */
  readonly historyFrom: number;
  /** Messages a compression strategy put before the kept history (from `compression.applied`). */
  readonly prefix?: readonly Message[];
  /** The hashes of the component texts that made the system message (from `context.assembled`). */
  readonly system?: readonly string[];
  /** Messages a hook substituted for the assembled ones (from `llm.requested`). */
  readonly replacedMessages?: readonly Message[];
  /** Names of the tools offered to the model, and settings a hook changed (from `llm.requested`). */
  readonly tools?: readonly string[];
  readonly settings?: Readonly<Record<string, unknown>>;
  readonly llmAttempts: number;
  /** The provider and model the turn's request went to (from `llm.requested`). */
  readonly model?: { readonly provider: string; readonly model: string };
  /**
   * With `fallbackProviders`: the provider and model of the turn's last failed model call, its
   * failures in a row, and whether the turn moved on to the next provider (from `llm.failed`).
   */
  readonly failedOn?: {
    readonly provider: string;
    readonly model: string;
    readonly tries: number;
    readonly movedOn: boolean;
  };
  readonly assistant?: AssistantMessage;
  readonly calls: readonly CallState[];
}

export interface PendingApproval {
  /** The call's identity in its thread (see `CallState.ref`): what a decision names. */
  readonly ref: string;
  readonly frameId: string;
  readonly callId: string;
  readonly name: string;
  readonly args: unknown;
  readonly reason: string;
}

/**
 * The state of one frame (the root agent or a sub-agent) of a thread, as folded from its events.
 * Immutable: `fold` returns a new frame and shares what did not change.
 */
export interface ExecutionFrame {
  readonly threadId: string;
  readonly runId: string;
  readonly frameId: string;
  readonly parentFrameId: string | undefined;
  readonly depth: number;
  /** Iterations started on this frame, over all runs of the thread. */
  readonly iteration: number;
  /** Iterations started in the current run (what `maxIterations` bounds). */
  readonly runIterations: number;
  readonly status: FrameStatus;
  readonly input: string | undefined;
  /** When the current run started (`run.started`'s timestamp). */
  readonly runStartedAt: number | undefined;
  /** The current run's `output` schema (name and hash) as `run.started` journaled it, or the last `run.resumed` that changed it. */
  readonly runOutput: { readonly name: string; readonly hash: string } | undefined;
  readonly messages: History;
  readonly turn: Turn | undefined;
  /**
   * Tokens of this frame's model calls, and of those its tools made themselves and reported
   * (`reportUsage`); not its sub-agents' (`threadUsage` adds them).
   */
  readonly usage: Usage;
  /**
   * The same tokens by provider and model: the model that answered each call (with
   * `fallbackProviders`, the one that took over), and the model a tool named when it reported.
   * From a snapshot an older version wrote, only what came after it (`usage` is whole).
   */
  readonly usageByModel: readonly ModelUsage[];
  readonly lastSeq: number;
  readonly result: { readonly text: string } | undefined;
  readonly error: ErrorInfo | undefined;
  readonly interruptReason: string | undefined;
  /** Set when an iteration ended on an answer without tool calls, until `run.completed`. */
  readonly finalAnswer: string | undefined;
  /** Final answers of the current run the agent's `output` schema rejected (`output.rejected`). */
  readonly outputRejections: number;
  /** Sub-agent frames spawned from this frame, by frame id. */
  readonly children: Readonly<Record<string, ExecutionFrame>>;
  /** The call of the parent frame this frame runs for. */
  readonly spawnedBy: string | undefined;
  /** The tool calls of the last model turn, canonicalised, and how many turns in a row repeated them. */
  readonly repeat: { readonly signature: string; readonly count: number };
  /**
   * The last finished turn's calls with numbers and whitespace in their arguments blurred, and their
   * results; how many turns in a row ended the same way (a loop that makes no progress).
   */
  readonly stall: { readonly signature: string; readonly count: number };
  /** How often each call (tool and exact arguments) failed in the current run. */
  readonly failures: ReadonlyMap<string, number>;
  /**
   * The component texts the thread's journal holds, by hash (kept on the root frame for the whole
   * thread): each text is journaled once, the first time it is sent.
   */
  readonly contents: ReadonlyMap<string, string>;
  /**
   * The messages each compression strategy last journaled before the kept history (a summary), by
   * strategy name, with the `keepFrom` they stand for: the history before `keepFrom` never changes
   * (it is append-only), so a strategy asked again about it takes its answer from the journal
   * (`CompressionInput.recall`). Only the last per strategy: the history only grows, so an earlier
   * cut is never asked for again (and a thread keeps one entry, not one per iteration).
   */
  readonly compressions: ReadonlyMap<string, JournaledCompression>;
  /** The seq of the thread's last `snapshot` event (root frame), -1 before the first. */
  readonly snapshotSeq: number;
}

/** What a compression strategy journaled: the prefix it sent before the history from `keepFrom`. */
export interface JournaledCompression {
  readonly keepFrom: number;
  readonly prefix: readonly Message[];
}

const NO_CONTENTS: ReadonlyMap<string, string> = new Map();
export const NO_MODEL_USAGE: readonly ModelUsage[] = [];
const NO_FAILURES: ReadonlyMap<string, number> = new Map();
const NO_COMPRESSIONS: ReadonlyMap<string, JournaledCompression> = new Map();

export function emptyFrame(threadId: string, init?: Partial<ExecutionFrame>): ExecutionFrame {
  return {
    threadId,
    runId: "",
    frameId: "root",
    parentFrameId: undefined,
    depth: 0,
    iteration: 0,
    runIterations: 0,
    status: "idle",
    input: undefined,
    runStartedAt: undefined,
    runOutput: undefined,
    messages: History.empty(),
    turn: undefined,
    usage: { inputTokens: 0, outputTokens: 0 },
    usageByModel: NO_MODEL_USAGE,
    lastSeq: -1,
    result: undefined,
    error: undefined,
    interruptReason: undefined,
    finalAnswer: undefined,
    outputRejections: 0,
    children: {},
    spawnedBy: undefined,
    repeat: { signature: "", count: 0 },
    stall: { signature: "", count: 0 },
    failures: NO_FAILURES,
    contents: NO_CONTENTS,
    compressions: NO_COMPRESSIONS,
    snapshotSeq: -1,
    ...init,
  };
}

/** Finds a frame by id in the tree under `root`. */
export function findFrame(root: ExecutionFrame, frameId: string): ExecutionFrame | undefined {
  if (root.frameId === frameId) return root;
  const direct = root.children[frameId];
  if (direct) return direct;
  for (const child of Object.values(root.children)) {
    const found = findFrame(child, frameId);
    if (found) return found;
  }
  return undefined;
}

/** Every approval a human still owes, in this frame and its sub-agents. */
export function pendingApprovals(frame: ExecutionFrame): PendingApproval[] {
  const pending: PendingApproval[] = [];
  for (const call of frame.turn?.calls ?? []) {
    if (call.approval?.state === "requested") {
      pending.push({
        ref: call.ref,
        frameId: frame.frameId,
        callId: call.callId,
        name: call.name,
        args: call.args ?? parseArgsLoosely(call.rawArgs),
        reason: call.approval.reason,
      });
    }
  }
  for (const child of Object.values(frame.children)) pending.push(...pendingApprovals(child));
  return pending;
}

/** A call's identity in its thread: its id and the seq of the `llm.completed` that asked for it. */
export function callRef(callId: string, completedSeq: number): string {
  return `${callId}@${completedSeq}`;
}

/**
 * Names calls by their ref as a thread's events go by (a listing, a span builder): it remembers
 * the seq of each frame's last `llm.completed`. A call whose turn was not seen (a listing that
 * starts mid-turn) is named by its call id.
 */
export class CallRefs {
  private readonly turns = new Map<string, number>();

  see(event: StoredEvent): void {
    if (event.type === "llm.completed") this.turns.set(event.frameId, event.seq);
  }

  of(frameId: string, callId: string): string {
    const seq = this.turns.get(frameId);
    return seq === undefined ? callId : callRef(callId, seq);
  }

  clear(): void {
    this.turns.clear();
  }
}

/** A call's arguments as JSON when they parse (empty means `{}`), else the raw text. */
export function parseArgsLoosely(raw: string): unknown {
  try {
    return raw.trim() === "" ? {} : JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** Folds a whole sequence of events into the state of a thread's root frame. */
export function foldAll(
  threadId: string,
  events: Iterable<StoredEvent>,
  from?: ExecutionFrame,
): ExecutionFrame {
  let frame = from ?? emptyFrame(threadId);
  for (const event of events) frame = fold(frame, event);
  return frame;
}

/**
 * The one reducer. The executor, `resume` and `reconstruct` all compute state with it, so a
 * thread's state is exactly what its journal says.
 */
export function fold(root: ExecutionFrame, event: StoredEvent): ExecutionFrame {
  const next =
    event.frameId === root.frameId
      ? applyToFrame(root, event, root.contents)
      : routeToChild(root, event, root.contents);
  const stamped = withSeq(root, next ?? root, event.seq);
  if (event.type === "context.assembled") return withContents(stamped, event.data.included);
  if (event.type === "snapshot" && event.frameId === root.frameId)
    return afterSnapshot(stamped, event.data.state);
  const attachments =
    event.type === "run.started" || event.type === "tool.completed" ? event.data.attachments : undefined;
  if (attachments)
    return withContents(
      stamped,
      attachments.map((a) => ({ hash: a.hash, content: a.data })),
    );
  return stamped;
}

/**
 * A snapshot says which texts the thread keeps from here on (`SnapshotState.contents`): the others
 * are journaled again when next sent, by the process that wrote it and by any that starts from it.
 */
function afterSnapshot(root: ExecutionFrame, state: unknown): ExecutionFrame {
  const contents = SnapshotContentsSchema.safeParse((state as { contents?: unknown } | null)?.contents);
  return {
    ...root,
    snapshotSeq: root.lastSeq,
    ...(contents.success ? { contents: new Map(contents.data) } : {}),
  };
}

/** Keeps the component texts a `context.assembled` journaled for the first time, on the root. */
function withContents(
  root: ExecutionFrame,
  records: readonly Pick<ContextComponentRecord, "hash" | "content">[],
): ExecutionFrame {
  let contents: Map<string, string> | undefined;
  for (const record of records) {
    if (record.hash === undefined || record.content === undefined || root.contents.has(record.hash)) continue;
    contents ??= new Map(root.contents);
    contents.set(record.hash, record.content);
  }
  if (!contents) return root;
  (root as { contents: ReadonlyMap<string, string> }).contents = contents;
  return root;
}

/** Stamps `lastSeq` on a frame `fold` just built (a fresh object), or on a copy of an unchanged one. */
function withSeq(before: ExecutionFrame, after: ExecutionFrame, seq: number): ExecutionFrame {
  if (after === before) return { ...after, lastSeq: seq };
  (after as { lastSeq: number }).lastSeq = seq;
  return after;
}

function routeToChild(
  frame: ExecutionFrame,
  event: StoredEvent,
  contents: ReadonlyMap<string, string>,
): ExecutionFrame | undefined {
  for (const [id, child] of Object.entries(frame.children)) {
    const updated =
      id === event.frameId
        ? withSeq(child, applyToFrame(child, event, contents), event.seq)
        : routeToChild(child, event, contents);
    if (updated) return { ...frame, children: { ...frame.children, [id]: updated } };
  }
  return undefined;
}

/** `contents`: the thread's journaled texts and attachment data (the root frame's), before `event`. */
function applyToFrame(
  frame: ExecutionFrame,
  event: StoredEvent,
  contents: ReadonlyMap<string, string>,
): ExecutionFrame {
  const running: FrameStatus = frame.status === "interrupted" ? "running" : frame.status;
  switch (event.type) {
    case "run.started":
      return {
        ...frame,
        runId: event.runId,
        parentFrameId: event.parentFrameId,
        depth: event.depth,
        status: "running",
        input: event.data.input,
        runStartedAt: event.ts,
        runOutput: event.data.output,
        messages: frame.messages.append(
          event.data.attachments
            ? {
                role: "user",
                content: event.data.input,
                attachments: resolvedAttachments(event.data.attachments, contents),
              }
            : { role: "user", content: event.data.input },
        ),
        turn: undefined,
        runIterations: 0,
        result: undefined,
        error: undefined,
        interruptReason: undefined,
        finalAnswer: undefined,
        outputRejections: 0,
        repeat: { signature: "", count: 0 },
        stall: { signature: "", count: 0 },
        failures: NO_FAILURES,
      };
    case "iteration.started":
      return {
        ...frame,
        status: "running",
        iteration: event.iteration,
        runIterations: frame.runIterations + 1,
        turn: { phase: "started", historyFrom: 0, llmAttempts: 0, calls: [] },
      };
    case "context.assembled": {
      if (!frame.turn) return frame;
      const history = event.data.included.filter((c) => c.kind === "history" && c.range);
      const from = history.length > 0 ? Math.min(...history.map((c) => c.range![0])) : frame.messages.length;
      const system = event.data.system;
      return { ...frame, turn: { ...frame.turn, historyFrom: from, ...(system ? { system } : {}) } };
    }
    case "llm.requested": {
      if (!frame.turn) return frame;
      const replaced = event.data.replacedMessages as Message[] | undefined;
      const turn: Turn = {
        ...frame.turn,
        phase: "requested",
        tools: event.data.tools,
        ...(replaced ? { replacedMessages: replaced } : {}),
        ...(event.data.settings ? { settings: event.data.settings } : {}),
        model: { provider: event.data.provider, model: event.data.model },
      };
      return { ...frame, status: running, turn };
    }
    case "llm.failed": {
      if (!frame.turn) return frame;
      const { attempt, provider, model = "", fallback } = event.data;
      if (provider === undefined) return { ...frame, turn: { ...frame.turn, llmAttempts: attempt } };
      const last = frame.turn.failedOn;
      const again = last !== undefined && !last.movedOn && last.provider === provider && last.model === model;
      const failedOn = { provider, model, tries: again ? last.tries + 1 : 1, movedOn: fallback === true };
      return { ...frame, turn: { ...frame.turn, llmAttempts: attempt, failedOn } };
    }
    case "llm.completed": {
      const message = event.data.message;
      const calls: CallState[] = (message.toolCalls ?? []).map((call: ToolCall) => ({
        callId: call.id,
        ref: callRef(call.id, event.seq),
        name: call.name,
        rawArgs: call.arguments,
        execution: "pending",
      }));
      const signature = calls.length > 0 ? callSignature(message.toolCalls ?? []) : "";
      const repeat =
        signature !== "" && signature === frame.repeat.signature
          ? { signature, count: frame.repeat.count + 1 }
          : { signature, count: signature === "" ? 0 : 1 };
      return {
        ...frame,
        status: running,
        messages: frame.messages.append(message),
        usage: addUsage(frame.usage, event.data.usage),
        usageByModel: addModelUsage(frame.usageByModel, {
          ...answeredBy(frame.turn?.model, event.data.provider, event.data.model),
          usage: event.data.usage,
        }),
        turn: {
          phase: "responded",
          historyFrom: frame.turn?.historyFrom ?? 0,
          llmAttempts: event.data.attempt,
          assistant: message,
          calls,
        },
        repeat,
      };
    }
    case "approval.requested": {
      const reasons = new Map(event.data.calls.map((c) => [c.callId, c]));
      return updateCalls(frame, (call) => {
        const requested = reasons.get(call.callId);
        if (!requested) return call;
        return { ...call, approval: { state: "requested", reason: requested.reason } };
      });
    }
    case "approval.resolved": {
      const { callId, decision, reason, args } = event.data;
      return {
        ...updateCalls(frame, (call) => {
          if (call.callId !== callId) return call;
          const approval: ApprovalState = { state: "resolved", decision, reason, args };
          // An answer to "its outcome is unknown: run it again?" allows one new start, journaled
          // as such; the earlier start's approval never allows a second run by itself.
          const restart = call.execution === "started" && decision !== "reject";
          return restart ? { ...call, approval, execution: "pending" } : { ...call, approval };
        }),
        status: running,
      };
    }
    case "run.interrupted":
      return { ...frame, status: "interrupted", interruptReason: event.data.reason };
    case "tool.started": {
      const { callId, args, idempotencyKey } = event.data;
      return {
        ...updateCalls(frame, (call) =>
          call.callId === callId ? { ...call, execution: "started", args, idempotencyKey } : call,
        ),
        status: running,
      };
    }
    case "tool.step": {
      const { callId, name, value } = event.data;
      const step = value === undefined ? { name } : { name, value };
      return updateCalls(frame, (call) =>
        call.callId === callId ? { ...call, steps: [...(call.steps ?? []), step] } : call,
      );
    }
    case "tool.completed": {
      const { callId, content, error } = event.data;
      const failed = error === undefined ? undefined : frame.turn?.calls.find((c) => c.callId === callId);
      const attachments = event.data.attachments
        ? resolvedAttachments(event.data.attachments, contents)
        : undefined;
      const result = { content, isError: error !== undefined, ...(attachments ? { attachments } : {}) };
      let updated = withFailure(
        updateCalls(frame, (call) =>
          call.callId === callId ? { ...call, execution: "completed", result } : call,
        ),
        failed,
      );
      if (event.data.modelUsage) {
        let { usage, usageByModel } = updated;
        for (const spent of event.data.modelUsage) {
          usage = addUsage(usage, spent.usage);
          usageByModel = addModelUsage(usageByModel, spent);
        }
        updated = { ...updated, usage, usageByModel };
      }
      const turn = updated.turn;
      if (!turn?.calls.every((c) => c.execution === "completed")) return { ...updated, status: running };
      // The turn's results enter the history together, in the order the model asked for them,
      // whatever order the parallel calls finished in.
      let messages = updated.messages;
      for (const call of turn.calls) {
        messages = messages.append({
          role: "tool",
          callId: call.callId,
          name: call.name,
          content: call.result!.content,
          ...(call.result!.isError ? { isError: true } : {}),
          ...(call.result!.attachments ? { attachments: [...call.result!.attachments] } : {}),
        });
      }
      return { ...updated, messages, status: running };
    }
    case "frame.spawned": {
      const { childFrameId, callId } = event.data;
      const child = emptyFrame(frame.threadId, {
        messages: History.empty(frame.messages.tokenizer),
        frameId: childFrameId,
        parentFrameId: frame.frameId,
        depth: frame.depth + 1,
        runId: event.runId,
        spawnedBy: callId,
      });
      return {
        ...updateCalls(frame, (call) => (call.callId === callId ? { ...call, childFrameId } : call)),
        children: { ...frame.children, [childFrameId]: child },
      };
    }
    case "iteration.completed": {
      const final = frame.turn && frame.turn.calls.length === 0 ? frame.turn.assistant?.content : undefined;
      return {
        ...frame,
        turn: undefined,
        finalAnswer: final ?? (frame.turn ? undefined : frame.finalAnswer),
        stall: stallAfter(frame.stall, frame.turn),
      };
    }
    case "output.rejected":
      // The rejected answer stays in the history; what is wrong with it follows, for the model.
      return {
        ...frame,
        status: running,
        finalAnswer: undefined,
        outputRejections: event.data.attempt,
        messages: frame.messages.append({ role: "user", content: event.data.message }),
      };
    case "run.completed":
      return {
        ...frame,
        status: "completed",
        turn: undefined,
        finalAnswer: undefined,
        result: { text: event.data.text },
      };
    case "run.failed":
      return { ...frame, status: "failed", error: event.data.error };
    case "run.cancelled":
      return { ...frame, status: "cancelled" };
    case "compression.applied": {
      if (!frame.turn) return frame;
      const { keepFrom, prefix, strategy } = event.data;
      const remembered =
        keepFrom !== undefined && prefix && prefix.length > 0
          ? new Map(frame.compressions).set(strategy, { keepFrom, prefix })
          : frame.compressions;
      return {
        ...frame,
        compressions: remembered,
        turn: {
          ...frame.turn,
          ...(keepFrom !== undefined ? { historyFrom: keepFrom } : {}),
          ...(prefix ? { prefix } : {}),
        },
      };
    }
    case "snapshot":
      return frame;
    case "run.resumed":
      return event.data.output ? { ...frame, runOutput: event.data.output } : frame;
  }
}

function updateCalls(frame: ExecutionFrame, update: (call: CallState) => CallState): ExecutionFrame {
  if (!frame.turn) return frame;
  return { ...frame, turn: { ...frame.turn, calls: frame.turn.calls.map(update) } };
}

/**
 * The tokens of a frame and of every sub-agent under it: the whole thread's for the root frame.
 * `frame.usage` alone counts only that frame's own model calls.
 */
export function threadUsage(frame: ExecutionFrame): Usage {
  let sum = frame.usage;
  for (const child of Object.values(frame.children)) sum = addUsage(sum, threadUsage(child));
  return sum;
}

/** `threadUsage` by provider and model: a frame's `usageByModel` and every sub-agent's under it. */
export function threadUsageByModel(frame: ExecutionFrame): readonly ModelUsage[] {
  let sum = frame.usageByModel;
  for (const child of Object.values(frame.children)) {
    for (const spent of threadUsageByModel(child)) sum = addModelUsage(sum, spent);
  }
  return sum;
}

/** `list` with `spent` added to the entry of its provider and model, or as a new entry. */
export function addModelUsage(list: readonly ModelUsage[], spent: ModelUsage): readonly ModelUsage[] {
  const at = list.findIndex((m) => m.provider === spent.provider && m.model === spent.model);
  if (at < 0) return [...list, spent];
  const copy = [...list];
  copy[at] = { ...list[at]!, usage: addUsage(list[at]!.usage, spent.usage) };
  return copy;
}

/** The model an answer came from: the one `llm.completed` names (a fallback's), else the one requested. */
function answeredBy(
  requested: Turn["model"],
  provider: string | undefined,
  model: string | undefined,
): { provider?: string; model?: string } {
  const p = provider ?? requested?.provider;
  const m = model ?? requested?.model;
  return { ...(p !== undefined ? { provider: p } : {}), ...(m !== undefined ? { model: m } : {}) };
}

/** The tokens of the calls a list counts by model, added up (zero for an empty list). */
export function totalUsage(spent: readonly ModelUsage[]): Usage {
  let sum: Usage = { inputTokens: 0, outputTokens: 0 };
  for (const entry of spent) sum = addUsage(sum, entry.usage);
  return sum;
}

/** Two usages added up, field by field (an optional field is kept when either has it). */
export function addUsage(a: Usage, b: Usage): Usage {
  const sum: Usage = {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
  };
  for (const key of ["reasoningTokens", "cachedInputTokens", "cacheWriteTokens"] as const) {
    if (a[key] !== undefined || b[key] !== undefined) sum[key] = (a[key] ?? 0) + (b[key] ?? 0);
  }
  return sum;
}

/** A call as loop detection counts its failures: the tool and its arguments, keys sorted. */
export function failureKey(name: string, rawArgs: string): string {
  return `${name}(${canonicalArguments(rawArgs, false)})`;
}

function withFailure(frame: ExecutionFrame, call: CallState | undefined): ExecutionFrame {
  if (!call) return frame;
  const key = failureKey(call.name, call.rawArgs);
  return { ...frame, failures: new Map(frame.failures).set(key, (frame.failures.get(key) ?? 0) + 1) };
}

/**
 * How a finished turn ended: its calls with numbers and whitespace blurred in their arguments, and
 * their results (whitespace aside). The same tools asked again with only a counter changed, getting
 * the same answers (or failing), make the same signature turn after turn; a counter that brings new
 * results (pagination, arithmetic) does not.
 */
function stallAfter(previous: ExecutionFrame["stall"], turn: Turn | undefined): ExecutionFrame["stall"] {
  if (!turn || turn.calls.length === 0) return { signature: "", count: 0 };
  const signature = turn.calls
    .map((c) => {
      const result = c.result?.isError ? "error" : (c.result?.content ?? "").replace(/\s+/g, " ").trim();
      return `${c.name}(${canonicalArguments(c.rawArgs, true)})=>${result}`;
    })
    .sort()
    .join(";");
  return { signature, count: signature === previous.signature ? previous.count + 1 : 1 };
}

/** Arguments as canonical JSON (keys sorted); with `blurred`, numbers and digits in strings as `#`. */
function canonicalArguments(rawArgs: string, blurred: boolean): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawArgs);
  } catch {
    return blurred ? blur(rawArgs) : rawArgs;
  }
  return canonicalJson(parsed, blurred);
}

/**
 * `JSON.stringify` of `value` with object keys sorted (and, with `blurred`, numbers and strings
 * blurred), written directly: it runs for every call of every turn (loop detection). Keys whose
 * value is `undefined` are left out, as `JSON.stringify` leaves them out.
 */
export function canonicalJson(value: unknown, blurred = false): string {
  if (typeof value === "number") return blurred ? '"#"' : JSON.stringify(value);
  if (typeof value === "string") return JSON.stringify(blurred ? blur(value) : value);
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) out += `${i > 0 ? "," : ""}${canonicalJson(value[i], blurred)}`;
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  // The order JSON.stringify would give an object built with its keys sorted: array-index keys
  // first, in numeric order (as V8 keeps them), then the rest sorted.
  const keys = Object.keys(record).sort(byPropertyOrder);
  let out = "{";
  for (const key of keys) {
    const field = record[key];
    if (field === undefined) continue;
    out += `${out.length > 1 ? "," : ""}${JSON.stringify(key)}:${canonicalJson(field, blurred)}`;
  }
  return `${out}}`;
}

const ARRAY_INDEX = /^(?:0|[1-9]\d*)$/;

function isArrayIndex(key: string): boolean {
  return ARRAY_INDEX.test(key) && Number(key) < 4_294_967_295;
}

function byPropertyOrder(a: string, b: string): number {
  const ai = isArrayIndex(a);
  const bi = isArrayIndex(b);
  if (ai && bi) return Number(a) - Number(b);
  if (ai !== bi) return ai ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function blur(text: string): string {
  return text
    .replace(/-?\d+(?:\.\d+)?/g, "#")
    .replace(/\s+/g, " ")
    .trim();
}

/**
 * The identity of a turn's tool calls: the same tools with byte-identical arguments give the same
 * string, whatever their order in the turn.
 */
export function callSignature(calls: readonly ToolCall[]): string {
  return calls
    .map((c) => `${c.name}(${c.arguments})`)
    .sort()
    .join(";");
}
