import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AgentProcessConfig } from "./agent-process.js";
import type { AttemptOutcome } from "./attempt.js";
import type { KillPlan } from "./world.js";

/** The built child script: processes run the packages' dist, as a deployed app would. */
export const AGENT_PROCESS_SCRIPT = fileURLToPath(new URL("../dist/agent-process.js", import.meta.url));

export interface ProcessOutcome extends AttemptOutcome {
  /** From "go" to exit (or to the kill). */
  readonly ms: number;
  /** From the moment the process read "go" to its result, as the process measured it. */
  readonly childMs?: number;
  /** It died loading the packages, before "go": nothing of the trial ran in it. */
  readonly loadFailed?: boolean;
  /** Killed, and the thread's file ended in zeros after (journal-fs `"always"` or `"batch"`: killed writing into them). */
  readonly leftZeros?: boolean;
  readonly pid: number;
}

/** Throws unless the app is built (a build elsewhere in the checkout may remove it for a moment later). */
export function checkBuilt(): void {
  if (!existsSync(AGENT_PROCESS_SCRIPT)) {
    throw new Error(`Chaos processes run the built app; run \`pnpm build\` first (${AGENT_PROCESS_SCRIPT}).`);
  }
}

/**
 * An agent process, started ahead of time: it loads the packages and opens the journal, then waits
 * for `go`. Loading is most of a child's life, so the next attempt's process loads while this one runs.
 */
export class AgentProcess {
  private readonly proc: ChildProcess;
  private readonly ready: Promise<void>;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stdout = "";
  private isReady = false;
  private stderr = "";

  constructor(config: AgentProcessConfig) {
    this.proc = spawn(process.execPath, [AGENT_PROCESS_SCRIPT, JSON.stringify(config)], {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, NODE_COMPILE_CACHE: join(tmpdir(), "loom-chaos-compile-cache") },
    });
    // "close", not "exit": only then has everything the child wrote to stdout been read (its result
    // line can arrive after "exit").
    this.exited = new Promise((resolve) =>
      this.proc.on("close", (code, signal) => resolve({ code, signal })),
    );
    let onReady!: () => void;
    this.ready = new Promise<void>((resolve) => (onReady = resolve));
    this.proc.stderr!.on("data", (d: Buffer) => (this.stderr += d.toString("utf8")));
    this.proc.stdout!.on("data", (d: Buffer) => {
      this.stdout += d.toString("utf8");
      if (this.stdout.includes("ready\n")) {
        this.isReady = true;
        onReady();
      }
    });
    this.proc.stdin!.on("error", () => {}); // a child killed before it read "go"
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** Waits until it has loaded (or died trying). */
  async loaded(): Promise<void> {
    await Promise.race([this.ready, this.exited]);
  }

  /** Runs the attempt; a "time" plan is a SIGKILL from here after that many ms. */
  async go(attempt: number, plan: KillPlan): Promise<ProcessOutcome> {
    await this.loaded();
    if (!this.isReady) {
      const { code } = await this.exited;
      return {
        status: "error",
        error: `exit ${code} while loading: ${this.stderr}`,
        ms: 0,
        pid: this.pid,
        loadFailed: true,
      };
    }
    const started = Date.now();
    this.proc.stdin!.write(`${JSON.stringify({ attempt, plan })}\n`);
    // A "time" plan that loses the lease is timed in the process, which goes on.
    const timer =
      plan.point === "time" && !plan.lose ? setTimeout(() => this.proc.kill("SIGKILL"), plan.ms) : undefined;
    const { code, signal } = await this.exited;
    clearTimeout(timer);
    const ms = Date.now() - started;
    const line = this.stdout.split("\n").find((l) => l.startsWith("result "));
    if (signal === "SIGKILL") return { status: "killed", ms, pid: this.pid };
    if (!line)
      return { status: "error", error: `exit ${code} ${signal ?? ""}: ${this.stderr}`, ms, pid: this.pid };
    const reported = JSON.parse(line.slice(7)) as AttemptOutcome & { ms: number };
    return { ...reported, childMs: reported.ms, ms, pid: this.pid };
  }

  /** Kills it (an unused spare) and waits until it is reaped. */
  async kill(): Promise<void> {
    this.proc.kill("SIGKILL");
    await this.exited;
  }
}
