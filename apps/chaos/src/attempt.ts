import {
  type AgentStream,
  foldAll,
  type Journal,
  JournalConflictError,
  pendingApprovals,
  ResumeError,
  RunCancelledError,
  readAll,
  ThreadBusyError,
  ThreadLeaseLostError,
} from "@loom/core";
import { decide } from "./human.js";
import { CallKeys } from "./keys.js";
import { appendLedger } from "./ledger.js";
import { leaseless } from "./targets.js";
import { type Attempt, buildWorld, SimulatedCrash, strike, type WorldName } from "./world.js";

export type AttemptStatus =
  | "completed"
  | "interrupted"
  | "busy"
  | "stale-decision"
  | "killed"
  | "lease-lost"
  | "cancelled"
  | "conflict"
  | "error";

export interface AttemptOutcome {
  readonly status: AttemptStatus;
  readonly text?: string;
  readonly pending?: number;
  readonly error?: string;
  /** A taker's writes refused by `expectedSeq` on the way (each tried again). */
  readonly conflicts?: number;
}

/** A taker (`takeOverMs`) starts this long after the others, so that one of them holds the thread first. */
const TAKE_OVER_DELAY_MS = 50;
const TAKE_OVER_EVERY_MS = 5;

/**
 * One attempt of a trial: starts the thread, or resumes it with the human's decisions for whatever
 * waits. Marks in the ledger each `tool.completed` it sees durable; dies where the attempt's plan says.
 * A taker (`takeOverMs`) tries again while the thread is busy, for that long.
 */
export async function runAttempt(
  world: WorldName,
  journal: Journal,
  threadId: string,
  trialSeed: number,
  attempt: Attempt,
): Promise<AttemptOutcome> {
  const plan = attempt.plan;
  if (plan.point !== "none" || !plan.takeOverMs) return runOnce(world, journal, threadId, trialSeed, attempt);
  const until = Date.now() + TAKE_OVER_DELAY_MS + plan.takeOverMs;
  await new Promise((resolve) => setTimeout(resolve, TAKE_OVER_DELAY_MS));
  let conflicts = 0;
  for (;;) {
    const outcome = await runOnce(world, journal, threadId, trialSeed, attempt);
    if (outcome.status === "conflict") conflicts++;
    if ((outcome.status !== "busy" && outcome.status !== "conflict") || Date.now() > until)
      return conflicts > 0 ? { ...outcome, conflicts } : outcome;
    await new Promise((resolve) => setTimeout(resolve, TAKE_OVER_EVERY_MS));
  }
}

async function runOnce(
  world: WorldName,
  journal: Journal,
  threadId: string,
  trialSeed: number,
  attempt: Attempt,
): Promise<AttemptOutcome> {
  if (attempt.plan.point === "acquire") journal = dyingInAcquire(journal, attempt, attempt.plan.turns);
  const { agent, input } = buildWorld(world, journal, attempt);
  let stream: AgentStream;
  try {
    const events = await readAll(journal, threadId);
    if (events.length === 0) stream = agent.stream(input, { threadId });
    else {
      const pending = pendingApprovals(foldAll(threadId, events));
      const decisions = decide(pending, threadId, trialSeed, attempt.ledgerFile);
      stream = agent.resumeStream(threadId, { decisions });
    }
    let keys: CallKeys | undefined;
    let seen = 0;
    const follow = async (stream: AgentStream) => {
      for await (const event of stream) {
        if (!("seq" in event)) continue;
        // The first durable event of this attempt comes after it took the thread: all before it is final.
        if (!keys) {
          keys = new CallKeys(threadId);
          if (event.seq > 0)
            for (const e of await readAll(journal, threadId, { to: event.seq - 1 })) keys.next(e);
        }
        const key = keys.next(event);
        if (event.type === "tool.completed" && key && attempt.alive()) {
          appendLedger(attempt.ledgerFile, { k: "completed", key, by: "stream", attempt: attempt.attempt });
        }
        const plan = attempt.plan;
        if (plan.point === "event" && event.type === plan.type && ++seen === plan.nth) strike(attempt);
      }
      return stream.result;
    };
    let result = await follow(stream);
    // In half the trials the human answers a pause at once, in the same process: the agent then
    // resumes from the state its paused run kept (keptThreads), not from the journal.
    for (let more = 0; more < 4 && trialSeed % 2 === 0 && result.status === "interrupted"; more++) {
      if (result.pending.length === 0) break;
      const decisions = decide(result.pending, threadId, trialSeed, attempt.ledgerFile);
      try {
        result = await follow(agent.resumeStream(threadId, { decisions }));
      } catch (error) {
        // Another process took the thread between the pause and this resume (a taker waiting for
        // it): this attempt stops paused; it is not a busy attempt, which must have run nothing.
        if (ThreadBusyError.isInstance(error)) break;
        throw error;
      }
    }
    return result.status === "completed"
      ? { status: "completed", text: result.text }
      : { status: "interrupted", pending: result.pending.length };
  } catch (error) {
    if (error instanceof SimulatedCrash || !attempt.alive()) return { status: "killed" };
    if (ThreadBusyError.isInstance(error)) return { status: "busy" };
    if (ThreadLeaseLostError.isInstance(error)) return { status: "lease-lost" };
    if (RunCancelledError.isInstance(error)) return { status: "cancelled" };
    // Two owners for a moment (a lease lost and taken before its owner knew): expectedSeq refused one.
    if (JournalConflictError.isInstance(error)) return { status: "conflict" };
    // The human decided on what it read before this attempt took the thread; another owner moved on.
    if (ResumeError.isInstance(error) && error.code === "invalid_decision")
      return { status: "stale-decision" };
    return {
      status: "error",
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    };
  }
}

/** The journal, except that the process dies `turns` event-loop turns into its first `acquire`. */
function dyingInAcquire(journal: Journal, attempt: Attempt, turns: number): Journal {
  const acquire = journal.acquire?.bind(journal);
  if (!acquire) return journal;
  return {
    ...leaseless(journal),
    acquire: (threadId) => {
      const taking = acquire(threadId);
      let left = turns;
      const tick = () => {
        if (left-- <= 0) attempt.die();
        else setImmediate(tick);
      };
      setImmediate(tick);
      return taking;
    },
  };
}
