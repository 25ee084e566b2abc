import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FsyncMode } from "../src/index.js";

const child = fileURLToPath(new URL("./fixtures/append-until-killed.mjs", import.meta.url));
const builtPackage = fileURLToPath(new URL("../dist/index.js", import.meta.url));

/**
 * A writer process, started ahead of time: it loads the package, then waits for a line on stdin
 * before it opens the journal. Loading takes most of a child's life, so the next writer loads while
 * the current one runs.
 */
export class WriterProcess {
  private readonly proc: ChildProcess;
  private readonly loaded: Promise<void>;
  private readonly firstAck: Promise<void>;
  private readonly exited: Promise<void>;
  private stdout = "";
  private stderr = "";
  private maxAcked = -1;

  constructor(dir: string, fsync: FsyncMode, threadId: string) {
    if (!existsSync(builtPackage)) {
      throw new Error(`Writer processes run the built package; run \`pnpm build\` first (${builtPackage}).`);
    }
    this.proc = spawn(process.execPath, [child, dir, fsync, threadId], {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, NODE_COMPILE_CACHE: join(tmpdir(), "loom-journal-fs-compile-cache") },
    });
    this.exited = new Promise((resolve) => this.proc.on("exit", () => resolve()));
    const died = new Promise<never>((_, reject) =>
      this.proc.on("exit", (code) =>
        reject(new Error(`writer exited on its own (code ${code}): ${this.stderr}`)),
      ),
    );
    died.catch(() => {});
    let onLoaded!: () => void;
    let onAck!: () => void;
    this.loaded = Promise.race([new Promise<void>((resolve) => (onLoaded = resolve)), died]);
    this.firstAck = Promise.race([new Promise<void>((resolve) => (onAck = resolve)), died]);
    this.proc.stderr!.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString("utf8");
    });
    this.proc.stdout!.on("data", (chunk: Buffer) => {
      const lines = (this.stdout + chunk.toString("utf8")).split("\n");
      this.stdout = lines.pop()!;
      for (const line of lines) {
        if (line === "loaded") onLoaded();
        if (line.startsWith("ack ")) {
          this.maxAcked = Math.max(this.maxAcked, Number(line.slice(4)));
          onAck();
        }
      }
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** Lets it write; resolves once it has acknowledged its first append. */
  async start(): Promise<void> {
    await this.loaded;
    this.proc.stdin!.write("go\n");
    await this.firstAck;
  }

  /** Lets it write; once it has acknowledged an append, kills it with SIGKILL within 20 ms. */
  async runAndKill(): Promise<number> {
    await this.start();
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 20));
    return this.kill();
  }

  /** SIGKILL; resolves with the last seq it acknowledged. */
  async kill(): Promise<number> {
    this.proc.kill("SIGKILL");
    await this.exited; // reaped, so its pid no longer looks alive to the next writer's lock check
    return this.maxAcked;
  }
}
