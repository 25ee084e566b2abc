// One attempt of a chaos trial, in a process of its own, on the built packages. argv: a JSON
// AgentProcessConfig. Loads everything, prints "ready", waits for a JSON line { attempt, plan } on
// stdin, runs the attempt (start or resume the thread), prints "result <json>" and exits. It may
// SIGKILL itself where the plan says (around approvals, tool starts and side effects).
import { createInterface } from "node:readline";
import { type AttemptOutcome, runAttempt } from "./attempt.js";
import { leaseTerminator, openJournal, type SharedJournal } from "./targets.js";
import type { KillPlan, WorldName } from "./world.js";

export interface AgentProcessConfig {
  readonly world: WorldName;
  readonly journal: SharedJournal;
  readonly threadId: string;
  readonly ledgerFile: string;
  readonly trialSeed: number;
}

const config = JSON.parse(process.argv[2]!) as AgentProcessConfig;
const journal = await openJournal(config.journal);
const lines = createInterface({ input: process.stdin });
process.stdout.write("ready\n");
const command = await new Promise<{ attempt: number; plan: KillPlan }>((resolve) =>
  lines.once("line", (line) => resolve(JSON.parse(line))),
);
lines.close();
const plan = command.plan;
const terminator =
  "lose" in plan && plan.lose ? await leaseTerminator(config.journal, config.threadId) : undefined;
const started = Date.now();
let timer: ReturnType<typeof setTimeout> | undefined;
const acquire = journal.acquire?.bind(journal);
if (terminator && plan.point === "time" && acquire) {
  // Timed from the moment this process holds the thread, so that the loss lands in its run (a timer
  // from "go" often fired before the lease was taken, and terminated nothing).
  journal.acquire = async (threadId) => {
    const lease = await acquire(threadId);
    timer ??= setTimeout(terminator.terminate, plan.ms);
    return lease;
  };
}
const outcome: AttemptOutcome = await runAttempt(config.world, journal, config.threadId, config.trialSeed, {
  ledgerFile: config.ledgerFile,
  attempt: command.attempt,
  pid: process.pid,
  plan: command.plan,
  die: () => {
    process.kill(process.pid, "SIGKILL");
    throw new Error("unreachable: SIGKILL");
  },
  alive: () => true,
  ...(terminator ? { loseLease: terminator.terminate } : {}),
});
clearTimeout(timer);
await terminator?.close();
await journal.close();
process.stdout.write(`result ${JSON.stringify({ ...outcome, ms: Date.now() - started })}\n`);
process.exit(outcome.status === "error" ? 1 : 0);
