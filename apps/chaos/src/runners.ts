import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  cancelRun,
  type Journal,
  MemoryJournal,
  type NewEvent,
  ResumeError,
  readAll,
  type StoredEvent,
  ThreadBusyError,
} from "@loom/core";
import { AgentProcess, type ProcessOutcome } from "./agent-processes.js";
import { type AttemptOutcome, runAttempt } from "./attempt.js";
import { openJournal, type SharedJournal } from "./targets.js";
import { type KillPlan, SimulatedCrash, type WorldName } from "./world.js";

export interface TrialSetup {
  readonly world: WorldName;
  readonly threadId: string;
  readonly ledgerFile: string;
  readonly trialSeed: number;
}

/** Runs the attempts of one trial, one at a time or several at once, on one kind of journal. */
export interface AttemptRunner {
  /** Runs one attempt per plan, all at once; numbers them from `first`. */
  attempts(
    plans: readonly KillPlan[],
    first: number,
  ): Promise<(AttemptOutcome & { ms: number; loadFailed?: boolean; leftZeros?: boolean })[]>;
  /** The thread as durable now (no attempt running). */
  events(): Promise<StoredEvent[]>;
  close(): Promise<void>;
}

/**
 * Real processes on a shared journal (journal-fs or journal-postgres): each attempt is a fresh
 * process on the built packages; kills are SIGKILL. A spare process loads while the current one runs.
 */
export class ProcessRunner implements AttemptRunner {
  private spares: AgentProcess[] = [];
  private reader: Journal | undefined;

  constructor(
    private readonly setup: TrialSetup,
    private readonly target: SharedJournal,
  ) {
    this.spares.push(this.spawn());
  }

  private spawn(): AgentProcess {
    return new AgentProcess({ ...this.setup, journal: this.target });
  }

  async attempts(plans: readonly KillPlan[], first: number): Promise<ProcessOutcome[]> {
    while (this.spares.length < plans.length) this.spares.push(this.spawn());
    const procs = this.spares.splice(0, plans.length);
    await Promise.all(procs.map((p) => p.loaded())); // then "go" to all at the same moment
    const running = procs.map((p, i) => p.go(first + i, plans[i]!));
    const cancels = plans.flatMap((plan) =>
      plan.point === "none" && plan.cancelAfterMs !== undefined ? [this.cancelAfter(plan.cancelAfterMs)] : [],
    );
    this.spares.push(this.spawn());
    const outcomes = await Promise.all(running);
    await Promise.all(cancels);
    if (!outcomes.some((o) => o.status === "killed") || !this.endsInZeros()) return outcomes;
    return outcomes.map((o) => (o.status === "killed" ? { ...o, leftZeros: true } : o));
  }

  /**
   * journal-fs with `fsync: "always"` or `"batch"`: whether the thread's file ends in zeros, which
   * only a writer killed while it wrote into its zero tail leaves (one that closes cuts them).
   * Counted, so a run shows that its kills reach that path, not only the appends before a writer lays
   * zeros down.
   */
  private endsInZeros(): boolean {
    if (this.target.kind !== "fs") return false;
    try {
      const file = readFileSync(join(this.target.dir, `${this.setup.threadId.replaceAll(":", "~")}.jsonl`));
      return file.length > 0 && file[file.length - 1] === 0;
    } catch {
      return false;
    }
  }

  /**
   * After `ms`, cancels the thread's run from this process as an operator does (`cancelRun`): asks
   * its owner, whichever process it is, and journals the cancel itself if the owner lets go (or dies)
   * without it. A run that completed first, or a journal busy elsewhere, is left alone.
   */
  private async cancelAfter(ms: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    const journal = await openJournal(this.target);
    try {
      // Not before the owner wrote the thread's first event: cancelRun takes the thread's lease to
      // cancel a thread nobody runs, and would keep a starting owner out of a thread it finds empty.
      for (let waited = 0; (await journal.head(this.setup.threadId)) < 0 && waited < 3000; waited += 10) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await cancelRun(journal, this.setup.threadId, "chaos: cancelled from another process", {
        waitMs: 500,
      }).catch((error: unknown) => {
        const finished = ResumeError.isInstance(error) && error.code === "thread_finished";
        if (!finished && !ThreadBusyError.isInstance(error)) throw error;
      });
    } finally {
      await journal.close();
    }
  }

  async events(): Promise<StoredEvent[]> {
    // journal-fs: a reader of its own each time (it never takes the writer lock, but keeps nothing open).
    if (this.target.kind === "fs") {
      const journal = await openJournal(this.target);
      try {
        return await readAll(journal, this.setup.threadId);
      } finally {
        await journal.close();
      }
    }
    this.reader ??= await openJournal(this.target);
    return readAll(this.reader, this.setup.threadId);
  }

  async close(): Promise<void> {
    await Promise.all(this.spares.map((p) => p.kill()));
    this.spares = [];
    await this.reader?.close();
  }
}

/**
 * MemoryJournal, where no process can die: a crash is simulated. Each attempt runs a fresh agent on
 * a copy of what was durable when the last attempt stopped; a dying attempt's journal refuses every
 * append from then on (or accepts the one that reaches its cut and then dies), and its tools write
 * nothing more to the ledger. The ledger file is the same for every attempt, as it is for processes.
 */
export class MemoryRunner implements AttemptRunner {
  private durable: StoredEvent[] = [];

  constructor(
    private readonly setup: TrialSetup,
    private readonly rand: () => number,
  ) {}

  async attempts(plans: readonly KillPlan[], first: number): Promise<(AttemptOutcome & { ms: number })[]> {
    const copy = new MemoryJournal();
    if (this.durable.length > 0) {
      await copy.append(this.setup.threadId, this.durable.map(toNewEvent), -1);
    }
    const head = this.durable.length - 1;
    const outcomes = await Promise.all(
      plans.map(async (plan, i) => {
        let dead = false;
        // A "time" kill has no meaning without a process: it becomes a cut at a random event ahead.
        const cut =
          plan.point === "time"
            ? { at: head + 1 + Math.floor(this.rand() * 14), keep: this.rand() < 0.5 }
            : undefined;
        const die = (): never => {
          dead = true;
          throw new SimulatedCrash();
        };
        const journal = new CutJournal(
          copy,
          () => dead,
          cut,
          () => {
            dead = true;
          },
        );
        const started = Date.now();
        const outcome = await runAttempt(
          this.setup.world,
          journal,
          this.setup.threadId,
          this.setup.trialSeed,
          {
            ledgerFile: this.setup.ledgerFile,
            attempt: first + i,
            pid: -(first + i) - 1, // no real process: a distinct negative id per attempt
            plan,
            die,
            alive: () => !dead,
          },
        );
        return { ...outcome, ms: Date.now() - started };
      }),
    );
    this.durable = await readAll(copy, this.setup.threadId);
    return outcomes;
  }

  async events(): Promise<StoredEvent[]> {
    return this.durable;
  }

  async close(): Promise<void> {}
}

function toNewEvent(event: StoredEvent): NewEvent {
  const { threadId: _t, seq: _s, ...rest } = event;
  return rest as NewEvent;
}

/** A view of a journal for one simulated process: once it is dead, nothing it appends lands. */
class CutJournal implements Journal {
  readonly specificationVersion = "v1" as const;
  constructor(
    private readonly inner: Journal,
    private readonly isDead: () => boolean,
    private readonly cut: { at: number; keep: boolean } | undefined,
    private readonly kill: () => void,
  ) {}

  async append(threadId: string, events: readonly NewEvent[], expectedSeq: number) {
    if (this.isDead()) throw new SimulatedCrash();
    if (this.cut && expectedSeq + events.length >= this.cut.at) {
      // The process dies at its cut: with this batch durable, or just before it.
      this.kill();
      if (this.cut.keep) await this.inner.append(threadId, events, expectedSeq);
      throw new SimulatedCrash();
    }
    return this.inner.append(threadId, events, expectedSeq);
  }
  read(threadId: string, range?: { from?: number; to?: number }) {
    return this.inner.read(threadId, range);
  }
  head(threadId: string) {
    return this.inner.head(threadId);
  }
  threads(query?: Parameters<Journal["threads"]>[0]) {
    return this.inner.threads(query);
  }
  fork(from: string, atSeq: number, to: string) {
    return this.inner.fork(from, atSeq, to);
  }
  acquire(threadId: string) {
    return this.inner.acquire!(threadId);
  }
  async close() {}
}

export function ledgerPath(dir: string, threadId: string): string {
  return join(dir, `${threadId}.ledger.jsonl`);
}
