import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(process.platform === "win32")("close() and a server started through a launcher", () => {
  it("ends the server the launcher started, so the host process exits by itself", async () => {
    const pidFile = join(mkdtempSync(join(tmpdir(), "loom-mcp-tree-")), "server.pid");
    // node close-and-exit.mjs connects to: node wrapper.mjs node lingering-server.mjs
    const host = spawn(process.execPath, [fixture("close-and-exit.mjs")], {
      env: {
        ...process.env,
        PID_FILE: pidFile,
        SERVER_ARGS: JSON.stringify([
          process.execPath,
          fixture("wrapper.mjs"),
          process.execPath,
          fixture("lingering-server.mjs"),
        ]),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    host.stdout.on("data", (chunk: Buffer) => (output += chunk));
    host.stderr.on("data", (chunk: Buffer) => (output += chunk));
    const exited = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        host.kill("SIGKILL");
        resolve(null);
      }, 20_000);
      host.on("exit", (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    const server = Number(readFileSync(pidFile, "utf8"));
    const serverAlive = alive(server);
    if (serverAlive) process.kill(server, "SIGKILL");
    expect(output).toContain("closed");
    expect(exited, output).toBe(0);
    expect(serverAlive).toBe(false);
  }, 30_000);
});
