import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { WriterTask } from "./journal-process.js";

/** The writer script: `journal-process.js` beside the built kit, `journal-process.ts` in the sources. */
function writerScript(): string {
  for (const name of ["./journal-process.js", "./journal-process.ts"]) {
    const path = fileURLToPath(new URL(name, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error("@loom/testing: journal-process.js is missing beside the journal conformance kit.");
}

/**
 * One writer process of the kit: started with a task, it loads the journal module and opens the
 * storage, then runs the task when `go()` is called. `acked` holds the last seq of every append the
 * process reported as acknowledged.
 */
export class WriterProcess {
  readonly acked: number[] = [];
  private readonly proc: ChildProcess;
  private readonly ready: Promise<void>;
  private readonly exited: Promise<number | null>;
  private output = "";
  private errorText = "";
  private stderr = "";

  constructor(task: WriterTask) {
    this.proc = spawn(process.execPath, [writerScript()], { stdio: ["pipe", "pipe", "pipe"] });
    let onReady!: () => void;
    this.ready = new Promise<void>((resolve) => {
      onReady = resolve;
    });
    this.proc.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      this.output += chunk;
      let newline = this.output.indexOf("\n");
      while (newline >= 0) {
        const line = this.output.slice(0, newline);
        this.output = this.output.slice(newline + 1);
        if (line === "ready") onReady();
        else if (line.startsWith("ack ")) this.acked.push(Number(line.slice(4)));
        else if (line.startsWith("error ")) this.errorText = JSON.parse(line.slice(6)) as string;
        newline = this.output.indexOf("\n");
      }
    });
    this.proc.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    this.exited = new Promise((resolve) => this.proc.on("exit", (code) => resolve(code)));
    this.proc.stdin?.on("error", () => undefined);
    this.proc.stdin?.write(`${JSON.stringify(task)}\n`);
  }

  /** Resolves once the journal is open in the child; rejects if the child dies first. */
  async whenReady(timeoutMs = 30_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const failed = Promise.race([
      this.exited.then((code) => {
        throw new Error(`A writer process exited (code ${code}) before it was ready: ${this.problem()}`);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`A writer process was not ready within ${timeoutMs} ms.`)),
          timeoutMs,
        );
      }),
    ]);
    try {
      await Promise.race([this.ready, failed]);
    } finally {
      clearTimeout(timer);
    }
  }

  go(): void {
    this.proc.stdin?.write("go\n");
  }

  /** Waits for the child to end on its own; throws with what it printed if it failed. */
  async finished(): Promise<void> {
    const code = await this.exited;
    if (code !== 0) throw new Error(`A writer process failed (exit code ${code}): ${this.problem()}`);
  }

  /** Resolves at the first acknowledged append (or rejects when the child ends without one). */
  async firstAck(): Promise<void> {
    while (this.acked.length === 0) {
      if (this.proc.exitCode !== null) {
        throw new Error(`A writer process ended before its first append: ${this.problem()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  async kill(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill("SIGKILL");
    await this.exited;
  }

  private problem(): string {
    return this.errorText || this.stderr.trim() || "(it printed nothing)";
  }
}
