import { hostname } from "node:os";
import {
  type Agent,
  ConfigError,
  type Decision,
  type ExecutionFrame,
  JournalConflictError,
  JournalCorruptionError,
  JournalError,
  loadThread,
  pendingApprovals,
  ResumeError,
  RunFailedError,
  type RunResult,
  resolveDecisions,
  ThreadBusyError,
  validateThreadId,
} from "@loom/core";
import { type Job, PgBoss } from "pg-boss";
import type { z } from "zod";
import type { PostgresJournal } from "./postgres-journal.js";
import { quoteIdent, validateSchemaName } from "./sql.js";
import {
  failed,
  type JobData,
  JobDataSchema,
  QueueOptionsSchema,
  type ThreadJobOutcome,
  type ThreadQueueOptions,
  type ThreadTakeover,
  toOutcome,
  type WorkOptions,
} from "./thread-job.js";
import { freeThreadLocks, threadLockName } from "./thread-lock.js";

/** An active job of the queue, as the failover check reads it from pg-boss's table. */
interface ActiveJobRow {
  readonly id: string;
  readonly retry_count: number;
  readonly singleton_key: string;
  readonly started_on: Date | string;
}

/**
 * Runs threads on many worker processes over pg-boss. `enqueue` asks for a run; any worker that
 * calls `work(agent)` takes the job and runs or resumes the thread. A thread runs on at most one
 * worker at a time: the queue's singleton policy keys active jobs by thread id, the journal's lease
 * (which the agent takes before it does anything: a session advisory lock) backs it up, and the
 * journal's `expectedSeq` fences any writer that still slips through.
 *
 * A worker that dies leaves its jobs `active` in pg-boss until their heartbeat goes stale (10 s at
 * least). Its leases go sooner: Postgres drops a session's advisory locks when its connection closes.
 * So every worker checks, every `failoverCheckMs`, for active jobs whose thread's lease is free, and
 * fails such an attempt back to pg-boss (fenced to that attempt) so that it is retried at once.
 */
export class ThreadQueue {
  readonly queue: string;
  private readonly journal: PostgresJournal;
  private readonly config: z.output<typeof QueueOptionsSchema>;
  private readonly boss: PgBoss;
  private started: Promise<void> | undefined;
  private readonly onError: ((error: Error) => void) | undefined;
  /** Attempts (`id:retryCount`) this process runs, and for a moment after: never taken over from here. */
  private readonly running = new Set<string>();
  /** Attempts the last check saw active with a free lease: taken over if the next check sees them so. */
  private suspects = new Map<string, ActiveJobRow>();
  private failoverTimer: ReturnType<typeof setInterval> | undefined;
  private checking: Promise<void> | undefined;
  private readonly takeoverListeners = new Set<(takeover: ThreadTakeover) => void>();

  constructor(options: ThreadQueueOptions) {
    if (!options || typeof options !== "object" || !options.journal) {
      throw new ConfigError("ThreadQueue(options): options.journal (a PostgresJournal) is required.");
    }
    const { journal, onError, ...rest } = options;
    const parsed = QueueOptionsSchema.safeParse(rest);
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
      queueCacheIntervalSeconds: this.config.queueCacheIntervalSeconds,
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
    const root = await loadThread(this.journal, threadId);
    if (Object.keys(decisions ?? {}).length === 0) {
      throw new ResumeError(
        "invalid_decision",
        `submitDecisions("${threadId}"): give at least one decision.`,
      );
    }
    // Checked as the worker will check them; sent keyed by each call's ref, which never becomes ambiguous.
    const byRef = Object.fromEntries(resolveDecisions(threadId, root, decisions));
    return this.send({ kind: "resume", threadId, decisions: byRef, afterSeq: root.lastSeq });
  }

  /**
   * Re-enqueues a thread to continue from its journal (after its job gave up, for instance). A cancel
   * journaled before a worker takes the job up wins: the job fails with `thread_finished`.
   */
  async resume(threadId: string): Promise<string> {
    validateThreadId(threadId);
    return this.send({ kind: "resume", threadId, afterSeq: await this.journal.head(threadId) });
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
    const burst = options.burstWhenReadyExceeds;
    if (burst !== undefined && (!Number.isInteger(burst) || burst < 1)) {
      throw new ConfigError(`ThreadQueue.work: burstWhenReadyExceeds must be an integer >= 1, got ${burst}.`);
    }
    await this.start();
    await this.boss.work<unknown, ThreadJobOutcome>(
      this.queue,
      {
        localConcurrency: concurrency,
        batchSize: 1,
        pollingIntervalSeconds: this.config.pollingIntervalSeconds,
        ...(burst === undefined ? {} : { burstWhenReadyExceeds: burst }),
      },
      async ([job]) => {
        const attempt = `${job!.id}:${job!.retryCount}`;
        this.running.add(attempt);
        let outcome: ThreadJobOutcome;
        try {
          outcome = await this.handle(agent, job!);
        } finally {
          // Kept until pg-boss has settled the attempt: between the run's end (its lease released) and
          // that settle, the attempt is active with a free lease, and this process knows it is alive.
          this.forgetLater(attempt);
        }
        try {
          options.onOutcome?.(outcome);
        } catch (error) {
          // The thread's work is done and journaled; a failing callback must not make pg-boss retry it.
          this.onError?.(error instanceof Error ? error : new Error(String(error)));
        }
        return outcome;
      },
    );
    if (options.onTakeover) this.takeoverListeners.add(options.onTakeover);
    this.superviseOwners();
  }

  /** Stops taking jobs and waits (up to `timeoutMs`) for the running ones to finish. */
  async stop(options: { timeoutMs?: number } = {}): Promise<void> {
    if (!this.started) return;
    clearInterval(this.failoverTimer);
    this.failoverTimer = undefined;
    await this.checking;
    this.suspects.clear();
    await this.boss.stop({ graceful: true, timeout: options.timeoutMs ?? 30_000 });
    this.started = undefined;
  }

  private superviseOwners(): void {
    const every = this.config.failoverCheckMs;
    if (every === 0 || this.failoverTimer) return;
    this.failoverTimer = setInterval(() => {
      this.checking ??= this.takeOverDeadOwners()
        .catch((error: unknown) => this.onError?.(error instanceof Error ? error : new Error(String(error))))
        .finally(() => {
          this.checking = undefined;
        });
    }, every);
    this.failoverTimer.unref();
  }

  private forgetLater(attempt: string): void {
    const every = this.config.failoverCheckMs;
    if (every === 0) {
      this.running.delete(attempt);
      return;
    }
    setTimeout(() => this.running.delete(attempt), 2 * every).unref();
  }

  /**
   * Fails back to pg-boss the attempts whose worker died: active for longer than a check interval,
   * not run here, and with the thread's lease free at two checks in a row. The lease is only read
   * (pg_locks), never taken, so a live owner about to take it is not disturbed. The fail is fenced to
   * the attempt seen (pg-boss's `{ id, retryCount }`): an attempt that settled meanwhile, or that
   * pg-boss already failed and another worker claimed again, is left alone. The fail is pg-boss's
   * own, as for a lost heartbeat: the attempt is deleted and re-inserted as `retry` (or `failed` once
   * `retryLimit` is spent), so nothing of pg-boss's later runs it again; its retry is claimed by the
   * first idle worker after `retryDelaySeconds`, and the agent there takes the lease before anything.
   * A live owner that only looked dead (stalled for two intervals between its claim and its `acquire`)
   * then either takes the lease first, and the retry waits for it as for any busy thread, or is
   * refused it; its own settle of the failed attempt is fenced out by pg-boss.
   */
  private async takeOverDeadOwners(): Promise<void> {
    const boss = quoteIdent(this.config.bossSchema);
    const { rows } = (await this.boss.getDb().executeSql(
      `SELECT id::text AS id, retry_count, singleton_key, started_on
       FROM ${boss}.job
       WHERE name = $1 AND state = 'active' AND singleton_key IS NOT NULL
         AND started_on < ${boss}.job_now() - $2::int * interval '1 millisecond'`,
      [this.queue, this.config.failoverCheckMs],
    )) as { rows: ActiveJobRow[] };
    const candidates = rows.filter((row) => !this.running.has(`${row.id}:${row.retry_count}`));
    const lockName = (row: ActiveJobRow) => threadLockName(this.journal.schema, row.singleton_key);
    const free = await freeThreadLocks(
      this.journal.pool,
      candidates.map((row) => lockName(row)),
    );
    const previous = this.suspects;
    const next = new Map<string, ActiveJobRow>();
    const dead: ActiveJobRow[] = [];
    for (const row of candidates) {
      if (!free.has(lockName(row))) continue;
      const attempt = `${row.id}:${row.retry_count}`;
      if (previous.has(attempt)) dead.push(row);
      else next.set(attempt, row);
    }
    this.suspects = next;
    for (const row of dead) {
      await this.takeOver(row).catch((error: unknown) =>
        this.onError?.(error instanceof Error ? error : new Error(String(error))),
      );
    }
  }

  private async takeOver(row: ActiveJobRow): Promise<void> {
    const takeover: ThreadTakeover = {
      status: "taken_over",
      threadId: row.singleton_key,
      jobId: row.id,
      attempt: row.retry_count,
      claimedAt: new Date(row.started_on).toISOString(),
      by: `${hostname()} ${process.pid}`,
      message:
        "The worker running this attempt is gone (the thread's lease was free at two checks in a row); failed for a retry.",
    };
    const response: unknown = await this.boss.fail(
      this.queue,
      { id: row.id, retryCount: row.retry_count },
      takeover,
    );
    // Several workers may try the same attempt; the fence lets one fail land.
    if ((response as { affected?: number } | undefined)?.affected !== 1) return;
    for (const listener of this.takeoverListeners) {
      try {
        listener(takeover);
      } catch (error) {
        this.onError?.(error instanceof Error ? error : new Error(String(error)));
      }
    }
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
      // The agent takes the thread's lease (the journal's advisory lock) before it reads or runs anything.
      const result =
        data.kind === "run"
          ? await this.runJob(agent, job.id, data.threadId, data.input)
          : await this.resumeJob(agent, data);
      return toOutcome(result, job.id);
    } catch (error) {
      // Worth another attempt: another owner holds the thread, another writer got in first, the
      // run lost its lease (ThreadLeaseLostError, thrown on), or a connection or a provider failed.
      // The journal keeps every step, so the retry continues from where this stopped. Checked before ResumeError, which ThreadBusyError extends. A thread whose
      // unfinished run must be resumed, not run again, is final.
      if (
        (ThreadBusyError.isInstance(error) && error.reason === "owned") ||
        JournalConflictError.isInstance(error)
      ) {
        throw error;
      }
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

  /**
   * A cancel journaled after the job was sent (an operator's `cancelRun`, `loom cancel`) and still the
   * thread's last word wins over the resume the job asks for: `ResumeError` `thread_finished`.
   */
  private async refuseIfCancelledSince(root: ExecutionFrame, afterSeq: number): Promise<void> {
    if (root.status !== "cancelled") return;
    const threadId = root.threadId;
    for await (const event of this.journal.read(threadId, { from: afterSeq + 1 })) {
      if (event.type === "run.cancelled" && event.frameId === "root") {
        throw new ResumeError(
          "thread_finished",
          `Thread "${threadId}" was cancelled at seq ${event.seq} (${event.data.reason}) after this resume was enqueued; it was not resumed. Enqueue it again (queue.resume) to carry it on.`,
        );
      }
    }
  }

  /** Decisions already journaled by an earlier attempt of this job are dropped, not sent twice. */
  private async resumeJob(agent: Agent, data: Extract<JobData, { kind: "resume" }>): Promise<RunResult> {
    const root = await loadThread(this.journal, data.threadId);
    if (data.afterSeq !== undefined) await this.refuseIfCancelledSince(root, data.afterSeq);
    if (!data.decisions) return agent.resume(data.threadId);
    // A decision names its call by ref, or by call id when that is unambiguous.
    const pending = new Set(pendingApprovals(root).flatMap((p) => [p.ref, p.callId]));
    const decisions = Object.fromEntries(
      Object.entries(data.decisions).filter(([key]) => pending.has(key)),
    ) as Record<string, Decision>;
    return agent.resume(data.threadId, { decisions });
  }
}
