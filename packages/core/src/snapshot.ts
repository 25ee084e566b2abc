import { z } from "zod";
import { resolvedAttachments } from "./attachments.js";
import { historyWindow, windowLoaded } from "./compression.js";
import { type EventOfType, type JsonValue, SnapshotContentsSchema, type StoredEvent } from "./events.js";
import {
  type CallState,
  type ExecutionFrame,
  emptyFrame,
  findFrame,
  fold,
  type JournaledCompression,
  type Turn,
} from "./frame.js";
import { History } from "./history.js";
import type { Journal, ReadRange } from "./journal.js";
import { jsonData } from "./json-data.js";
import type { Attachment, Message } from "./messages.js";
import { estimateTokenizer, type Tokenizer } from "./tokenizer.js";

/**
 * When a running thread journals a `snapshot` of its state (it rides with a write the run makes
 * anyway): once `everyEvents` events or `everyBytes` bytes (estimated) were written since the last
 * one, and only while the snapshot is at most `sizeRatio` times what was written since (by default
 * no bigger: snapshots never more than double a journal). `false` turns them off.
 */
export const SnapshotOptionsSchema = z.union([
  z.literal(false),
  z
    .object({
      everyEvents: z.number().int().positive().default(1_000),
      everyBytes: z
        .number()
        .int()
        .positive()
        .default(4 * 1024 * 1024),
      sizeRatio: z.number().positive().default(1),
    })
    .strict(),
]);
export type SnapshotOptions = z.input<typeof SnapshotOptionsSchema>;

const ROLE_CODES = { system: "s", user: "u", assistant: "a", tool: "t" } as const;
const ROLES_BY_CODE: Record<string, Message["role"]> = { s: "system", u: "user", a: "assistant", t: "tool" };

const Json = z.custom<object>((value) => typeof value === "object" && value !== null);

const HistorySnapshotSchema = z.object({
  /** One letter per message: s(ystem), u(ser), a(ssistant), t(ool). */
  roles: z.string().regex(/^[suat]*$/),
  /** Each message's tokens, in base 36, comma-separated (a number array costs a store more). */
  tokens: z.string().regex(/^[0-9a-z]*(,[0-9a-z]+)*$/),
  /** The messages from `from` on, and those at `also`, kept; the others load from the journal. */
  from: z.number().int().nonnegative(),
  kept: z.array(Json),
  also: z.array(z.tuple([z.number().int().nonnegative(), Json])),
});

interface FrameSnapshot {
  readonly frame: Record<string, unknown>;
  readonly history: z.infer<typeof HistorySnapshotSchema>;
  readonly children: Record<string, FrameSnapshot>;
}

const FrameSnapshotSchema: z.ZodType<FrameSnapshot> = z.lazy(() =>
  z.object({
    frame: z.record(z.string(), z.unknown()),
    history: HistorySnapshotSchema,
    children: z.record(z.string(), FrameSnapshotSchema),
  }),
);

/** What a `snapshot` event's `state` holds. Format 1. */
export const SnapshotStateSchema = z.object({
  format: z.literal(1),
  /** The tokenizer that counted `tokens`: a reader with another one folds from the start instead. */
  tokenizer: z.string(),
  root: FrameSnapshotSchema,
  /**
   * The component texts and attachment data the thread keeps from here on, by hash: what the kept
   * messages and open turns use, and what was sent since the previous snapshot. A text not listed
   * is journaled again the next time it is sent (by every process: `fold` keeps only these).
   */
  contents: SnapshotContentsSchema,
});
export type SnapshotState = z.infer<typeof SnapshotStateSchema>;

/** The fields of a frame a snapshot stores as they are (everything but its history and children). */
const PLAIN_FIELDS = [
  "runId",
  "frameId",
  "parentFrameId",
  "depth",
  "iteration",
  "runIterations",
  "status",
  "input",
  "runStartedAt",
  "runOutput",
  "turn",
  "usage",
  "usageByModel",
  "result",
  "error",
  "interruptReason",
  "finalAnswer",
  "outputRejections",
  "spawnedBy",
  "repeat",
  "stall",
  "lastSeq",
  "snapshotSeq",
] as const satisfies readonly (keyof ExecutionFrame)[];

/** A snapshot's state, as plain JSON data (what a journal reads back), and the length of its JSON text. */
export interface BuiltSnapshot {
  readonly state: JsonValue;
  readonly bytes: number;
}

/**
 * The snapshot of a thread's state for a `snapshot` event. `budget`: the most history tokens a
 * request can carry (the window minus the reserved output); the messages that fit it, and the user
 * messages their turns start with, are kept word for word, the others only by role and tokens.
 * `recent`: hashes sent since the previous snapshot, whose texts stay known.
 *
 * Each kept message is turned into JSON data once in its life (`plainMessage`, kept by
 * `History.derived`): a long thread's snapshots keep mostly the same messages, and serializing them
 * again for each one made snapshots a third of the executor's overhead at 1,000 iterations (core
 * README). Only the rest of the state is serialized per snapshot; its size is summed from the parts.
 */
export function snapshotOf(
  root: ExecutionFrame,
  budget: number,
  recent: ReadonlySet<string>,
): BuiltSnapshot | undefined {
  const keep = new Set(recent);
  const frame = frameSnapshot(root, budget, keep);
  if (!frame) return undefined;
  const contents: [string, string][] = [];
  for (const hash of keep) {
    const text = root.contents.get(hash);
    if (text !== undefined) contents.push([hash, text]);
  }
  const contentsJson = JSON.stringify(contents);
  const tokenizer = root.messages.tokenizer.name;
  const state: SnapshotState = {
    format: 1,
    tokenizer: tokenizer.toWellFormed(),
    root: frame.snapshot,
    contents: jsonData(contents, contentsJson) as [string, string][],
  };
  const bytes = STATE_JSON_BYTES + JSON.stringify(tokenizer).length + frame.bytes + contentsJson.length;
  // Plain JSON data by construction: its parts are `jsonData` copies, well-formed strings and integers.
  return { state: state as unknown as JsonValue, bytes };
}

/** The JSON text of a snapshot's state, less its values. */
const STATE_JSON_BYTES = '{"format":1,"tokenizer":,"root":,"contents":}'.length;
/** The JSON text of a frame's snapshot, less its values. */
const FRAME_JSON_BYTES = '{"frame":,"history":{"roles":,"tokens":,"from":,"kept":[],"also":[]},"children":{}}'
  .length;

/** A message as JSON data, the length of its JSON text, and the hashes of the attachment data left to `contents`. */
interface PlainMessage {
  readonly data: JsonValue;
  readonly bytes: number;
  readonly hashes: readonly string[];
}

/** A message's JSON data for a snapshot (made once per message: `History.derived`). */
function plainMessage(message: Message): PlainMessage {
  const hashes: string[] = [];
  const stripped = mapMessageAttachments(
    message,
    withoutData((hash) => hashes.push(hash)),
  );
  const json = JSON.stringify(stripped);
  return { data: jsonData(stripped, json), bytes: json.length, hashes };
}

/** `undefined` when a message the snapshot must keep is not loaded (a window larger than the last snapshot's). */
function frameSnapshot(
  frame: ExecutionFrame,
  budget: number,
  keep: Set<string>,
): { snapshot: FrameSnapshot; bytes: number } | undefined {
  const history = frame.messages;
  const window = historyWindow(history, budget);
  if (!windowLoaded(history, window)) return undefined;
  const roles = history.length === 0 ? "" : roleCodes(history);
  const counts = new Array<string>(history.length);
  for (let i = 0; i < history.length; i++) counts[i] = history.tokensAt(i).toString(36);
  const tokens = counts.join(",");
  let bytes = FRAME_JSON_BYTES + JSON.stringify(roles).length + JSON.stringify(tokens).length;
  bytes += String(window.from).length;
  /** The message at `index` as JSON data, its length counted and its attachments' hashes kept. */
  const take = (index: number): object => {
    const plain = history.derived(index, plainMessage);
    for (const hash of plain.hashes) keep.add(hash);
    bytes += plain.bytes;
    // Messages are objects, and so are their copies.
    return plain.data as object;
  };
  const kept: object[] = [];
  for (let i = window.from; i < history.length; i++) kept.push(take(i));
  // Each as [index,message].
  const also = window.also.map((index): [number, object] => {
    bytes += String(index).length + 3;
    return [index, take(index)];
  });
  // The commas between items.
  bytes += Math.max(0, kept.length - 1) + Math.max(0, also.length - 1);
  // The window only moves forward: the messages before it, but those at `also`, are not kept again.
  history.forgetDerived(window.from, window.also);
  const plain: Record<string, unknown> = {};
  for (const key of PLAIN_FIELDS) if (frame[key] !== undefined) plain[key] = frame[key];
  if (frame.turn) {
    for (const hash of frame.turn.system ?? []) keep.add(hash);
    plain.turn = mapTurnAttachments(
      frame.turn,
      withoutData((hash) => keep.add(hash)),
    );
  }
  plain.failures = [...frame.failures];
  plain.compressions = [...frame.compressions];
  const plainJson = JSON.stringify(plain);
  bytes += plainJson.length;
  const children: [string, FrameSnapshot][] = [];
  for (const [id, child] of Object.entries(frame.children)) {
    const snapshot = frameSnapshot(child, budget, keep);
    if (!snapshot) return undefined;
    children.push([id.toWellFormed(), snapshot.snapshot]);
    // "id":child, and a comma after all but the last
    bytes += JSON.stringify(id).length + 1 + snapshot.bytes + (children.length > 1 ? 1 : 0);
  }
  const snapshot: FrameSnapshot = {
    frame: jsonData(plain, plainJson) as Record<string, unknown>,
    history: { roles, tokens, from: window.from, kept, also },
    // Own fields whatever the ids (a "__proto__" key assigned would set the prototype).
    children: Object.fromEntries(children),
  };
  return { snapshot, bytes };
}

function roleCodes(history: History): string {
  let codes = "";
  for (let i = 0; i < history.length; i++) codes += ROLE_CODES[history.roleAt(i)!];
  return codes;
}

type AttachmentsMap = (attachments: readonly Attachment[]) => Attachment[];

/** The message with `map` applied to its attachments (user and tool messages carry them). */
function mapMessageAttachments<M extends Message>(message: M, map: AttachmentsMap): M {
  if ((message.role !== "user" && message.role !== "tool") || !message.attachments) return message;
  return { ...message, attachments: map(message.attachments) };
}

/** The turn with `map` applied to its calls' result attachments. */
function mapTurnAttachments(turn: Turn, map: AttachmentsMap): Turn {
  const calls = turn.calls.map((call): CallState => {
    const attachments = call.result?.attachments;
    if (!call.result || !attachments) return call;
    return { ...call, result: { ...call.result, attachments: map(attachments) } };
  });
  return { ...turn, calls };
}

/** Attachments with their data left to the snapshot's contents (their hashes told to `keep`). */
function withoutData(keep: (hash: string) => void): AttachmentsMap {
  return (attachments) =>
    attachments.map((a) => {
      if (a.hash === undefined || a.data === undefined) return a;
      keep(a.hash);
      const { data: _data, ...rest } = a;
      return rest;
    });
}

/**
 * The state a `snapshot` event holds, as a frame whose older messages load from `journal` on
 * demand; `undefined` when the snapshot cannot stand in for the events before it here (another
 * format or tokenizer, or attachment data it lacks): the caller then folds from the start.
 */
export function restoreSnapshot(
  journal: Journal,
  event: EventOfType<"snapshot">,
  tokenizer: Tokenizer,
): ExecutionFrame | undefined {
  const parsed = SnapshotStateSchema.safeParse(event.data.state);
  if (!parsed.success || parsed.data.tokenizer !== tokenizer.name) return undefined;
  const state = parsed.data;
  const contents = new Map(state.contents);
  let before: Promise<ExecutionFrame> | undefined;
  // Every frame's older messages come from one fold of the events before the snapshot.
  const foldBefore = () => {
    before ??= foldRead(
      journal,
      event.threadId,
      { to: event.seq - 1 },
      { frame: emptyFrame(event.threadId, { messages: History.empty(tokenizer) }), last: undefined },
      undefined,
    ).then((folded) => folded.frame);
    return before;
  };
  try {
    const root = restoreFrame(event.threadId, state.root, tokenizer, contents, foldBefore);
    return { ...root, contents, lastSeq: event.seq, snapshotSeq: event.seq };
  } catch {
    return undefined;
  }
}

function restoreFrame(
  threadId: string,
  snapshot: FrameSnapshot,
  tokenizer: Tokenizer,
  contents: ReadonlyMap<string, string>,
  foldBefore: () => Promise<ExecutionFrame>,
): ExecutionFrame {
  const { history, frame } = snapshot;
  const frameId = String(frame.frameId);
  const resolve: AttachmentsMap = (attachments) => resolvedAttachments(attachments, contents);
  const kept = new Map<number, Message>();
  for (let i = 0; i < history.kept.length; i++) {
    kept.set(history.from + i, mapMessageAttachments(history.kept[i] as Message, resolve));
  }
  for (const [index, m] of history.also) kept.set(index, mapMessageAttachments(m as Message, resolve));
  const count = history.roles.length;
  const tokens = history.tokens === "" ? [] : history.tokens.split(",").map((t) => Number.parseInt(t, 36));
  if (tokens.length !== count || history.from > count) throw new Error("inconsistent snapshot");
  const messages = History.restore(
    { roles: [...history.roles].map((c) => ROLES_BY_CODE[c]!), tokens, messages: kept },
    tokenizer,
    async () => {
      const full = findFrame(await foldBefore(), frameId);
      if (!full) throw new Error(`internal: frame "${frameId}" is not in the journal before its snapshot`);
      return full.messages.slice(0, history.from);
    },
  );
  const children: Record<string, ExecutionFrame> = {};
  for (const [id, child] of Object.entries(snapshot.children)) {
    children[id] = restoreFrame(threadId, child, tokenizer, contents, foldBefore);
  }
  const turn = frame.turn as Turn | undefined;
  return emptyFrame(threadId, {
    ...(frame as Partial<ExecutionFrame>),
    ...(turn ? { turn: mapTurnAttachments(turn, resolve) } : {}),
    messages,
    children,
    failures: new Map(frame.failures as [string, number][]),
    compressions: new Map(frame.compressions as [string, JournaledCompression][]),
  });
}

export interface LoadThreadOptions {
  /** The tokenizer the agent counts with (a snapshot counted with another one is not used). */
  readonly tokenizer?: Tokenizer;
  /** The state right after this seq (time travel); the latest when absent. */
  readonly at?: number;
  /** `false`: fold every event from the first, ignoring snapshots. */
  readonly snapshots?: boolean;
  /** Called with the seq of each event read (a progress bar: it reaches the head when done). */
  readonly onRead?: (seq: number) => void;
}

/**
 * A thread's state from its journal: the latest snapshot at or before `at` (when the journal can
 * find one) and the events after it, folded; else every event from the first. Both give the same
 * state (the every-prefix proof checks it), except that a history restored from a snapshot loads
 * its older messages on demand (`History.load`).
 */
export async function loadThread(
  journal: Journal,
  threadId: string,
  options: LoadThreadOptions = {},
): Promise<ExecutionFrame> {
  return (await loadThreadState(journal, threadId, options)).frame;
}

/** A thread's state and the last event folded into it (none for a thread without events). */
export interface FoldedThread {
  readonly frame: ExecutionFrame;
  readonly last: StoredEvent | undefined;
}

/** `loadThread`, with the last event it folded. */
export async function loadThreadState(
  journal: Journal,
  threadId: string,
  options: LoadThreadOptions = {},
): Promise<FoldedThread> {
  const tokenizer = options.tokenizer ?? estimateTokenizer;
  const at = options.at;
  const to = at !== undefined ? { to: at } : {};
  if (options.snapshots !== false && journal.latestSnapshot) {
    const event = await journal.latestSnapshot(threadId, at);
    const restored =
      event?.type === "snapshot" && (at === undefined || event.seq <= at)
        ? restoreSnapshot(journal, event, tokenizer)
        : undefined;
    if (event && restored) {
      options.onRead?.(event.seq);
      const tail = { from: event.seq + 1, ...to };
      return foldRead(journal, threadId, tail, { frame: restored, last: event }, options.onRead);
    }
  }
  const empty = emptyFrame(threadId, { messages: History.empty(tokenizer) });
  return foldRead(journal, threadId, to, { frame: empty, last: undefined }, options.onRead);
}

/** Folds the events of `range` onto `from` as they are read (a long thread's events become garbage one by one). */
async function foldRead(
  journal: Journal,
  threadId: string,
  range: ReadRange,
  from: FoldedThread,
  onRead: ((seq: number) => void) | undefined,
): Promise<FoldedThread> {
  let { frame, last } = from;
  for await (const event of journal.read(threadId, range)) {
    frame = fold(frame, event);
    last = event;
    onRead?.(event.seq);
  }
  return { frame, last };
}

/** Makes every message of `frame` and its sub-agents readable (see `History.load`). */
export async function loadHistory(frame: ExecutionFrame): Promise<ExecutionFrame> {
  await frame.messages.load();
  for (const child of Object.values(frame.children)) await loadHistory(child);
  return frame;
}

/** A journaled event is at least this big (envelope and field names), whatever it carries. */
export const EVENT_FLOOR_BYTES = 200;

/**
 * Rough size of an event in the journal (its texts and data: what makes an event big; a tool's
 * arguments are counted once, in the `llm.completed` that asked for them), and the hashes of the
 * texts it sends, added to `sent`. Runs for every event a session writes: no allocation, no
 * serialization.
 */
export function noteEvent(event: StoredEvent, sent: Set<string>): number {
  let bytes = EVENT_FLOOR_BYTES;
  switch (event.type) {
    case "run.started":
      bytes += event.data.input.length;
      for (const a of event.data.attachments ?? []) {
        bytes += a.data?.length ?? 0;
        if (a.hash !== undefined) sent.add(a.hash);
      }
      break;
    case "context.assembled":
      for (const r of event.data.included) {
        bytes += 80 + (r.content?.length ?? 0);
        if (r.hash !== undefined) sent.add(r.hash);
      }
      bytes += 80 * event.data.excluded.length;
      break;
    case "llm.requested":
      // Messages a hook substituted (rare): counted by their text.
      for (const m of (event.data.replacedMessages ?? []) as { content?: unknown }[]) {
        bytes += 40 + (typeof m?.content === "string" ? m.content.length : 0);
      }
      break;
    case "llm.completed": {
      const m = event.data.message;
      bytes += m.content.length;
      for (const c of m.toolCalls ?? []) bytes += 40 + c.name.length + c.arguments.length;
      for (const r of m.reasoning ?? []) bytes += r.text.length + (r.signature?.length ?? 0);
      break;
    }
    case "tool.completed":
      bytes += event.data.content.length;
      for (const a of event.data.attachments ?? []) {
        bytes += a.data?.length ?? 0;
        if (a.hash !== undefined) sent.add(a.hash);
      }
      break;
    case "compression.applied":
      for (const m of event.data.prefix ?? []) bytes += m.content.length;
      break;
    default:
      break;
  }
  return bytes;
}
