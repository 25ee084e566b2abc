import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const child = fileURLToPath(new URL("./fixtures/lease-holder.mjs", import.meta.url));
const builtPackage = fileURLToPath(new URL("../dist/index.js", import.meta.url));

/** A process that takes and gives up leases on a journal folder when told to (`fixtures/lease-holder.mjs`). */
export class LeaseProcess {
  private readonly proc: ChildProcess;
  private readonly exited: Promise<void>;
  private readonly waiting: ((line: string) => void)[] = [];
  private readonly lines: string[] = [];
  private stdout = "";
  private stderr = "";

  constructor(dir: string) {
    if (!existsSync(builtPackage)) {
      throw new Error(`Lease processes run the built package; run \`pnpm build\` first (${builtPackage}).`);
    }
    this.proc = spawn(process.execPath, [child, dir], {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, NODE_COMPILE_CACHE: join(tmpdir(), "loom-journal-fs-compile-cache") },
    });
    this.exited = new Promise((resolve) => this.proc.on("exit", () => resolve()));
    this.proc.stderr!.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString("utf8");
    });
    this.proc.stdout!.on("data", (chunk: Buffer) => {
      const lines = (this.stdout + chunk.toString("utf8")).split("\n");
      this.stdout = lines.pop()!;
      for (const line of lines) {
        const next = this.waiting.shift();
        if (next) next(line);
        else this.lines.push(line);
      }
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** The next line it prints (its answer to the last command). */
  next(): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve, reject) => {
      this.waiting.push(resolve);
      this.exited.then(() => reject(new Error(`lease process exited: ${this.stderr}`)));
    });
  }

  async loaded(): Promise<void> {
    const line = await this.next();
    if (line !== "loaded") throw new Error(`expected "loaded", got "${line}": ${this.stderr}`);
  }

  /** Sends one command and resolves with its answer. */
  async send(command: string): Promise<string> {
    this.proc.stdin!.write(`${command}\n`);
    return this.next();
  }

  /** SIGKILL, and waits until it is reaped (so its pid no longer looks alive). */
  async kill(): Promise<void> {
    this.proc.kill("SIGKILL");
    await this.exited;
  }

  async end(): Promise<void> {
    this.proc.stdin!.end();
    await this.exited;
  }
}
