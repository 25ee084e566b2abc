import {
  type AssistantMessage,
  CallRefs,
  type ModelUsage,
  type StoredEvent,
  type TraceContext,
  totalUsage,
} from "@loom/core";
import {
  type Attributes,
  type AttributeValue,
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import type { LoomIdGenerator } from "./id-generator.js";
import { runContextOf, runTraceIdOf, spanIdOf } from "./trace-ids.js";

export interface SpanOptions {
  /** Any `Tracer` from `@opentelemetry/api`: `provider.getTracer("loom")`, or `trace.getTracer("loom")`. */
  readonly tracer: Tracer;
  /**
   * Record message contents: the run's input and answer, the model's answers, tool arguments and
   * results (`gen_ai.input.messages`, `gen_ai.output.messages`, `gen_ai.tool.call.arguments`,
   * `gen_ai.tool.call.result`). Off by default: prompts and tool results often hold personal data.
   */
  readonly captureContent?: boolean;
  /**
   * The `loomIdGenerator()` your tracer provider was created with: span ids derived from the thread,
   * so nothing is orphaned by a crash, and no made-up parent for a run's root span.
   */
  readonly ids?: LoomIdGenerator;
}

/** A span that began (its start event was seen) and has not ended. */
interface Open {
  readonly name: string;
  readonly kind: SpanKind;
  readonly start: number;
  readonly frameId: string;
  /** What the span's derived id is made from: thread, start event's seq, kind, call. */
  readonly seed: string;
  readonly runId: string;
  readonly attributes: Attributes;
  /** The span it is a child of; none for a run's root `invoke_agent`. */
  readonly parent: Open | undefined;
  /** For a run's root: the context carrying the run's deterministic trace id. */
  readonly context: Context;
  /** The OpenTelemetry span, once started (a span opened while replaying the past is started late). */
  span?: Span;
}

interface Ending {
  readonly error?: { readonly type: string; readonly message: string };
  readonly attributes?: Attributes;
}

/** `tool-calls` → `tool_call`: the GenAI conventions' spelling of the finish reasons Loom shares with them. */
const FINISH_REASON: Record<string, string> = {
  "tool-calls": "tool_call",
  "content-filter": "content_filter",
};

/**
 * Turns the events of one thread, in seq order, into OpenTelemetry spans following the GenAI
 * semantic conventions: `invoke_agent` per run segment of each frame (sub-agents included),
 * `chat` per model call attempt, `execute_tool` per tool call. Start and end times are the events'
 * `ts`. One instance per thread; both `tracedJournal` and `exportThread` feed one.
 *
 * `live` false replays the past without emitting: spans that end before `live` turns true are
 * dropped (the process that saw them emitted them), spans still open then are started with their
 * original start time.
 */
export class EventSpans {
  live: boolean;
  private readonly tracer: Tracer;
  private readonly content: boolean;
  private readonly ids: LoomIdGenerator | undefined;
  private readonly agents = new Map<string, Open>();
  private readonly chats = new Map<string, Open>();
  private readonly tools = new Map<string, Open>();
  /** The steps each call journaled (`tool.step`), over its attempts, until its `tool.completed`. */
  private readonly toolSteps = new Map<string, string[]>();
  /** childFrameId → the parent frame and call that spawned it. */
  private readonly spawned = new Map<string, { frameId: string; callId: string; name: string }>();
  private readonly agentNames = new Map<string, string>();
  /** Each frame's last llm.requested (model, provider), for an attempt whose request was journaled before a stop. */
  private readonly requests = new Map<string, Attributes>();
  /** Calls named by ref (`<callId>@<seq of their llm.completed>`). */
  private readonly refs = new CallRefs();
  /**
   * Calls in flight when a process stopped, or waiting with a paused sub-agent: the resume takes
   * them up again without a new tool.started.
   */
  private readonly stopped = new Set<string>();
  /** The sub-agent frame each call (`frameId\ncallId`) runs in. */
  private readonly childOf = new Map<string, string>();
  /** Frames whose last event is run.interrupted: they wait for a human. */
  private readonly interrupted = new Set<string>();
  private previous: StoredEvent | undefined;
  private run: { readonly runId: string; readonly context: Context } | undefined;
  /** The callers' trace contexts journaled in root `run.started` events, by run id. */
  private readonly callerTraces = new Map<string, TraceContext>();
  /** The ts of the last run.resumed: where a model call taken up again after a stop began. */
  private resumedAt: number | undefined;

  constructor(options: SpanOptions & { live?: boolean }) {
    this.tracer = options.tracer;
    this.content = options.captureContent === true;
    this.ids = options.ids;
    this.live = options.live ?? true;
  }

  /** True when no span is open: the thread's last run ended or paused. */
  get idle(): boolean {
    return this.agents.size === 0 && this.chats.size === 0 && this.tools.size === 0;
  }

  add(e: StoredEvent): void {
    const before = this.previous;
    this.previous = e;
    const f = e.frameId;
    if (e.type === "run.started") {
      if (e.depth === 0 && e.data.trace) this.callerTraces.set(e.runId, e.data.trace);
      const stale = this.agents.get(f);
      if (stale) this.end(stale, e.ts, {});
      this.agents.delete(f);
      if (e.data.agent !== undefined) this.agentNames.set(f, e.data.agent);
      this.beginAgent(e, {
        ...(this.content
          ? { "gen_ai.input.messages": messagesJson([textMessage("user", e.data.input)]) }
          : {}),
      });
      return;
    }
    if (e.type !== "run.interrupted") this.interrupted.delete(f);
    else if (!this.agents.has(f)) {
      // An ancestor of a paused sub-agent journals its own pause after its spans already ended
      // (pauseIfWaiting): nothing is open to end, and nothing is to be opened for it.
      this.interrupted.add(f);
      return;
    }
    const agent = this.agents.get(f) ?? this.resumeAgent(e);
    switch (e.type) {
      case "run.resumed": {
        this.resumedAt = e.ts;
        this.interrupted.clear(); // the resume takes up every frame that waited
        if (e.data.reason === "unfinished") {
          // What the stopped process was doing when it stopped: it ended there, unfinished.
          const stoppedAt = before?.ts ?? e.ts;
          const stopped = { error: { type: "loom.process_stopped", message: "the process stopped" } };
          for (const [key, open] of this.chats) this.finish(this.chats, key, open, stoppedAt, stopped);
          for (const [key, open] of this.tools) {
            this.stopped.add(key);
            this.finish(this.tools, key, open, stoppedAt, stopped);
          }
        }
        break;
      }
      case "llm.requested": {
        const request: Attributes = {
          "gen_ai.provider.name": e.data.provider,
          "gen_ai.request.model": e.data.model,
          ...settingsAttributes(e.data.settings),
        };
        this.requests.set(f, request);
        const stale = this.chats.get(f);
        if (stale) this.finish(this.chats, f, stale, e.ts, {});
        this.chats.set(f, this.beginChat(e, agent, e.ts, 1));
        break;
      }
      case "llm.failed": {
        const open = answeredBy(
          this.chats.get(f) ?? this.beginChat(e, agent, this.resumedAt ?? e.ts, e.data.attempt),
          e.data,
        );
        this.finish(this.chats, f, open, e.ts, {
          error: { type: e.data.error.code, message: e.data.error.message },
          attributes: {
            "loom.llm.attempt": e.data.attempt,
            ...(e.data.status !== undefined ? { "http.response.status_code": e.data.status } : {}),
            ...(e.data.requestId !== undefined ? { "loom.llm.request_id": e.data.requestId } : {}),
          },
        });
        if (e.data.willRetry) this.chats.set(f, this.beginChat(e, agent, e.ts, e.data.attempt + 1));
        break;
      }
      case "llm.completed": {
        this.refs.see(e);
        const open = answeredBy(
          this.chats.get(f) ?? this.beginChat(e, agent, this.resumedAt ?? e.ts, e.data.attempt),
          e.data,
        );
        const { usage, finishReason } = e.data;
        const reason = FINISH_REASON[finishReason.unified] ?? finishReason.unified;
        this.finish(this.chats, f, open, e.ts, {
          attributes: {
            "gen_ai.usage.input_tokens": usage.inputTokens,
            "gen_ai.usage.output_tokens": usage.outputTokens,
            ...(usage.cachedInputTokens !== undefined
              ? { "gen_ai.usage.cache_read.input_tokens": usage.cachedInputTokens }
              : {}),
            ...(usage.cacheWriteTokens !== undefined
              ? { "gen_ai.usage.cache_creation.input_tokens": usage.cacheWriteTokens }
              : {}),
            ...(usage.reasoningTokens !== undefined
              ? { "loom.usage.reasoning_tokens": usage.reasoningTokens }
              : {}),
            "gen_ai.response.finish_reasons": [reason],
            "loom.llm.attempt": e.data.attempt,
            ...(e.data.requestId !== undefined ? { "loom.llm.request_id": e.data.requestId } : {}),
            ...(this.content ? { "gen_ai.output.messages": assistantJson(e.data.message, reason) } : {}),
          },
        });
        break;
      }
      case "tool.started": {
        const key = `${f}\n${e.data.callId}`;
        const stale = this.tools.get(key);
        if (stale) this.finish(this.tools, key, stale, e.ts, {});
        this.stopped.delete(key); // a call run again after a human's approval starts anew
        this.tools.set(
          key,
          this.beginTool(e, agent, e.data.callId, e.data.name, {
            ...(this.content ? { "gen_ai.tool.call.arguments": JSON.stringify(e.data.args) } : {}),
          }),
        );
        break;
      }
      case "tool.step": {
        const key = `${f}\n${e.data.callId}`;
        this.toolSteps.set(key, [...(this.toolSteps.get(key) ?? []), e.data.name]);
        break;
      }
      case "tool.completed": {
        const key = `${f}\n${e.data.callId}`;
        const steps = this.toolSteps.get(key);
        this.toolSteps.delete(key);
        // A call stopped by a crash and run again by the resume (its tool.started is the first
        // one's) began at the resume; a call that never ran (denied, rejected, bad arguments,
        // unknown tool) is an instant.
        const rerun = this.stopped.delete(key);
        const open =
          this.tools.get(key) ??
          (rerun
            ? this.beginTool(e, agent, e.data.callId, e.data.name, { "loom.resumed": true }, this.resumedAt)
            : this.beginTool(e, agent, e.data.callId, e.data.name, { "loom.tool.ran": false }));
        const error = e.data.error;
        this.finish(this.tools, key, open, e.ts, {
          ...(error ? { error: { type: error.code, message: error.message } } : {}),
          attributes: {
            ...(e.data.modelUsage ? toolModelUsage(e.data.modelUsage) : {}),
            ...(steps ? { "loom.tool.steps": steps } : {}),
            ...(this.content ? { "gen_ai.tool.call.result": e.data.content } : {}),
          },
        });
        break;
      }
      case "approval.requested":
        // Asked for a call that already started: its outcome became unknown mid-call (a timeout, a
        // lost connection). That attempt ends here in error; an approved re-run is a span of its own.
        for (const call of e.data.calls) {
          const key = `${f}\n${call.callId}`;
          const open = this.tools.get(key);
          if (!open) continue;
          this.stopped.add(key);
          this.finish(this.tools, key, open, e.ts, {
            error: { type: "outcome_unknown", message: call.reason },
          });
        }
        break;
      case "frame.spawned":
        this.spawned.set(e.data.childFrameId, { frameId: f, callId: e.data.callId, name: e.data.name });
        this.childOf.set(`${f}\n${e.data.callId}`, e.data.childFrameId);
        this.agentNames.set(e.data.childFrameId, e.data.name);
        break;
      case "run.interrupted":
        this.interrupted.add(f);
        this.endFrame(f, e.ts, {
          attributes: { "loom.run.status": "interrupted", "loom.run.interrupt_reason": e.data.reason },
        });
        break;
      case "run.completed":
        this.endFrame(f, e.ts, {
          attributes: {
            "loom.run.status": "completed",
            ...(this.content
              ? { "gen_ai.output.messages": messagesJson([textMessage("assistant", e.data.text, "stop")]) }
              : {}),
          },
        });
        break;
      case "run.failed":
        this.endFrame(f, e.ts, {
          error: { type: e.data.error.code, message: e.data.error.message },
          attributes: { "loom.run.status": "failed" },
        });
        break;
      case "run.cancelled":
        this.endFrame(f, e.ts, {
          attributes: { "loom.run.status": "cancelled", "loom.run.cancel_reason": e.data.reason },
        });
        break;
      default:
        break;
    }
    if (this.interrupted.size > 0) this.pauseIfWaiting(e.ts);
    if (
      e.depth === 0 &&
      (e.type === "run.completed" || e.type === "run.failed" || e.type === "run.cancelled")
    ) {
      // The run is over: nothing of it is needed again (a later run starts its own frames).
      this.spawned.clear();
      this.agentNames.clear();
      this.requests.clear();
      this.refs.clear();
      this.stopped.clear();
      this.childOf.clear();
      this.interrupted.clear();
    }
  }

  /**
   * Ends every span still open at the last event (a thread whose journal stops mid-run: a crash,
   * or a run still going), with `loom.open: true`.
   */
  endAll(): void {
    const last = this.previous;
    if (!last) return;
    const ending = { attributes: { "loom.open": true } };
    for (const [key, open] of this.tools) this.finish(this.tools, key, open, last.ts, ending);
    for (const [key, open] of this.chats) this.finish(this.chats, key, open, last.ts, ending);
    for (const [key, open] of [...this.agents].reverse())
      this.finish(this.agents, key, open, last.ts, ending);
  }

  /** The run's root context (its trace id), computed once per run: SHA-256 is most of a span's cost. */
  private runContext(e: StoredEvent): Context {
    if (this.run?.runId !== e.runId)
      this.run = {
        runId: e.runId,
        context: runContextOf(e.threadId, e.runId, this.callerTraces.get(e.runId)),
      };
    return this.run.context;
  }

  private where(e: StoredEvent): Attributes {
    return {
      "gen_ai.conversation.id": e.threadId,
      "loom.thread.id": e.threadId,
      "loom.run.id": e.runId,
      "loom.frame.id": e.frameId,
      "loom.frame.depth": e.depth,
      "loom.seq": e.seq,
    };
  }

  /**
   * A new segment of a frame's `invoke_agent` (after a pause, or a frame first seen mid-run). A
   * sub-agent whose call was ended by the pause gets that call's span again first, so the tree
   * stays parent call > sub-agent.
   */
  private resumeAgent(e: StoredEvent): Open {
    const spawn = this.spawned.get(e.frameId);
    const key = spawn && `${spawn.frameId}\n${spawn.callId}`;
    const parentAgent = spawn && this.agents.get(spawn.frameId);
    if (spawn && key && parentAgent && !this.tools.has(key) && this.stopped.delete(key)) {
      const at = { ...e, frameId: spawn.frameId, depth: e.depth - 1 } as StoredEvent;
      const call = this.beginTool(
        at,
        parentAgent,
        spawn.callId,
        spawn.name,
        { "loom.resumed": true },
        this.resumedAt ?? e.ts,
      );
      this.tools.set(key, call);
    }
    return this.beginAgent(e, { "loom.resumed": true });
  }

  /**
   * A sub-agent paused for a human pauses its whole run, but only its own frame journals
   * run.interrupted: once nothing else is in flight (no model call, every open call runs a paused
   * sub-agent), the ancestors' spans end too, so nothing stays open while the thread waits.
   */
  private pauseIfWaiting(ts: number): void {
    if (this.chats.size > 0) return;
    for (const key of this.tools.keys()) {
      const child = this.childOf.get(key);
      if (child === undefined || !this.interrupted.has(child)) return;
    }
    for (const [key, open] of this.tools) {
      this.stopped.add(key);
      this.finish(this.tools, key, open, ts, { attributes: { "loom.paused": true } });
    }
    for (const [key, open] of this.agents)
      this.finish(this.agents, key, open, ts, { attributes: { "loom.run.status": "interrupted" } });
  }

  private beginAgent(e: StoredEvent, more: Attributes): Open {
    const f = e.frameId;
    const name = this.agentNames.get(f);
    const spawn = this.spawned.get(f);
    const parent =
      e.depth === 0
        ? undefined
        : ((spawn && this.tools.get(`${spawn.frameId}\n${spawn.callId}`)) ??
          (spawn && this.agents.get(spawn.frameId)) ??
          (e.parentFrameId !== undefined ? this.agents.get(e.parentFrameId) : undefined));
    const open = this.begin({
      name: name ? `invoke_agent ${name}` : "invoke_agent",
      kind: SpanKind.INTERNAL,
      start: e.ts,
      frameId: f,
      seed: `${e.threadId}:${e.seq}:agent:${f}`,
      runId: e.runId,
      parent,
      context: this.runContext(e),
      attributes: {
        "gen_ai.operation.name": "invoke_agent",
        ...(name ? { "gen_ai.agent.name": name } : {}),
        ...this.where(e),
        ...(spawn ? { "gen_ai.tool.call.id": spawn.callId } : {}),
        ...more,
      },
    });
    this.agents.set(f, open);
    return open;
  }

  private beginChat(e: StoredEvent, agent: Open, start: number, attempt: number): Open {
    const request = this.requests.get(e.frameId) ?? {};
    const model = request["gen_ai.request.model"];
    return this.begin({
      name: typeof model === "string" ? `chat ${model}` : "chat",
      kind: SpanKind.CLIENT,
      start,
      frameId: e.frameId,
      seed: `${e.threadId}:${e.seq}:chat:${e.frameId}`,
      runId: e.runId,
      parent: agent,
      context: agent.context,
      attributes: {
        "gen_ai.operation.name": "chat",
        ...request,
        ...this.where(e),
        "loom.iteration": e.iteration,
        "loom.llm.attempt": attempt,
      },
    });
  }

  private beginTool(
    e: StoredEvent,
    agent: Open,
    callId: string,
    name: string,
    more: Attributes,
    start = e.ts,
  ): Open {
    return this.begin({
      name: `execute_tool ${name}`,
      kind: SpanKind.INTERNAL,
      start,
      frameId: e.frameId,
      seed: `${e.threadId}:${e.seq}:tool:${e.frameId}:${callId}`,
      runId: e.runId,
      parent: agent,
      context: agent.context,
      attributes: {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": name,
        "gen_ai.tool.call.id": callId,
        "gen_ai.tool.type": "function",
        "loom.tool.call.ref": this.refs.of(e.frameId, callId),
        ...this.where(e),
        "loom.iteration": e.iteration,
        ...more,
      },
    });
  }

  private begin(open: Open): Open {
    if (this.live) this.start(open);
    return open;
  }

  /** Starts the OpenTelemetry span of `open` (and of its parents first, when they were opened in the past). */
  private start(open: Open): Span {
    if (open.span) return open.span;
    const parent = open.parent ? this.start(open.parent) : undefined;
    const options = { kind: open.kind, startTime: open.start, attributes: open.attributes };
    if (!this.ids) {
      const parentContext = parent ? trace.setSpan(ROOT_CONTEXT, parent) : open.context;
      open.span = this.tracer.startSpan(open.name, options, parentContext);
      return open.span;
    }
    // Derived ids: a run's root has no parent (unless the run was started in a caller's trace, whose
    // span is then its parent); its trace id comes from the generator.
    const threadId = String(open.attributes["loom.thread.id"]);
    const caller = this.callerTraces.get(open.runId);
    const ids = { traceId: runTraceIdOf(threadId, open.runId, caller), spanId: spanIdOf(open.seed) };
    const parentContext = parent
      ? trace.setSpan(ROOT_CONTEXT, parent)
      : caller
        ? runContextOf(threadId, open.runId, caller)
        : ROOT_CONTEXT;
    const { value: span, used } = this.ids.withIds(ids, () =>
      this.tracer.startSpan(open.name, options, parentContext),
    );
    open.span = span;
    if (!used && span.isRecording())
      throw new Error(
        "@loom/otel: `ids` was given, but the tracer's provider does not use it: create the provider with `idGenerator: ids` (the same loomIdGenerator()).",
      );
    return span;
  }

  private finish(map: Map<string, Open>, key: string, open: Open, ts: number, ending: Ending): void {
    map.delete(key);
    this.end(open, ts, ending);
  }

  private end(open: Open, ts: number, ending: Ending): void {
    if (!this.live) return; // ended in the past: the process that saw it emitted it
    const span = this.start(open);
    if (ending.attributes) span.setAttributes(ending.attributes);
    if (ending.error) {
      span.setAttribute("error.type", ending.error.type);
      span.setStatus({ code: SpanStatusCode.ERROR, message: ending.error.message });
    }
    span.end(Math.max(ts, open.start));
  }

  /** A frame's run ended or paused: its open calls end with it, then its `invoke_agent`. */
  private endFrame(frameId: string, ts: number, ending: Ending): void {
    for (const [key, open] of this.tools)
      if (open.frameId === frameId) this.finish(this.tools, key, open, ts, {});
    const chat = this.chats.get(frameId);
    if (chat) this.finish(this.chats, frameId, chat, ts, {});
    const agent = this.agents.get(frameId);
    if (agent) this.finish(this.agents, frameId, agent, ts, ending);
  }
}

/** The tokens of the model calls a tool made itself (`reportUsage`), over every model it named. */
function toolModelUsage(spent: readonly ModelUsage[]): Attributes {
  const usage = totalUsage(spent);
  return {
    "loom.tool.usage.input_tokens": usage.inputTokens,
    "loom.tool.usage.output_tokens": usage.outputTokens,
  };
}

function settingsAttributes(settings: Record<string, unknown> | undefined): Attributes {
  if (!settings) return {};
  const out: Record<string, AttributeValue> = {};
  if (typeof settings.temperature === "number") out["gen_ai.request.temperature"] = settings.temperature;
  if (typeof settings.maxOutputTokens === "number")
    out["gen_ai.request.max_tokens"] = settings.maxOutputTokens;
  if (typeof settings.topP === "number") out["gen_ai.request.top_p"] = settings.topP;
  return out;
}

interface Part {
  readonly type: string;
  readonly [key: string]: unknown;
}

const textMessage = (role: string, content: string, finishReason?: string) => ({
  role,
  parts: [{ type: "text", content }] as Part[],
  ...(finishReason ? { finish_reason: finishReason } : {}),
});

const messagesJson = (messages: readonly object[]) => JSON.stringify(messages);

/** The assistant message in the conventions' message format (text, reasoning and tool-call parts). */
function assistantJson(message: AssistantMessage, finishReason: string): string {
  const parts: Part[] = [];
  for (const reasoning of message.reasoning ?? []) parts.push({ type: "reasoning", content: reasoning.text });
  if (message.content) parts.push({ type: "text", content: message.content });
  for (const call of message.toolCalls ?? []) {
    let args: unknown = call.arguments;
    try {
      args = JSON.parse(call.arguments);
    } catch {
      // not JSON: keep the model's text as it was
    }
    parts.push({ type: "tool_call", id: call.id, name: call.name, arguments: args });
  }
  return messagesJson([{ role: "assistant", parts, finish_reason: finishReason }]);
}

/**
 * A chat span named after the provider and model that answered or failed, which with
 * `fallbackProviders` (`provider` and `model` in `llm.completed` / `llm.failed`) may not be the one
 * the request named.
 */
function answeredBy(open: Open, data: { provider?: string; model?: string }): Open {
  if (data.provider === undefined || data.model === undefined) return open;
  const attributes = { "gen_ai.provider.name": data.provider, "gen_ai.request.model": data.model };
  const name = `chat ${data.model}`;
  if (open.span) {
    open.span.updateName(name);
    open.span.setAttributes(attributes);
    return open;
  }
  return { ...open, name, attributes: { ...open.attributes, ...attributes } };
}
