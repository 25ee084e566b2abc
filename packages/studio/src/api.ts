import {
  cancelRun,
  DECISION_SHAPES,
  type Decision,
  deleteThread,
  type FrameStatus,
  foldAll,
  isDecision,
  type Journal,
  listPendingApprovals,
  listRecentThreads,
  type PendingCall,
  parseRecentCursor,
  pendingApprovals,
  readAll,
  recentCursorText,
  recordDecisions,
  resolveDecisions,
  type StoredEvent,
  stateAt,
  ThreadBusyError,
  type ThreadInfo,
  type Tool,
  validateThreadId,
} from "@loom/core";
import { ContextDebugger, flameGraphHtml, type IterationExplanation } from "@loom/debugger";
import { z } from "zod";
import { type IterationChanges, iterationChanges, ThreadIndex } from "./context-changes.js";
import { StudioError } from "./errors.js";
import type { Prices } from "./prices.js";
import { ThreadSummaries, type ThreadSummary } from "./thread-summaries.js";

/** How a decided thread goes on: `agent.resume` by default; a queue's `resume` for runs owned by workers. */
export type Resume = (threadId: string) => Promise<unknown>;

/** How the page names a thread's status: the root frame's, with "interrupted" shown as paused for approval. */
export const THREAD_STATUSES = ["running", "paused", "completed", "failed", "cancelled", "idle"] as const;
export type ThreadStatus = (typeof THREAD_STATUSES)[number];

export interface ThreadRow {
  readonly threadId: string;
  readonly status: ThreadStatus | undefined;
  readonly eventCount: number;
  readonly lastSeq: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

const seqParam = z.coerce.number().int().nonnegative();

export const ThreadsQuery = z.object({
  prefix: z.string().max(512).optional(),
  status: z.enum(THREAD_STATUSES).optional(),
  /** `id`: by thread id; `recent`: the most recently written first (core's `listRecentThreads`). */
  order: z.enum(["id", "recent"]).default("id"),
  /** Where the previous page ended: its `next`, as it came. */
  after: z.string().max(600).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const EventsQuery = z.object({
  from: seqParam.optional(),
  to: seqParam.optional(),
  /** Events before this seq (exclusive), the newest `limit` of them: how the page reads back from the tail. */
  before: seqParam.optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(500),
});

export const StateQuery = z.object({ seq: seqParam });
export const ContextQuery = z.object({
  iteration: seqParam.optional(),
  frame: z.string().max(512).optional(),
});
export const FlameQuery = z.object({ from: seqParam.optional(), to: seqParam.optional() });
/** Events a flame graph draws at most: a longer thread's flame is drawn a range at a time. */
export const FLAME_MAX_EVENTS = 50_000;
export const LiveQuery = z.object({ from: seqParam.default(0) });
export const ApprovalsQuery = z.object({ prefix: z.string().max(512).optional() });

// Core's own check of a decision, so the studio accepts exactly what resume does.
const DecisionBody = z.custom<Decision>(isDecision, { message: `a decision is ${DECISION_SHAPES}` });
export const DecisionsBody = z.object({ decisions: z.record(z.string(), DecisionBody) }).strict();
export const CancelBody = z.object({ reason: z.string().min(1).max(10_000) }).strict();
export const ForkBody = z.object({ at: z.number().int().nonnegative(), to: z.string().min(1) }).strict();
/** The last seq the person saw: a thread that moved on since is not deleted. */
export const DeleteBody = z.object({ expectedSeq: z.number().int().min(-1) }).strict();

/** Threads scanned at most per request when filtering by status; the answer's `next` continues the scan. */
const SCAN_LIMIT = 5_000;

function displayStatus(status: ThreadInfo["status"]): ThreadStatus | undefined {
  if (status === "interrupted") return "paused";
  return status;
}

function rowOf(info: ThreadInfo): ThreadRow {
  return {
    threadId: info.threadId,
    status: displayStatus(info.status),
    eventCount: info.eventCount,
    lastSeq: info.lastSeq,
    createdAt: info.createdAt,
    updatedAt: info.updatedAt,
  };
}

function journalStatus(status: ThreadStatus): FrameStatus {
  return status === "paused" ? "interrupted" : status;
}

/** What the studio does with a journal: every JSON answer of its API. */
export class StudioApi {
  readonly summaries: ThreadSummaries;
  private readonly resumes = new Map<string, Promise<void>>();
  private readonly resumeErrors = new Map<string, { code: string; message: string }>();
  private readonly debuggers = new Map<
    string,
    { head: number; debug: ContextDebugger; index: ThreadIndex }
  >();

  /** The tools it checks edited arguments with, read each time (an agent's `ToolSet` changes). */
  private readonly tools: () => readonly Tool[];

  constructor(
    readonly journal: Journal,
    private readonly resume: Resume | undefined,
    tools: readonly Tool[] | (() => readonly Tool[]) = [],
    private readonly prices?: Prices,
  ) {
    this.summaries = new ThreadSummaries(journal, prices);
    this.tools = typeof tools === "function" ? tools : () => tools;
  }

  private tool(name: string): Tool | undefined {
    return this.tools().find((t) => t.name === name);
  }

  async threads(query: z.infer<typeof ThreadsQuery>): Promise<{ threads: ThreadRow[]; next?: string }> {
    if (query.order === "recent") return this.recentThreads(query);
    const rows: ThreadRow[] = [];
    let scanned = 0;
    let last: string | undefined;
    // A journal that filters threads where it keeps them gives a page of that status; another is
    // scanned here, at most SCAN_LIMIT threads a request.
    const filtered = query.status !== undefined && this.journal.filtersThreads === true;
    const scanning = query.status !== undefined && !filtered;
    const pageSize = scanning ? undefined : query.limit + 1;
    for await (const info of this.journal.threads({
      ...(query.prefix ? { prefix: query.prefix } : {}),
      ...(query.after ? { after: query.after } : {}),
      ...(pageSize ? { limit: pageSize } : {}),
      ...(filtered ? { statuses: [journalStatus(query.status!)] } : {}),
    })) {
      if (rows.length === query.limit) return { threads: rows, next: last! };
      if (scanning && scanned >= SCAN_LIMIT) return { threads: rows, next: last! };
      scanned++;
      last = info.threadId;
      const row = rowOf(info);
      if (query.status && row.status !== query.status) continue;
      rows.push(row);
    }
    // A full page of which some were left out here (their status unknown) may have more after it.
    if (pageSize !== undefined && scanned === pageSize) return { threads: rows, next: last! };
    return { threads: rows };
  }

  /**
   * A page by last activity. `next` is the last listed thread as `<updatedAt>~<threadId>`: the next
   * page starts below it, so a thread written meanwhile moves to the first page and none is listed
   * twice or lost in the pages after.
   */
  private async recentThreads(
    query: z.infer<typeof ThreadsQuery>,
  ): Promise<{ threads: ThreadRow[]; next?: string }> {
    const before = query.after === undefined ? undefined : parseRecentCursor(query.after);
    const rows: ThreadRow[] = [];
    let listed = 0;
    let last: ThreadInfo | undefined;
    for await (const info of listRecentThreads(this.journal, {
      ...(query.prefix ? { prefix: query.prefix } : {}),
      ...(query.status ? { statuses: [journalStatus(query.status)] } : {}),
      ...(before ? { before } : {}),
      limit: query.limit + 1,
    })) {
      if (listed === query.limit) return { threads: rows, next: recentCursorText(last!) };
      listed++;
      last = info;
      // A thread whose status the journal does not know is listed under any filter: not shown here,
      // as in id order (the page then holds fewer rows, and `next` goes on after it).
      const row = rowOf(info);
      if (query.status && row.status !== query.status) continue;
      rows.push(row);
    }
    return { threads: rows };
  }

  async summary(
    threadId: string,
  ): Promise<ThreadSummary & { resumeError?: { code: string; message: string } }> {
    await this.mustExist(threadId);
    const summary = await this.summaries.get(threadId);
    const resumeError = this.resumeErrors.get(threadId);
    return { ...summary, ...(resumeError ? { resumeError } : {}) };
  }

  async events(
    threadId: string,
    query: z.infer<typeof EventsQuery>,
  ): Promise<{ head: number; events: StoredEvent[] }> {
    const head = await this.mustExist(threadId);
    let from: number;
    let to: number;
    if (query.from !== undefined || query.to !== undefined) {
      from = query.from ?? 0;
      to = Math.min(query.to ?? head, head, from + query.limit - 1);
    } else {
      const before = Math.min(query.before ?? head + 1, head + 1);
      to = before - 1;
      from = Math.max(0, before - query.limit);
    }
    if (to < from) return { head, events: [] };
    return { head, events: await readAll(this.journal, threadId, { from, to }) };
  }

  async state(threadId: string, seq: number): Promise<unknown> {
    validateThreadId(threadId);
    return stateAt(this.journal, threadId, seq);
  }

  async context(threadId: string, query: z.infer<typeof ContextQuery>): Promise<unknown> {
    const { debug: whole, index } = await this.debuggerOf(threadId);
    const debug = query.frame ? whole.forFrame(query.frame) : whole;
    if (query.iteration === undefined) {
      return { frames: debug.frames(), iterations: debug.iterations(), summary: debug.summary() };
    }
    const explanation = debug.explainIteration(query.iteration);
    return { ...explanation, cost: index.cost(explanation.frameId, explanation.iteration) };
  }

  /**
   * Iteration `iteration` of `frame` against the iteration before it, message by message, with the
   * texts its components (system prompt, documents, memory) had then.
   */
  async changes(threadId: string, query: z.infer<typeof ContextQuery>): Promise<IterationChanges> {
    const { debug: whole, index } = await this.debuggerOf(threadId);
    const debug = query.frame ? whole.forFrame(query.frame) : whole;
    const iterations = debug.iterations();
    const n = query.iteration ?? iterations.at(-1);
    if (n === undefined) {
      throw new StudioError(
        "iteration_not_found",
        `No context was assembled in frame "${debug.frameId}" yet.`,
      );
    }
    const now = debug.explainIteration(n);
    const at = iterations.indexOf(n);
    const before: IterationExplanation | undefined =
      at > 0 ? debug.explainIteration(iterations[at - 1]!) : undefined;
    return iterationChanges(index, now, before);
  }

  /**
   * The flame graph of events `from`..`to` (default: the whole thread, or its last
   * `FLAME_MAX_EVENTS` events when it is longer). A range reads only its own events.
   */
  async flame(threadId: string, query: z.infer<typeof FlameQuery>): Promise<string> {
    const head = await this.mustExist(threadId);
    if (query.from === undefined && query.to === undefined && head < FLAME_MAX_EVENTS) {
      const { debug } = await this.debuggerOf(threadId);
      return flameGraphHtml(debug.events, { title: threadId });
    }
    const to = Math.min(query.to ?? head, head);
    const from = query.from ?? Math.max(0, to - FLAME_MAX_EVENTS + 1);
    if (to < from || to - from + 1 > FLAME_MAX_EVENTS) {
      throw new StudioError(
        "invalid_range",
        `A flame graph draws from ≤ to and at most ${FLAME_MAX_EVENTS} events; got ${from}..${to}.`,
      );
    }
    const events = await readAll(this.journal, threadId, { from, to });
    return flameGraphHtml(events, { title: `${threadId} · events ${from}–${to} of ${head + 1}` });
  }

  /** Calls waiting for a human, each with its tool's JSON Schema when the studio knows the tool. */
  async approvals(
    threadId: string | undefined,
    prefix: string | undefined,
  ): Promise<(PendingCall & { inputSchema?: unknown })[]> {
    let pending: PendingCall[];
    if (threadId === undefined) pending = await listPendingApprovals(this.journal, prefix ? { prefix } : {});
    else {
      await this.mustExist(threadId);
      const root = foldAll(threadId, await readAll(this.journal, threadId));
      pending = pendingApprovals(root).map((call) => ({ threadId, ...call }));
    }
    return pending.map((call) => {
      const tool = this.tool(call.name);
      return tool ? { ...call, inputSchema: tool.spec.inputSchema } : call;
    });
  }

  /**
   * Journals a human's decisions with core's `recordDecisions` (under the thread's lease; a rejected
   * call never runs), then, once nothing in the thread waits, has it go on with the studio's `resume`
   * (the agent's, by default), in the background: its events reach the page live. Without one, the thread continues when
   * whoever runs it resumes it.
   */
  async decide(
    threadId: string,
    decisions: Readonly<Record<string, Decision>>,
  ): Promise<{ recorded: readonly string[]; pending: number; resuming: boolean }> {
    await this.mustExist(threadId);
    if (this.resumes.has(threadId)) {
      throw ThreadBusyError.owned(threadId, "a resume this studio started");
    }
    if (this.tools().length > 0) await this.checkEditedArgs(threadId, decisions);
    const { recorded, pending } = await recordDecisions(this.journal, threadId, decisions);
    // A call still waiting keeps the thread paused: resume once every call is decided.
    const resuming = this.resume !== undefined && pending.length === 0;
    if (resuming) this.resumeInBackground(threadId);
    return { recorded, pending: pending.length, resuming };
  }

  /** Edited arguments must fit the tool's input schema, when the studio knows the tool: nothing is journaled otherwise. */
  private async checkEditedArgs(
    threadId: string,
    decisions: Readonly<Record<string, Decision>>,
  ): Promise<void> {
    const root = foldAll(threadId, await readAll(this.journal, threadId));
    const waiting = pendingApprovals(root);
    for (const [ref, decision] of resolveDecisions(threadId, root, decisions)) {
      if (!("args" in decision)) continue;
      const call = waiting.find((p) => p.ref === ref)!;
      const parsed = this.tool(call.name)?.input.safeParse(decision.args);
      if (parsed && !parsed.success) {
        const issue = parsed.error.issues[0];
        throw new StudioError(
          "invalid_arguments",
          `The edited arguments of call ${ref} do not fit tool "${call.name}": at "${issue?.path.join(".") || "(root)"}", ${issue?.message}. Nothing was recorded.`,
        );
      }
    }
  }

  /** Journals the cancel of a thread nobody runs, or asks the process running it (`cancelRun`). */
  async cancel(threadId: string, reason: string): Promise<{ cancelled: true } | { cancelRequested: true }> {
    await this.mustExist(threadId);
    return (await cancelRun(this.journal, threadId, reason)) === "cancelled"
      ? { cancelled: true }
      : { cancelRequested: true };
  }

  /**
   * Deletes the thread (core's `deleteThread`) if it is still at `expectedSeq`: refused while a run
   * holds it, in this process or another (`thread_busy`), and when it moved on (`journal_conflict`).
   */
  async delete(threadId: string, expectedSeq: number): Promise<{ deleted: true }> {
    await this.mustExist(threadId);
    await deleteThread(this.journal, threadId, { expectedSeq });
    return { deleted: true };
  }

  async fork(threadId: string, at: number, to: string): Promise<{ threadId: string }> {
    validateThreadId(to);
    await this.mustExist(threadId);
    await this.journal.fork(threadId, at, to);
    return { threadId: to };
  }

  /**
   * Waits for the resumes this studio started: each runs to its end or its next pause. They are not
   * aborted, which would journal `run.cancelled` and end the person's thread; a process killed
   * meanwhile leaves the thread unfinished, and its next resume carries it on.
   */
  async close(): Promise<void> {
    await Promise.allSettled([...this.resumes.values()]);
  }

  private resumeInBackground(threadId: string): void {
    this.resumeErrors.delete(threadId);
    const run = Promise.resolve()
      .then(() => this.resume!(threadId))
      .then(
        () => undefined,
        (error: unknown) => {
          const code = (error as { code?: unknown }).code;
          this.resumeErrors.set(threadId, {
            code: typeof code === "string" ? code : "resume_failed",
            message: error instanceof Error ? error.message : String(error),
          });
        },
      )
      .finally(() => this.resumes.delete(threadId));
    this.resumes.set(threadId, run);
  }

  private async debuggerOf(threadId: string): Promise<{ debug: ContextDebugger; index: ThreadIndex }> {
    const head = await this.mustExist(threadId);
    const cached = this.debuggers.get(threadId);
    if (cached?.head === head) return cached;
    const events = await readAll(this.journal, threadId, { from: 0, to: head });
    const entry = {
      head,
      debug: ContextDebugger.fromEvents(events),
      index: new ThreadIndex(threadId, events, this.prices),
    };
    this.debuggers.clear(); // one thread's explanation at a time: a long thread's events are large
    this.debuggers.set(threadId, entry);
    return entry;
  }

  private async mustExist(threadId: string): Promise<number> {
    validateThreadId(threadId);
    const head = await this.journal.head(threadId);
    if (head < 0) throw new StudioError("not_found", `No thread "${threadId}" in this journal.`);
    return head;
  }
}
