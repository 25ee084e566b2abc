import { type Agent, createAgent, type Journal, type Tool, type ToolContext, tool } from "@loom/core";
import { HITLHook } from "@loom/hooks";
import { ScriptedProvider, type ScriptedTurn } from "@loom/testing";
import { z } from "zod";
import { appendLedger } from "./ledger.js";

/** Where a trial's process dies in one attempt. "time" is done from outside (a timer in the harness). */
export type KillPlan =
  | { readonly point: "none"; readonly takeOverMs?: number; readonly cancelAfterMs?: number }
  | {
      readonly point: "before-effect" | "after-effect";
      readonly nth: number;
      readonly tool?: string;
      readonly lose?: true;
    }
  | { readonly point: "event"; readonly type: string; readonly nth: number; readonly lose?: true }
  | { readonly point: "time"; readonly ms: number; readonly lose?: true }
  /** Dies while taking the thread's lease: after this many event-loop turns of `Journal.acquire`. */
  | { readonly point: "acquire"; readonly turns: number };
// `lose`: at its point the process does not die; its lease's connection is terminated (from another
// connection) and it goes on until its journal notices. `takeOverMs`: a process that finds the thread
// busy tries again every few ms for that long, as a queue's retry would, to take it the moment it is free.
// `cancelAfterMs`: that long after "go", the harness asks the thread's owner to cancel its run through
// the journal (`requestCancel`), from its own process.

/** One attempt (one process, or one simulated process in memory) of a trial. */
export interface Attempt {
  readonly ledgerFile: string;
  readonly attempt: number;
  readonly pid: number;
  readonly plan: KillPlan;
  /** Dies now: SIGKILL in a process; in memory, the simulated process stops and nothing of it runs again. */
  die(): never;
  /** Has the lease's connection terminated, without waiting (Postgres processes of a `lose` plan). */
  readonly loseLease?: () => void;
  /** False once the (simulated) process is dead: it writes nothing more. */
  alive(): boolean;
}

/** What a plan does at its point: dies, or (a `lose` plan) has its lease taken away and goes on. */
export function strike(attempt: Attempt): void {
  const plan = attempt.plan;
  if ("lose" in plan && plan.lose && attempt.loseLease) attempt.loseLease();
  else attempt.die();
}

/** Raised in memory to stop a simulated process that died. */
export class SimulatedCrash extends Error {
  constructor() {
    super("simulated crash");
    this.name = "SimulatedCrash";
  }
}

export const GUARDED_TOOLS = ["delete_path"] as const;
export const NON_IDEMPOTENT_TOOLS = ["charge", "send_email", "delete_path"] as const;
/** Tools without effects: they may run before their start is journaled. */
export const READ_ONLY_TOOLS = ["read_file", "peek"] as const;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Counts this attempt's effects, to die before or after the nth one its plan names. */
function killSwitch(attempt: Attempt) {
  let seen = 0;
  return (point: "before-effect" | "after-effect", toolName: string) => {
    const plan = attempt.plan;
    if (plan.point !== point || (plan.tool !== undefined && plan.tool !== toolName)) return;
    if (point === "before-effect") seen++;
    else if (plan.point === "after-effect") seen++;
    if (seen === plan.nth) strike(attempt);
  };
}

/** Whether the journal holds the `tool.started` of the call a tool was called for. */
async function recorded(journal: Journal, context: ToolContext): Promise<boolean> {
  for await (const event of journal.read(context.frame.threadId)) {
    if (event.type === "tool.started" && event.data.idempotencyKey === context.idempotencyKey) return true;
  }
  return false;
}

/**
 * The side effect every tool of this world has: a fsynced ledger line, with a kill point either side.
 * It notes whether the call's start was in the journal when the tool was called: only a read-only
 * tool may run before (ADR 0015).
 */
function makeEffect(attempt: Attempt, journal: Journal) {
  const before = killSwitch(attempt);
  const after = killSwitch(attempt);
  const effect = async (toolName: string, args: unknown, context: ToolContext): Promise<void> => {
    const startRecorded = await recorded(journal, context);
    await pause(1);
    if (!attempt.alive()) throw new SimulatedCrash();
    before("before-effect", toolName);
    const call = context.frame.turn?.calls.find((c) => c.ref === context.callRef);
    const approval = call?.approval;
    appendLedger(attempt.ledgerFile, {
      k: "effect",
      key: context.idempotencyKey,
      ref: context.callRef,
      tool: toolName,
      args,
      pid: attempt.pid,
      attempt: attempt.attempt,
      approvedInFrame: approval?.state === "resolved" && approval.decision !== "reject",
      recorded: startRecorded,
    });
    after("after-effect", toolName);
    await pause(1);
  };
  /**
   * A read-only tool's whole run: its kill points and nothing else (no pause, no ledger line), so
   * its turns follow each other while the write before is still in flight: on Postgres they are
   * pipelined (ADR 0016), and a kill lands with two writes in flight.
   */
  const quick = (toolName: string): void => {
    if (!attempt.alive()) throw new SimulatedCrash();
    before("before-effect", toolName);
    after("after-effect", toolName);
  };
  return { effect, quick };
}

function tools(attempt: Attempt, journal: Journal) {
  const { effect, quick } = makeEffect(attempt, journal);
  const lookup = tool({
    name: "lookup",
    description: "Looks something up (idempotent).",
    input: z.object({ q: z.string() }),
    idempotent: true,
    run: async (args, context) => {
      await effect("lookup", args, context);
      return `found ${args.q}`;
    },
  });
  const charge = tool({
    name: "charge",
    description: "Charges a card: not idempotent; after a crash the model is told the outcome is unknown.",
    input: z.object({ cents: z.number() }),
    onUnknownOutcome: "fail",
    run: async (args, context) => {
      await effect("charge", args, context);
      return `charged ${args.cents}`;
    },
  });
  const sendEmail = tool({
    name: "send_email",
    description: "Sends an email: not idempotent; after a crash a human decides whether to send again.",
    input: z.object({ to: z.string() }),
    onUnknownOutcome: "ask",
    run: async (args, context) => {
      await effect("send_email", args, context);
      return `sent to ${args.to}`;
    },
  });
  const deletePath = tool({
    name: "delete_path",
    description: "Deletes a path: dangerous, needs a human; not idempotent.",
    input: z.object({ path: z.string() }),
    onUnknownOutcome: "fail",
    run: async (args, context) => {
      await effect("delete_path", args, context);
      return `deleted ${args.path}`;
    },
  });
  const readFile = tool({
    name: "read_file",
    description: "Reads a file: read-only, so it runs while its start is being journaled (ADR 0015).",
    input: z.object({ path: z.string() }),
    readOnly: true,
    run: async (args, context) => {
      await effect("read_file", args, context);
      return `contents of ${args.path}`;
    },
  });
  const peek = tool({
    name: "peek",
    description: "Tells a file's size: read-only and instant.",
    input: z.object({ path: z.string() }),
    readOnly: true,
    run: (args) => {
      quick("peek");
      return `${args.path}: 3 bytes`;
    },
  });
  return { lookup, charge, sendEmail, deletePath, readFile, peek };
}

const call = (id: string, name: string, args: unknown) => ({ id, name, args });

function scripted(turns: ScriptedTurn[]): ScriptedProvider {
  return new ScriptedProvider({ mode: "conversation", turns, recordRequests: false });
}

/**
 * Odd attempts journal a snapshot at every chance (every third event, whatever its size), even ones
 * never: threads are resumed from snapshots and from their first event, by turns, under the kills.
 */
const FREQUENT_SNAPSHOTS = { everyEvents: 3, sizeRatio: 1e9 };
let snapshots: typeof FREQUENT_SNAPSHOTS | false = false;

function agentOf(
  name: string,
  journal: Journal,
  turns: ScriptedTurn[],
  toolList: readonly Tool[],
  hitl: boolean,
): Agent {
  return createAgent({
    name,
    journal,
    provider: scripted(turns),
    tools: toolList as Tool[],
    // The read-only world's streaks of peeks make more turns than the default 20.
    maxIterations: Math.max(20, turns.length + 5),
    hooks: hitl ? [HITLHook({ tools: [...GUARDED_TOOLS] })] : [],
    retry: { maxRetries: 0 },
    snapshots,
  });
}

/** What a scenario's agent is: the agent, its first input and the text it ends with. */
export interface World {
  readonly agent: Agent;
  readonly input: string;
  readonly finalText: string;
}

export const WORLDS = [
  "colliding-subagents",
  "colliding-nested",
  "approvals",
  "after-effect:idempotent",
  "after-effect:non-idempotent",
  "after-effect:ask",
  "after-effect:approved",
  "after-effect:sub-agent",
  "read-only",
] as const;
export type WorldName = (typeof WORLDS)[number];

/** Builds a world's agent on a journal, for one attempt. The same in every process. */
export function buildWorld(name: WorldName, journal: Journal, attempt: Attempt): World {
  snapshots = attempt.attempt % 2 === 1 ? FREQUENT_SNAPSHOTS : false;
  const t = tools(attempt, journal);
  const all = [t.lookup, t.charge, t.sendEmail, t.deletePath];
  switch (name) {
    case "colliding-subagents":
    case "colliding-nested": {
      // Two sub-agents asked in one turn; both models name their dangerous call "call_1".
      const cleaner = (agentName: string, path: string) =>
        agentOf(
          agentName,
          journal,
          [
            { toolCalls: [call("call_1", "delete_path", { path }), call("call_2", "lookup", { q: path })] },
            { text: `${agentName} finished` },
          ],
          [t.deletePath, t.lookup],
          false,
        );
      const junk = cleaner("junk_cleaner", "/tmp/junk").asTool({ description: "Cleans /tmp/junk" });
      const home = cleaner("home_cleaner", "/home").asTool({ description: "Cleans /home" });
      const bothCleaners: ScriptedTurn[] = [
        {
          toolCalls: [
            call("call_1", "junk_cleaner", { input: "clean /tmp/junk" }),
            call("call_2", "home_cleaner", { input: "clean /home" }),
          ],
        },
        { text: "Both cleaners reported." },
      ];
      if (name === "colliding-nested") {
        // Two levels down: boss -> manager -> the two cleaners; HITL only on the boss.
        const manager = agentOf("manager", journal, bothCleaners, [junk, home], false).asTool({
          description: "Runs the cleaners",
        });
        const agent = agentOf(
          "boss",
          journal,
          [
            { toolCalls: [call("call_1", "manager", { input: "get it cleaned" })] },
            { text: "Manager reported." },
          ],
          [manager],
          true,
        );
        return { agent, input: "Clean up", finalText: "Manager reported." };
      }
      const agent = agentOf("boss", journal, bothCleaners, [junk, home], true);
      return { agent, input: "Clean up", finalText: "Both cleaners reported." };
    }
    case "approvals": {
      // Three turns; call ids repeat across turns (c1), so only refs tell the calls apart.
      const agent = agentOf(
        "clerk",
        journal,
        [
          {
            toolCalls: [
              call("c1", "lookup", { q: "invoices" }),
              call("c2", "delete_path", { path: "/tmp/cache" }),
              call("c3", "charge", { cents: 500 }),
            ],
          },
          {
            toolCalls: [
              call("c1", "delete_path", { path: "/var/old" }),
              call("c2", "send_email", { to: "ops@example.com" }),
              call("c3", "delete_path", { path: "/home/alice" }),
            ],
          },
          { toolCalls: [call("c1", "charge", { cents: 700 }), call("c2", "lookup", { q: "receipts" })] },
          { text: "All done." },
        ],
        all,
        true,
      );
      return { agent, input: "Do the errands", finalText: "All done." };
    }
    case "after-effect:sub-agent": {
      const worker = agentOf(
        "worker",
        journal,
        [
          { toolCalls: [call("call_1", "charge", { cents: 900 })] },
          { toolCalls: [call("call_1", "delete_path", { path: "/tmp/worker" })] },
          { text: "worker done" },
        ],
        [t.charge, t.deletePath],
        false,
      ).asTool({ description: "Does paid work" });
      const agent = agentOf(
        "lead",
        journal,
        [{ toolCalls: [call("call_1", "worker", { input: "pay and clean" })] }, { text: "Lead done." }],
        [worker],
        true,
      );
      return { agent, input: "Delegate", finalText: "Lead done." };
    }
    case "read-only": {
      // Turns of read-only calls (run while their start is written) between turns that must wait:
      // a non-idempotent charge, and a read beside an idempotent lookup. Streaks of instant peeks
      // keep a write in flight behind another (pipelined on Postgres), the charge's among them.
      // (Names, not numbered paths: calls that differ only in numbers are a loop to the agent.)
      const peeks = (names: string[]): ScriptedTurn[] =>
        names.map((name) => ({ toolCalls: [call("r1", "peek", { path: `${name}.txt` })] }));
      const agent = agentOf(
        "reader",
        journal,
        [
          { toolCalls: [call("r1", "read_file", { path: "a.txt" })] },
          ...peeks(["ash", "birch", "cedar", "dogwood", "elm"]),
          {
            toolCalls: [
              call("r1", "read_file", { path: "b.txt" }),
              call("r2", "read_file", { path: "c.txt" }),
            ],
          },
          ...peeks(["fir", "ginkgo", "hazel", "ivy", "juniper"]),
          { toolCalls: [call("r1", "charge", { cents: 250 })] },
          ...peeks(["larch", "maple", "nettle", "oak", "pine"]),
          { toolCalls: [call("r1", "read_file", { path: "d.txt" })] },
          { toolCalls: [call("r1", "lookup", { q: "e" }), call("r2", "read_file", { path: "f.txt" })] },
          { toolCalls: [call("r1", "read_file", { path: "g.txt" })] },
          { text: "Reads done." },
        ],
        [...all, t.readFile, t.peek],
        true,
      );
      return { agent, input: "Read around", finalText: "Reads done." };
    }
    default: {
      const one = {
        "after-effect:idempotent": call("k1", "lookup", { q: "once" }),
        "after-effect:non-idempotent": call("k1", "charge", { cents: 300 }),
        "after-effect:ask": call("k1", "send_email", { to: "boss@example.com" }),
        "after-effect:approved": call("k1", "delete_path", { path: "/tmp/approved" }),
      }[name];
      const agent = agentOf("single", journal, [{ toolCalls: [one] }, { text: "Single done." }], all, true);
      return { agent, input: "Do one thing", finalText: "Single done." };
    }
  }
}

/** The text a world's run ends with. */
export function finalTextOf(name: WorldName): string {
  if (name === "colliding-subagents") return "Both cleaners reported.";
  if (name === "colliding-nested") return "Manager reported.";
  if (name === "approvals") return "All done.";
  if (name === "after-effect:sub-agent") return "Lead done.";
  if (name === "read-only") return "Reads done.";
  return "Single done.";
}

/** The tool a world's "after-effect" kill aims at. */
export function targetTool(name: WorldName): string | undefined {
  return {
    "after-effect:idempotent": "lookup",
    "after-effect:non-idempotent": "charge",
    "after-effect:ask": "send_email",
    "after-effect:approved": "delete_path",
    "after-effect:sub-agent": "charge",
  }[name as string];
}
