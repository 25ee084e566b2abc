import type { PendingApproval, RunResult } from "@loom/core";
import { z } from "zod";
import type { PostgresJournal } from "./postgres-journal.js";

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
   * How often each process refreshes its cached count of the queue's ready jobs, which
   * `work({ burstWhenReadyExceeds })` reads. Default 60 (pg-boss's); min 1.
   */
  readonly queueCacheIntervalSeconds?: number;
  /**
   * How often each worker looks for jobs whose worker died: a job pg-boss still counts as running
   * (`active`) while its thread's lease is free. Postgres frees a lease as soon as its owner's
   * connection closes (at once when the process is killed), so such a job is failed back to pg-boss
   * for a retry without waiting for its heartbeat to go stale. A job is taken over once two checks
   * in a row saw it so (between one and two intervals after its owner died); a live owner holds its
   * lease and is never taken over. 0 turns it off (a dead worker's jobs then wait for pg-boss's
   * heartbeat expiry). Default 1000; min 100.
   */
  readonly failoverCheckMs?: number;
  /**
   * Errors from pg-boss's background work (lost connections it retries itself) and from `onOutcome`
   * callbacks. Default: ignored.
   */
  readonly onError?: (error: Error) => void;
}

export const QueueOptionsSchema = z.object({
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
  queueCacheIntervalSeconds: z.number().int().min(1).default(60),
  failoverCheckMs: z.union([z.literal(0), z.number().int().min(100)]).default(1000),
});

export const JobDataSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("run"), threadId: z.string(), input: z.string() }),
  z.object({
    kind: z.literal("resume"),
    threadId: z.string(),
    decisions: z.record(z.string(), z.unknown()).optional(),
    /** The thread's head when the job was sent: a cancel journaled after it wins over the job. */
    afterSeq: z.number().int().optional(),
  }),
]);
export type JobData = z.infer<typeof JobDataSchema>;

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
  /**
   * While more than this many jobs are ready (the count cached every `queueCacheIntervalSeconds`),
   * a worker that finished a job takes the next at once. Without it, each of the `concurrency`
   * slots waits `pollingIntervalSeconds` between jobs, which bounds a backlog of short runs to about
   * `concurrency / pollingIntervalSeconds` threads per second per process. Default: off.
   */
  readonly burstWhenReadyExceeds?: number;
  /** Called when this worker failed a dead worker's job back to pg-boss (see `failoverCheckMs`). */
  readonly onTakeover?: (takeover: ThreadTakeover) => void;
}

/**
 * A job whose worker died, failed back to pg-boss by another worker so that it is retried at once.
 * Also the failed attempt's output in pg-boss (until its retry settles and replaces it).
 */
export interface ThreadTakeover {
  readonly status: "taken_over";
  readonly threadId: string;
  readonly jobId: string;
  /** pg-boss's `retryCount` of the attempt that was failed (its first attempt is 0). */
  readonly attempt: number;
  /** When that attempt was claimed (ISO 8601, database clock). */
  readonly claimedAt: string;
  /** Which process saw the thread's lease free and failed the attempt: `host pid`. */
  readonly by: string;
  readonly message: string;
}

export function toOutcome(result: RunResult, jobId: string): ThreadJobOutcome {
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

export function failed(threadId: string, jobId: string, code: string, message: string): ThreadJobOutcome {
  return { status: "failed", threadId, jobId, code, message };
}
