const LOOM_ERROR = Symbol.for("loom.error");

type ErrorClass<T> = abstract new (...args: never[]) => T;

/**
 * Base of every error Loom raises. `code` is stable and meant for programs; `message` says what
 * was wrong and what to do. `isInstance` works across duplicate copies of `@loom/core`, where
 * `instanceof` does not.
 */
export class LoomError extends Error {
  readonly code: string;
  /** Names of this error's class and its Loom ancestors, for `isInstance` across package copies. */
  readonly [LOOM_ERROR]: readonly string[];

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    const kinds: string[] = [];
    for (let p: unknown = new.target; typeof p === "function" && p !== Error; p = Object.getPrototypeOf(p)) {
      kinds.push(p.name);
    }
    this[LOOM_ERROR] = kinds;
  }

  static isInstance<T>(this: ErrorClass<T>, value: unknown): value is T {
    if (typeof value !== "object" || value === null) return false;
    const kinds = (value as { [LOOM_ERROR]?: unknown })[LOOM_ERROR];
    return Array.isArray(kinds) && kinds.includes(this.name);
  }
}

/**
 * Thrown by a tool when it cannot tell whether its work took effect (a request that timed out after
 * it was sent, a connection that closed before the answer). Core reads `outcomeUnknown` (any error
 * with `outcomeUnknown: true` counts, such as `McpError`): a tool whose policy is
 * `onUnknownOutcome: "ask"` pauses the run for a human, as after a crash during the call; for any
 * other tool it is an error the model sees.
 */
export class ToolOutcomeUnknownError extends LoomError {
  readonly outcomeUnknown = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super("outcome_unknown", message, options);
  }
}

/** A stored or incoming event does not match its schema (or has a `v` this version cannot read). */
export class EventSchemaError extends LoomError {
  readonly threadId: string | undefined;
  readonly seq: number | undefined;
  readonly field: string | undefined;

  constructor(
    message: string,
    where: { threadId?: string | undefined; seq?: number | undefined; field?: string | undefined },
    options?: { cause?: unknown },
  ) {
    super("event_schema", message, options);
    this.threadId = where.threadId;
    this.seq = where.seq;
    this.field = where.field;
  }
}

/** A configuration value passed to a Loom API is wrong. */
export class ConfigError extends LoomError {
  constructor(message: string) {
    super("invalid_config", message);
  }
}

export type JournalErrorCode =
  | "invalid_thread_id"
  | "invalid_range"
  | "journal_closed"
  | "thread_exists"
  | "thread_not_found"
  | "invalid_events"
  | "not_supported"
  | "io";

/** A journal refused or failed an operation. */
export class JournalError extends LoomError {
  declare readonly code: JournalErrorCode | "journal_conflict" | "journal_corrupt";
}

/** The writer's `expectedSeq` did not match the thread's head: someone else appended first. */
export class JournalConflictError extends JournalError {
  readonly threadId: string;
  readonly expectedSeq: number;
  readonly actualSeq: number;

  /** `message` replaces the default text, for journals that know more about the other writer. */
  constructor(
    threadId: string,
    expectedSeq: number,
    actualSeq: number,
    options?: { message?: string; cause?: unknown },
  ) {
    super(
      "journal_conflict",
      options?.message ??
        `Thread "${threadId}" is at seq ${actualSeq}, but the writer expected ${expectedSeq}: another writer appended first. Re-read the thread and retry, or stop this writer.`,
      options?.cause !== undefined ? { cause: options.cause } : undefined,
    );
    this.threadId = threadId;
    this.expectedSeq = expectedSeq;
    this.actualSeq = actualSeq;
  }
}

/** Stored data could not be read back as events. Nothing is discarded when this is raised. */
export class JournalCorruptionError extends JournalError {
  readonly location: string;

  constructor(location: string, message: string, options?: { cause?: unknown }) {
    super("journal_corrupt", `${location}: ${message}`, options);
    this.location = location;
  }
}

export type ProviderErrorCode =
  | "rate_limited"
  | "quota_exceeded"
  | "overloaded"
  | "bad_request"
  | "not_found"
  | "auth"
  | "context_length"
  | "network"
  | "server_error"
  | "aborted"
  | "invalid_response"
  | "unknown";

/** A model provider failed. `retryable` and `retryAfterMs` drive the executor's one retry policy. */
export class ProviderError extends LoomError {
  declare readonly code: ProviderErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly provider: string | undefined;

  constructor(
    code: ProviderErrorCode,
    message: string,
    details: {
      retryable?: boolean;
      retryAfterMs?: number | undefined;
      status?: number | undefined;
      requestId?: string | undefined;
      provider?: string | undefined;
      cause?: unknown;
    } = {},
  ) {
    super(code, message, { cause: details.cause });
    this.retryable =
      details.retryable ??
      (code === "rate_limited" || code === "overloaded" || code === "network" || code === "server_error");
    this.retryAfterMs = details.retryAfterMs;
    this.status = details.status;
    this.requestId = details.requestId;
    this.provider = details.provider;
  }
}

/**
 * A hook threw or returned what its point does not take. The run fails with the hook's name in the
 * message, except at `beforeToolExecution`, where the call waits for a human instead.
 */
export class HookError extends LoomError {
  readonly hookName: string;
  readonly hookPoint: string;

  constructor(hookName: string, hookPoint: string, cause: unknown, options?: { note?: string }) {
    super(
      "hook_failed",
      `Hook "${hookName}" threw in ${hookPoint}: ${cause instanceof Error ? cause.message : String(cause)}${options?.note ? ` ${options.note}` : ""}`,
      { cause },
    );
    this.hookName = hookName;
    this.hookPoint = hookPoint;
  }
}

export type RunFailureCode =
  | "max_iterations"
  | "loop_detected"
  | "denied_by_hook"
  | "hook_failed"
  | "provider_failed"
  /** The final answer failed the agent's `output` schema more often than `outputRetries` allows. */
  | "invalid_output"
  | "internal";

/** A run ended in `run.failed`; the reason is journaled and repeated here. */
export class RunFailedError extends LoomError {
  declare readonly code: RunFailureCode;
  readonly threadId: string;

  constructor(code: RunFailureCode, threadId: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.threadId = threadId;
  }
}

/** A run was cancelled through its `AbortSignal`; `run.cancelled` is journaled. */
export class RunCancelledError extends LoomError {
  readonly threadId: string;

  constructor(threadId: string, reason: string) {
    super("run_cancelled", `Run on thread "${threadId}" was cancelled: ${reason}`);
    this.threadId = threadId;
  }
}

/**
 * The run stopped because this process lost its lease on the thread (the journal said so through
 * `ThreadLease.lost`: a Postgres lease's connection broke). From then on the run started nothing:
 * no model call, no tool, no retry; a tool in flight was told to stop through its signal. Nothing
 * was journaled for the stop (another owner may hold the thread now): the thread reads as if this
 * process had died there, and `resume` finishes it once the thread is free.
 */
export class ThreadLeaseLostError extends LoomError {
  declare readonly code: "thread_lease_lost";
  readonly threadId: string;

  constructor(threadId: string, reason: string, options?: { cause?: unknown }) {
    super(
      "thread_lease_lost",
      `Run on thread "${threadId}" stopped: this process lost its lease on the thread (${reason}). Nothing more was started, and nothing was journaled for the stop; another owner may hold the thread now. Call resume("${threadId}") once it is free: completed calls are not run again.`,
      options,
    );
    this.threadId = threadId;
  }
}

/** `resume` cannot continue a thread as asked (missing thread, missing or unknown decisions). */
export class ResumeError extends LoomError {
  declare readonly code: "thread_not_found" | "invalid_decision" | "thread_busy" | "thread_finished";
}

/**
 * The thread cannot be taken now, and nothing was done: another owner runs it (another process, or
 * another run in this one: `owner` says who), or it holds an unfinished run that `resume` must finish
 * first (`owner` is undefined). Journals raise it from `acquire` when the thread is owned elsewhere.
 */
export class ThreadBusyError extends ResumeError {
  declare readonly code: "thread_busy";
  readonly threadId: string;
  /**
   * `owned`: another owner runs it now (wait, then resume). `unfinished`: nobody runs it, but its
   * last run did not finish: `resume` it rather than `run` again.
   */
  readonly reason: "owned" | "unfinished";
  /** Who owns the thread right now, as far as the journal can tell ("process 4242", ...). */
  readonly owner: string | undefined;

  constructor(
    threadId: string,
    message: string,
    options?: { reason?: "owned" | "unfinished"; owner?: string | undefined; cause?: unknown },
  ) {
    super("thread_busy", message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.threadId = threadId;
    this.reason = options?.reason ?? "owned";
    this.owner = options?.owner;
  }

  /** The standard error for a thread owned by someone else. */
  static owned(threadId: string, owner: string | undefined, options?: { cause?: unknown }): ThreadBusyError {
    return new ThreadBusyError(
      threadId,
      `Thread "${threadId}" is being run right now${owner ? ` by ${owner}` : " by another owner"}; nothing was done. Wait for that run to stop (or for its process to die: its lease is then taken over), then resume("${threadId}").`,
      { owner, cause: options?.cause },
    );
  }
}

/**
 * A message of a history restored from a snapshot was read before it was loaded. The snapshot keeps
 * the messages a request can need (the newest that fit the context window) and loads the older
 * ones from the journal on demand.
 */
export class HistoryNotLoadedError extends LoomError {
  readonly index: number;

  constructor(index: number, length: number) {
    super(
      "history_not_loaded",
      `Message ${index} of ${length} is not loaded: this history was restored from a snapshot, which keeps only the newest messages. Call \`await history.load()\` (or \`await loadHistory(frame)\`) before reading older messages.`,
    );
    this.index = index;
  }
}
