import {
  type Agent,
  ConfigError,
  type Decision,
  foldAll,
  JournalConflictError,
  JournalCorruptionError,
  JournalError,
  type PendingApproval,
  pendingApprovals,
  ResumeError,
  RunFailedError,
  type RunResult,
  readAll,
  validateThreadId,
} from "@loom/core";
import { type Job, PgBoss } from "pg-boss";
import { z } from "zod";
import type { PostgresJournal } from "./postgres-journal.js";
import { quoteIdent, validateSchemaName } from "./sql.js";
import { ThreadBusyError, withThreadLock } from "./thread-lock.js";

export interface ThreadQueueOptions {
  /** The journal the threads live in. Workers' agents must be created with this journal. */
  readonly journal: PostgresJournal;
  /** pg-boss connects with this. Default: pg-boss queries through the journal's pool. */
  readonly connectionString?: string;
  /** pg-boss queue name. Default "loom-threads". */
  readonly queue?: string;
  /** Schema of pg-boss's tables. Default "pgboss". */
  readonly bossSchema?: string;
  /**
   * A worker refreshes its job's heartbeat every `heartbeatSeconds / 2`; a job whose heartbeat stops
   * (the worker was killed) is retried by another worker about this many seconds later. Min and default 10.
   */
  readonly heartbeatSeconds?: number;
  /** Longest a single job (one run up to its end or its next pause) may take. Default 3600. */
  readonly expireInSeconds?: number;
  /** Attempts after the first before a job is given up (its thread stays resumable). Default 10. */
  readonly retryLimit?: number;
  /** Seconds before a failed attempt is retried. Default 1. */
  readonly retryDelaySeconds?: number;
  /** How often idle workers look for jobs. Default 0.5. */
  readonly pollingIntervalSeconds?: number;
  /** How often pg-boss looks for jobs whose heartbeat stopped or that expired. Default 5. */
  readonly superviseIntervalSeconds?: number;
  /**
   * Errors from pg-boss's background work (lost connections it retries itself) and from `onOutcome`
   * callbacks. Default: ignored.
   */
  readonly onError?: (error: Error) => void;
}

const OptionsSchema = z.object({
  connectionString: z.string().min(1).optional(),
  queue: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,50}$/, "use 1 to 50 letters, digits, '_', '-' or '.'")
    .default("loom-threads"),
  bossSchema: z.string().default("pgboss"),
  heartbeatSeconds: z.number().int().min(10).default(10),
  expireInSeconds: z.number().int().min(1).default(3600),
  retryLimit: z.number().int().min(0).default(10),
  retryDelaySeconds: z.number().int().min(0).default(1),
  pollingIntervalSeconds: z.number().min(0.5).default(0.5),
  superviseIntervalSeconds: z.number().int().min(1).default(5),
});

const JobDataSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("run"), threadId: z.string(), input: z.string() }),
  z.object({
    kind: z.literal("resume"),
    threadId: z.string(),
    decisions: z.record(z.string(), z.unknown()).optional(),
  }),
]);
type JobData = z.infer<typeof JobDataSchema>;

/** What a job did to its thread; also stored as the pg-boss job's output. */
export type ThreadJobOutcome =
  | { readonly status: "completed"; readonly threadId: string; readonly jobId: string; readonly text: string }
  | {
      readonly status: "interrupted";
      readonly threadId: string;
      readonly jobId: string;
      readonly reason: string;
      /** The calls waiting for a human; answer with `submitDecisions`. */
      readonly pending: readonly PendingApproval[];
    }
  | {
      readonly status: "failed";
      readonly threadId: string;
      readonly jobId: string;
      readonly code: string;
      readonly message: string;
    };

export interface WorkOptions {
  /** Jobs this process runs at once. Default 1. Size the journal's pool to at least 2 x this + 2. */
  readonly concurrency?: number;
  /** Called after each job settles in this process (not for attempts that will be retried). */
  readonly onOutcome?: (outcome: ThreadJobOutcome) => void;
}

/**
 * Runs threads on many worker processes over pg-boss. `enqueue` asks for a run; any worker that
 * calls `work(agent)` takes the job and runs or resumes the thread. A thread runs on at most one
 * worker at a time: the queue's singleton policy keys active jobs by thread id, a session advisory
 * lock backs it up, and the journal's `expectedSeq` fences any writer that still slips through.
 */
export class ThreadQueue {
  readonly queue: string;
  private readonly journal: PostgresJournal;
  private readonly config: z.output<typeof OptionsSchema>;
  private readonly boss: PgBoss;
  private started: Promise<void> | undefined;
  private readonly onError: ((error: Error) => void) | undefined;

  constructor(options: ThreadQueueOptions) {
    if (!options || typeof options !== "object" || !options.journal) {
      throw new ConfigError("ThreadQueue(options): options.journal (a PostgresJournal) is required.");
    }
    const { journal, onError, ...rest } = options;
    const parsed = OptionsSchema.safeParse(rest);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ConfigError(`ThreadQueue: option "${issue.path.join(".")}" is invalid: ${issue.message}.`);
    }
    this.config = parsed.data;
    validateSchemaName(this.config.bossSchema);
    this.journal = journal;
    this.queue = this.config.queue;
    const pool = journal.pool;
    this.boss = new PgBoss({
      schema: this.config.bossSchema,
      ...(this.config.connectionString
        ? { connectionString: this.config.connectionString, max: 4 }
        : { db: { executeSql: (text: string, values?: unknown[]) => pool.query(text, values) } }),
      // Heartbeats and expiry are checked in the queue monitor's pass, which is gated by both intervals.
      superviseIntervalSeconds: this.config.superviseIntervalSeconds,
      monitorIntervalSeconds: this.config.superviseIntervalSeconds,
      schedule: false,
    });
    this.onError = onError;
    this.boss.on("error", (error: Error) => onError?.(error));
  }

  /** Installs pg-boss's tables (idempotent) and the queue. Called by the other methods when needed. */
  start(): Promise<void> {
    this.started ??= (async () => {
      await this.boss.start();
      const existing = await this.boss.getQueue(this.queue);
      if (!existing) {
        await this.boss
          .createQueue(this.queue, {
            policy: "singleton",
            heartbeatSeconds: this.config.heartbeatSeconds,
            expireInSeconds: this.config.expireInSeconds,
            retryLimit: this.config.retryLimit,
            retryDelay: this.config.retryDelaySeconds,
          })
          .catch(async (error: unknown) => {
            // Another process created it first.
            if (!(await this.boss.getQueue(this.queue))) throw error;
          });
      }
    })().catch((error: unknown) => {
      this.started = undefined;
      throw error;
    });
    return this.started;
  }

  /** Asks a worker to run `input` on the thread. Returns the job id. */
  async enqueue(threadId: string, input: string): Promise<string> {
    validateThreadId(threadId);
    if (typeof input !== "string") {
      throw new ConfigError(
        `ThreadQueue.enqueue(threadId, input): input must be a string, got ${typeof input}.`,
      );
    }
    return this.send({ kind: "run", threadId, input });
  }

  /**
   * Answers a parked thread's pending approvals and re-enqueues it. Decisions are checked against the
   * journal now, so a wrong call id fails here rather than in a worker.
   */
  async submitDecisions(threadId: string, decisions: Readonly<Record<string, Decision>>): Promise<string> {
    validateThreadId(threadId);
    const root = foldAll(threadId, await readAll(this.journal, threadId));
    const pending = new Set(pendingApprovals(root).map((p) => p.callId));
    const unknown = Object.keys(decisions ?? {}).filter((callId) => !pending.has(callId));
    if (unknown.length > 0 || Object.keys(decisions ?? {}).length === 0) {
      throw new ResumeError(
        "invalid_decision",
        `Thread "${threadId}" has no call ${unknown.map((c) => `"${c}"`).join(", ") || "(none given)"} waiting for approval; waiting: ${[...pending].join(", ") || "nothing"}.`,
      );
    }
    return this.send({ kind: "resume", threadId, decisions: { ...decisions } });
  }

  /** Re-enqueues a thread to continue from its journal (after its job gave up, for instance). */
  async resume(threadId: string): Promise<string> {
    validateThreadId(threadId);
    return this.send({ kind: "resume", threadId });
  }

  /** Makes this process a worker: it takes jobs and runs their threads with `agent` until `stop()`. */
  async work(agent: Agent, options: WorkOptions = {}): Promise<void> {
    if (!agent || agent.journal !== this.journal) {
      throw new ConfigError(
        "ThreadQueue.work(agent): the agent must be created with this queue's journal (createAgent({ ..., journal })).",
      );
    }
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new ConfigError(`ThreadQueue.work: concurrency must be a positive integer, got ${concurrency}.`);
    }
    await this.start();
    await this.boss.work<unknown, ThreadJobOutcome>(
      this.queue,
      {
        localConcurrency: concurrency,
        batchSize: 1,
        pollingIntervalSeconds: this.config.pollingIntervalSeconds,
      },
      async ([job]) => {
        const outcome = await this.handle(agent, job!);
        try {
          options.onOutcome?.(outcome);
        } catch (error) {
          // The thread's work is done and journaled; a failing callback must not make pg-boss retry it.
          this.onError?.(error instanceof Error ? error : new Error(String(error)));
        }
        return outcome;
      },
    );
  }

  /** Stops taking jobs and waits (up to `timeoutMs`) for the running ones to finish. */
  async stop(options: { timeoutMs?: number } = {}): Promise<void> {
    if (!this.started) return;
    await this.boss.stop({ graceful: true, timeout: options.timeoutMs ?? 30_000 });
    this.started = undefined;
  }

  private async send(data: JobData): Promise<string> {
    await this.start();
    const id = await this.boss.send(this.queue, data, { singletonKey: data.threadId });
    if (!id) throw new ConfigError(`ThreadQueue: pg-boss refused the job for thread "${data.threadId}".`);
    return id;
  }

  private async handle(agent: Agent, job: Job<unknown>): Promise<ThreadJobOutcome> {
    const parsed = JobDataSchema.safeParse(job.data);
    const threadId = parsed.success
      ? parsed.data.threadId
      : String((job.data as { threadId?: unknown })?.threadId);
    if (!parsed.success) {
      return failed(
        threadId,
        job.id,
        "invalid_job",
        `Job data is not a Loom thread job: ${parsed.error.message}`,
      );
    }
    const data = parsed.data;
    try {
      validateThreadId(threadId);
      const lockName = `loom-thread:${this.journal.schema}:${threadId}`;
      const result = await withThreadLock(this.journal.pool, lockName, threadId, () =>
        data.kind === "run"
          ? this.runJob(agent, job.id, data.threadId, data.input)
          : this.resumeJob(agent, data),
      );
      return toOutcome(result, job.id);
    } catch (error) {
      // Worth another attempt: the thread was busy, another writer got in first, or a connection or a
      // provider failed. The journal keeps every step, so the retry continues from where this stopped.
      if (ThreadBusyError.isInstance(error) || JournalConflictError.isInstance(error)) throw error;
      if (
        RunFailedError.isInstance(error) ||
        ResumeError.isInstance(error) ||
        ConfigError.isInstance(error) ||
        JournalCorruptionError.isInstance(error) ||
        (JournalError.isInstance(error) && error.code === "invalid_thread_id")
      ) {
        // Another attempt would fail the same way: settle the job and say why.
        return failed(threadId, job.id, error.code, error.message);
      }
      throw error;
    }
  }

  /** A retried job resumes the run its first attempt began, rather than starting the input again. */
  private async runJob(agent: Agent, jobId: string, threadId: string, input: string): Promise<RunResult> {
    const head = await this.journal.head(threadId);
    const s = quoteIdent(this.journal.schema);
    await this.journal.pool.query(
      `INSERT INTO ${s}.queued_runs (job_id, thread_id, start_seq) VALUES ($1, $2, $3) ON CONFLICT (job_id) DO NOTHING`,
      [jobId, threadId, head],
    );
    const { rows } = await this.journal.pool.query<{ start_seq: number }>(
      `SELECT start_seq FROM ${s}.queued_runs WHERE job_id = $1`,
      [jobId],
    );
    const startSeq = rows[0]!.start_seq;
    return head === startSeq ? agent.run(input, { threadId }) : agent.resume(threadId);
  }

  /** Decisions already journaled by an earlier attempt of this job are dropped, not sent twice. */
  private async resumeJob(agent: Agent, data: Extract<JobData, { kind: "resume" }>): Promise<RunResult> {
    if (!data.decisions) return agent.resume(data.threadId);
    const root = foldAll(data.threadId, await readAll(this.journal, data.threadId));
    const pending = new Set(pendingApprovals(root).map((p) => p.callId));
    const decisions = Object.fromEntries(
      Object.entries(data.decisions).filter(([callId]) => pending.has(callId)),
    ) as Record<string, Decision>;
    return agent.resume(data.threadId, { decisions });
  }
}

function toOutcome(result: RunResult, jobId: string): ThreadJobOutcome {
  if (result.status === "completed") {
    return { status: "completed", threadId: result.threadId, jobId, text: result.text };
  }
  return {
    status: "interrupted",
    threadId: result.threadId,
    jobId,
    reason: result.reason,
    pending: result.pending,
  };
}

function failed(threadId: string, jobId: string, code: string, message: string): ThreadJobOutcome {
  return { status: "failed", threadId, jobId, code, message };
}
