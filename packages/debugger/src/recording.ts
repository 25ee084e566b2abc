import {
  addUsage,
  type ContextAssemblyInfo,
  type ContextComponentRecord,
  type EventData,
  type ExecutionFrame,
  emptyFrame,
  estimateAttachmentTokens,
  findFrame,
  fold,
  type Message,
  type StoredEvent,
  totalUsage,
  type Usage,
} from "@loom/core";

/** A `compression.applied` event: strategy, tokens before and after, and where the kept history starts. */
export type Compression = EventData<"compression.applied"> & {
  readonly iteration: number;
  readonly seq: number | undefined;
};

/** What the debugger knows about one iteration of one frame. */
export interface IterationRecord {
  readonly frameId: string;
  readonly iteration: number;
  /** "journal" when read from a `context.assembled` event, "hook" when seen live by the hook only. */
  readonly source: "journal" | "hook";
  readonly seq: number | undefined;
  readonly ts: number | undefined;
  readonly budget: number;
  readonly totalTokens: number;
  readonly included: readonly ContextComponentRecord[];
  readonly excluded: readonly ContextComponentRecord[];
  readonly compressions: readonly Compression[];
  /** Usage the provider reported for this iteration's model call, when it completed. */
  readonly usage: Usage | undefined;
  /** Tokens of the model calls this iteration's tools made themselves (`reportUsage`), when any did. */
  readonly toolUsage: Usage | undefined;
  readonly failedModelCalls: number;
  /** The images and files in the frame's history at this assembly, each with its tokens and whether it was sent. */
  readonly attachments: readonly AttachmentAtIteration[];
}

/** An image or file in the history at one context assembly. */
export interface AttachmentAtIteration {
  /** Index of the history message that carries it. */
  readonly message: number;
  readonly role: "user" | "tool";
  readonly type: "image" | "file";
  readonly mediaType: string;
  /** Tokens counted for it in the budget (`estimateAttachmentTokens`, or the caller's). */
  readonly tokens: number;
  /** Whether its message was in the history sent at this iteration. */
  readonly sent: boolean;
}

export interface FrameInfo {
  readonly frameId: string;
  readonly parentFrameId: string | undefined;
  readonly depth: number;
  /** The agent's name (`run.started`) or the tool name it was spawned as. */
  readonly name: string | undefined;
  readonly iterations: number;
}

interface HookSighting {
  readonly depth: number;
  readonly parentFrameId: string | undefined;
  readonly assembly?: ContextAssemblyInfo;
  readonly usage?: Usage;
}

const key = (frameId: string, iteration: number) => `${frameId}\u0000${iteration}`;

/** The events of one thread, and what a hook saw live that is not (yet) in them. */
export class Recording {
  readonly events: StoredEvent[] = [];
  threadId: string | undefined;
  private readonly seqs = new Set<number>();
  private readonly sightings = new Map<string, HookSighting>();

  /** Iteration records by frame, dropped whenever something new is recorded. */
  private readonly cache = new Map<string, IterationRecord[]>();
  /**
   * The thread's state before the first recorded event, when the recording starts mid-thread (at a
   * snapshot): what the fold of the recorded events starts from.
   */
  base: ExecutionFrame | undefined;

  add(event: StoredEvent): void {
    if (this.seqs.has(event.seq)) return;
    this.cache.clear();
    this.seqs.add(event.seq);
    this.threadId ??= event.threadId;
    const last = this.events.at(-1);
    this.events.push(event);
    if (last && last.seq > event.seq) this.events.sort((a, b) => a.seq - b.seq);
  }

  sight(frameId: string, iteration: number, seen: HookSighting): void {
    this.cache.clear();
    const k = key(frameId, iteration);
    this.sightings.set(k, { ...this.sightings.get(k), ...seen });
  }

  frames(): FrameInfo[] {
    const frames = new Map<
      string,
      { parentFrameId?: string; depth: number; name?: string; its: Set<number> }
    >();
    const ensure = (frameId: string, depth: number, parentFrameId?: string) => {
      let info = frames.get(frameId);
      if (!info) {
        info = { depth, its: new Set(), ...(parentFrameId ? { parentFrameId } : {}) };
        frames.set(frameId, info);
      }
      return info;
    };
    for (const e of this.events) {
      const info = ensure(e.frameId, e.depth, e.parentFrameId);
      if (e.type === "iteration.started") info.its.add(e.iteration);
      if (e.type === "run.started" && e.data.agent) info.name ??= e.data.agent;
      if (e.type === "frame.spawned")
        ensure(e.data.childFrameId, e.depth + 1, e.frameId).name ??= e.data.name;
    }
    for (const [k, seen] of this.sightings) {
      const [frameId, iteration] = k.split("\u0000") as [string, string];
      ensure(frameId, seen.depth, seen.parentFrameId).its.add(Number(iteration));
    }
    return [...frames].map(([frameId, f]) => ({
      frameId,
      parentFrameId: f.parentFrameId,
      depth: f.depth,
      name: f.name,
      iterations: f.its.size,
    }));
  }

  /** Every iteration of `frameId` that has a context assembly, in order. */
  iterations(frameId: string): IterationRecord[] {
    let records = this.cache.get(frameId);
    if (!records) {
      records = this.collect(frameId);
      this.cache.set(frameId, records);
    }
    return records;
  }

  private collect(frameId: string): IterationRecord[] {
    const records = new Map<number, IterationRecord>();
    const compressions = new Map<number, Compression[]>();
    const usage = new Map<number, Usage>();
    const toolUsage = new Map<number, Usage>();
    const failures = new Map<number, number>();
    // Only for a thread with images or files: its state as it was at each event, to see which
    // messages held them (the fold costs what a resume does; a thread without any skips it).
    const withAttachments = this.events.some(
      (e) => (e.type === "run.started" || e.type === "tool.completed") && e.data.attachments !== undefined,
    );
    let root: ExecutionFrame | undefined = this.base;
    // The frame's history messages that carry attachments, as the history grows (append-only), and
    // how many of them each assembly had before it.
    const carriers: { index: number; message: Message }[] = [];
    // From a snapshot, the older messages are not loaded: images among them are not listed.
    const older = this.base ? findFrame(this.base, frameId)?.messages : undefined;
    let scanned = 0;
    while (older && scanned < older.length && !older.isLoaded(scanned, scanned + 1)) scanned++;
    const carriersAt = new Map<number, number>();
    for (const e of this.events) {
      if (withAttachments) {
        root = fold(root ?? emptyFrame(e.threadId), e);
        const history = findFrame(root, frameId)?.messages;
        for (; history && scanned < history.length; scanned++) {
          const message = history.at(scanned)!;
          if ((message.role === "user" || message.role === "tool") && message.attachments?.length) {
            carriers.push({ index: scanned, message });
          }
        }
      }
      if (e.frameId !== frameId) continue;
      switch (e.type) {
        case "context.assembled":
          records.set(e.iteration, {
            frameId,
            iteration: e.iteration,
            source: "journal",
            seq: e.seq,
            ts: e.ts,
            ...e.data,
            compressions: [],
            usage: undefined,
            toolUsage: undefined,
            failedModelCalls: 0,
            attachments: [],
          });
          // The assembly's own event adds no message: what is scanned now is what it saw.
          carriersAt.set(e.iteration, carriers.length);
          break;
        case "compression.applied": {
          const list = compressions.get(e.iteration) ?? [];
          list.push({ iteration: e.iteration, seq: e.seq, ...e.data });
          compressions.set(e.iteration, list);
          break;
        }
        case "llm.completed":
          usage.set(e.iteration, e.data.usage);
          break;
        case "tool.completed": {
          if (!e.data.modelUsage?.length) break;
          const spent = totalUsage(e.data.modelUsage);
          const before = toolUsage.get(e.iteration);
          toolUsage.set(e.iteration, before ? addUsage(before, spent) : spent);
          break;
        }
        case "llm.failed":
          failures.set(e.iteration, (failures.get(e.iteration) ?? 0) + 1);
          break;
      }
    }
    for (const [k, seen] of this.sightings) {
      const [f, it] = k.split("\u0000") as [string, string];
      const iteration = Number(it);
      if (f !== frameId) continue;
      if (seen.usage && !usage.has(iteration)) usage.set(iteration, seen.usage);
      if (!seen.assembly || records.has(iteration)) continue;
      records.set(iteration, {
        frameId,
        iteration,
        source: "hook",
        seq: undefined,
        ts: undefined,
        budget: seen.assembly.budget,
        totalTokens: seen.assembly.totalTokens,
        included: seen.assembly.included,
        excluded: seen.assembly.excluded,
        compressions: [],
        usage: undefined,
        toolUsage: undefined,
        failedModelCalls: 0,
        attachments: [],
      });
    }
    return [...records.values()]
      .map((r) => ({
        ...r,
        compressions: compressions.get(r.iteration) ?? [],
        usage: usage.get(r.iteration),
        toolUsage: toolUsage.get(r.iteration),
        failedModelCalls: failures.get(r.iteration) ?? 0,
        attachments: attachmentsAt(
          carriers.slice(0, carriersAt.get(r.iteration) ?? 0),
          r.included,
          compressions.get(r.iteration) ?? [],
        ),
      }))
      .sort((a, b) => a.iteration - b.iteration);
  }
}

/**
 * The attachments of a frame's history before an assembly, and whether the assembly sent them: in
 * the history range it kept, or as a message a compression put before it (a long turn's task).
 */
function attachmentsAt(
  carriers: readonly { index: number; message: Message }[],
  included: readonly ContextComponentRecord[],
  compressions: readonly Compression[],
): AttachmentAtIteration[] {
  const kept = included.filter((c) => c.kind === "history" && c.range).map((c) => c.range!);
  const prefix = compressions.flatMap((c) => c.prefix ?? []);
  const out: AttachmentAtIteration[] = [];
  for (const { index, message } of carriers) {
    if (message.role !== "user" && message.role !== "tool") continue;
    const sent =
      kept.some(([from, to]) => index >= from && index < to) ||
      prefix.some((m) => m.role === message.role && m.content === message.content);
    for (const a of message.attachments ?? []) {
      out.push({
        message: index,
        role: message.role,
        type: a.type,
        mediaType: a.mediaType,
        tokens: estimateAttachmentTokens(a),
        sent,
      });
    }
  }
  return out;
}
