import { z } from "zod";
import { EventSchemaError } from "./errors.js";
import { compileParser, UNSURE } from "./fast-parse.js";
import { JsonValueSchema } from "./json-value.js";
import {
  AssistantMessageSchema,
  AttachmentSchema,
  FinishReasonSchema,
  MessageSchema,
  UsageSchema,
} from "./messages.js";

/** The event format version this code writes. Readers accept every version listed in `READABLE_VERSIONS`. */
export const EVENT_VERSION = 1;
export const READABLE_VERSIONS: readonly number[] = [1];

export { isJsonValue, type JsonValue } from "./json-value.js";

/**
 * The value with every string made well-formed: an unpaired UTF-16 surrogate (a string cut in the
 * middle of an emoji, say) becomes U+FFFD. JSON can carry such strings, but not every store can
 * (Postgres' jsonb refuses them), so core journals the same well-formed text to every journal.
 * Returns `value` itself when nothing needed fixing.
 */
export function toWellFormed<T>(value: T, depth = 0): T {
  if (typeof value === "string") return (value.isWellFormed() ? value : value.toWellFormed()) as T;
  if (typeof value !== "object" || value === null || depth > 64) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = toWellFormed(value[i], depth + 1);
      if (item === value[i]) continue;
      copy ??= [...value];
      copy[i] = item;
    }
    return (copy ?? value) as T;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  let copy: Record<string, unknown> | undefined;
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    const fixed = toWellFormed(item, depth + 1);
    if (fixed !== item || !key.isWellFormed()) {
      copy ??= { ...(value as Record<string, unknown>) };
      if (!key.isWellFormed()) delete copy[key];
      copy[key.toWellFormed()] = fixed;
    }
  }
  return (copy ?? value) as T;
}

/**
 * The texts a snapshot says the thread keeps, as `[hash, text]` pairs (`SnapshotState.contents`):
 * what `fold` reads of a snapshot.
 */
export const SnapshotContentsSchema = z.array(z.tuple([z.string(), z.string()]));

const ErrorInfoSchema = z.object({
  code: z.string(),
  message: z.string(),
  retryable: z.boolean().optional(),
});
export type ErrorInfo = z.infer<typeof ErrorInfoSchema>;

/** One component the context assembler considered (a system prompt, a run of history, a document...). */
export const ContextComponentRecordSchema = z.object({
  id: z.string(),
  kind: z.enum(["system", "history", "tool-result", "document", "memory", "tools"]),
  tokens: z.number().int().nonnegative(),
  priority: z.number(),
  /** For history: the half-open range of message indexes this record covers. */
  range: z.tuple([z.number().int(), z.number().int()]).optional(),
  reason: z.string().optional(),
  /** For a component sent with text (system prompt, document, memory): the address of its text. */
  hash: z.string().optional(),
  /** The text itself, only the first time its `hash` appears in the thread: the journal keeps it once. */
  content: z.string().optional(),
});
export type ContextComponentRecord = z.infer<typeof ContextComponentRecordSchema>;

/**
 * What the calls to one model spent, the model named as its provider names it (either may be missing
 * when a tool that reported them did not say).
 */
export const ModelUsageSchema = z.object({
  provider: z.string().optional(),
  model: z.string().optional(),
  usage: UsageSchema,
});
export type ModelUsage = z.infer<typeof ModelUsageSchema>;

const ApprovalCallSchema = z.object({
  callId: z.string(),
  name: z.string(),
  args: JsonValueSchema,
  reason: z.string(),
});

/** A W3C `traceparent` (version 00: `00-<32 hex trace id>-<16 hex parent span id>-<2 hex flags>`). */
export const TRACEPARENT_PATTERN = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

export const TraceContextSchema = z.object({
  traceparent: z.string().regex(TRACEPARENT_PATTERN),
  tracestate: z.string().max(512).optional(),
});
export type TraceContext = z.infer<typeof TraceContextSchema>;

/** A run's `output` schema as journaled: its response format's name and its JSON Schema's content hash. */
const RunOutputSchema = z.object({ name: z.string(), hash: z.string() });

const dataSchemas = {
  "run.started": z.object({
    input: z.string(),
    /** Images and files sent with the input; each one's data only the first time the thread sees it. */
    attachments: z.array(AttachmentSchema).optional(),
    agent: z.string().optional(),
    /**
     * The W3C trace context the run was started in (`run(input, { traceparent })`), so that every
     * process that takes the run up, and a later export, puts its spans in the caller's trace.
     */
    trace: TraceContextSchema.optional(),
    /**
     * The run's `output` schema: its response format's name and the content hash of its JSON Schema.
     * A resume of the run without one is refused (its requests and its answer's check would change).
     */
    output: RunOutputSchema.optional(),
  }),
  "iteration.started": z.object({}),
  "context.assembled": z.object({
    budget: z.number().int(),
    totalTokens: z.number().int().nonnegative(),
    included: z.array(ContextComponentRecordSchema),
    excluded: z.array(ContextComponentRecordSchema),
    /**
     * The system message sent: the texts of these component hashes, in this order, joined by a
     * blank line. With it, the request is rebuilt from the journal alone.
     */
    system: z.array(z.string()).optional(),
  }),
  "compression.applied": z.object({
    strategy: z.string(),
    tokensBefore: z.number().int().nonnegative(),
    tokensAfter: z.number().int().nonnegative(),
    /** First history message sent. */
    keepFrom: z.number().int().nonnegative().optional(),
    /** Messages the strategy put before the kept history (e.g. a summary). */
    prefix: z.array(MessageSchema).optional(),
  }),
  "llm.requested": z.object({
    provider: z.string(),
    model: z.string(),
    messageCount: z.number().int().nonnegative(),
    tools: z.array(z.string()),
    /** Present only when a hook replaced what the assembler produced. */
    replacedMessages: z.array(JsonValueSchema).optional(),
    settings: z.record(z.string(), JsonValueSchema).optional(),
  }),
  "llm.completed": z.object({
    message: AssistantMessageSchema,
    usage: UsageSchema,
    finishReason: FinishReasonSchema,
    attempt: z.number().int().positive(),
    /** The provider's id for the request, to trace an incident with the provider. */
    requestId: z.string().optional(),
    /** The provider's id of the answer (OpenAI `resp_...` / `chatcmpl-...`, Anthropic `msg_...`). */
    responseId: z.string().optional(),
    /** With `fallbackProviders`: the provider and model that answered. */
    provider: z.string().optional(),
    model: z.string().optional(),
    /** Settings the provider could not honour, and similar notes. */
    warnings: z.array(z.string()).optional(),
  }),
  "llm.failed": z.object({
    error: ErrorInfoSchema,
    attempt: z.number().int().positive(),
    status: z.number().int().optional(),
    requestId: z.string().optional(),
    willRetry: z.boolean(),
    retryInMs: z.number().nonnegative().optional(),
    /** With `fallbackProviders`: the provider and model that failed, and whether the turn moves on to the next. */
    provider: z.string().optional(),
    model: z.string().optional(),
    fallback: z.literal(true).optional(),
  }),
  "tool.started": z.object({
    callId: z.string(),
    name: z.string(),
    args: JsonValueSchema,
    /** The model's args when a hook or a human edited them. */
    originalArgs: JsonValueSchema.optional(),
    idempotencyKey: z.string(),
  }),
  /**
   * A step of a running call finished (`ToolContext.step`): its name and what it returned (absent:
   * nothing), journaled before the tool goes on, so another attempt of the call returns it without
   * running the step again.
   */
  "tool.step": z.object({
    callId: z.string(),
    name: z.string(),
    value: JsonValueSchema.optional(),
  }),
  "tool.completed": z.object({
    callId: z.string(),
    name: z.string(),
    /** What the model sees as the tool's result. */
    content: z.string(),
    output: JsonValueSchema.optional(),
    error: ErrorInfoSchema.optional(),
    durationMs: z.number().nonnegative().optional(),
    /** Images and files returned with the result; each one's data only the first time the thread sees it. */
    attachments: z.array(AttachmentSchema).optional(),
    /**
     * Tokens of model calls the tool made itself (`context.reportUsage`), by model; part of the
     * frame's `usage`. A sub-agent's model calls are in its own frame, not here.
     */
    modelUsage: z.array(ModelUsageSchema).optional(),
  }),
  "approval.requested": z.object({ calls: z.array(ApprovalCallSchema) }),
  "approval.resolved": z.object({
    callId: z.string(),
    decision: z.enum(["approve", "reject", "edit"]),
    reason: z.string().optional(),
    args: JsonValueSchema.optional(),
  }),
  "run.interrupted": z.object({ reason: z.string(), pendingCallIds: z.array(z.string()) }),
  /**
   * A process took up a run another one left: `unfinished` when it stopped mid-run (killed,
   * crashed), `decisions` when a human's answers resume a paused run.
   */
  "run.resumed": z.object({
    reason: z.enum(["unfinished", "decisions"]),
    /**
     * The `output` schema the run goes on with, when it is not the one in force before (a deploy
     * changed it, or the run had none): its requests ask for this one and its answer is checked
     * against it from here on. Absent when the schema is unchanged.
     */
    output: RunOutputSchema.optional(),
  }),
  "frame.spawned": z.object({
    childFrameId: z.string(),
    callId: z.string(),
    name: z.string(),
    input: z.string(),
  }),
  "iteration.completed": z.object({}),
  /**
   * The final answer failed the agent's `output` schema: `message` (what is wrong) goes to the
   * model as a user message, and the run goes on with a new iteration.
   */
  "output.rejected": z.object({ message: z.string(), attempt: z.number().int().positive() }),
  "run.completed": z.object({ text: z.string() }),
  "run.failed": z.object({ error: ErrorInfoSchema }),
  "run.cancelled": z.object({ reason: z.string() }),
  snapshot: z.object({ state: JsonValueSchema }),
} as const;

export type EventType = keyof typeof dataSchemas;
export const EVENT_TYPES = Object.keys(dataSchemas) as EventType[];
export type EventData<T extends EventType> = z.infer<(typeof dataSchemas)[T]>;

const envelopeShape = {
  v: z.literal(EVENT_VERSION),
  threadId: z.string().min(1),
  seq: z.number().int().nonnegative(),
  runId: z.string().min(1),
  ts: z.number(),
  frameId: z.string().min(1),
  parentFrameId: z.string().optional(),
  depth: z.number().int().nonnegative(),
  iteration: z.number().int().nonnegative(),
};

function eventSchema<T extends EventType>(type: T) {
  return z.object({ ...envelopeShape, type: z.literal(type), data: dataSchemas[type] });
}

const eventSchemas = EVENT_TYPES.map((type) => eventSchema(type));

/** Every durable event, as stored in a journal. */
export const StoredEventSchema = z.discriminatedUnion(
  "type",
  eventSchemas as unknown as [ReturnType<typeof eventSchema<EventType>>],
);

const parseFast = compileParser(StoredEventSchema);

type EventOf<T extends EventType> = T extends EventType ? z.infer<ReturnType<typeof eventSchema<T>>> : never;

export type StoredEvent = EventOf<EventType>;
export type EventOfType<T extends EventType> = Extract<StoredEvent, { type: T }>;

/** An event as a writer hands it to `Journal.append`: everything but the thread id and seq. */
export type NewEvent = StoredEvent extends infer E
  ? E extends StoredEvent
    ? Omit<E, "threadId" | "seq">
    : never
  : never;

/** Transient events are streamed to the caller and never journaled. */
export type TransientEvent =
  | {
      type: "llm.delta";
      threadId: string;
      runId: string;
      frameId: string;
      depth: number;
      iteration: number;
      data: { kind: "text" | "reasoning" | "tool-call" | "refusal"; delta: string; callId?: string };
    }
  | {
      type: "tool.progress";
      threadId: string;
      runId: string;
      frameId: string;
      depth: number;
      iteration: number;
      data: { callId: string; name: string; progress: unknown };
    };

export type AgentEvent = StoredEvent | TransientEvent;

/**
 * Validates one event read from storage or received from outside. Raises `EventSchemaError`
 * naming the thread, seq and offending field.
 */
export function parseEvent(raw: unknown): StoredEvent {
  const guess = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  const threadId = typeof guess.threadId === "string" ? guess.threadId : undefined;
  const seq = typeof guess.seq === "number" ? guess.seq : undefined;
  if (guess.v !== undefined && guess.v !== EVENT_VERSION && typeof guess.v === "number") {
    if (!READABLE_VERSIONS.includes(guess.v)) {
      throw new EventSchemaError(
        `Event ${describe(threadId, seq)} has format version v=${guess.v}, which this @loom/core cannot read (it reads v${READABLE_VERSIONS.join(", v")}). Upgrade @loom/core to read it.`,
        { threadId, seq, field: "v" },
      );
    }
  }
  const fast = parseFast(raw);
  if (fast !== UNSURE) return fast as StoredEvent;
  const result = StoredEventSchema.safeParse(raw);
  if (result.success) return result.data as StoredEvent;
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join(".") : undefined;
  throw new EventSchemaError(
    `Event ${describe(threadId, seq)} is malformed${field ? ` at "${field}"` : ""}: ${issue?.message ?? "invalid"}.`,
    { threadId, seq, field },
    { cause: result.error },
  );
}

function describe(threadId: string | undefined, seq: number | undefined): string {
  return `${threadId === undefined ? "(unknown thread)" : `"${threadId}"`} seq ${seq ?? "?"}`;
}

/** Stamps a writer's new events with the thread id and the seqs that follow `expectedSeq`. */
export function sealEvents(
  threadId: string,
  expectedSeq: number,
  events: readonly NewEvent[],
): StoredEvent[] {
  return events.map((event, i) => ({ ...event, threadId, seq: expectedSeq + 1 + i }) as StoredEvent);
}
