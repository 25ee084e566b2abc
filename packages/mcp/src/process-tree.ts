import { execFile } from "node:child_process";

/**
 * The processes under `pid` (children, their children...), read from `ps` (POSIX; none on Windows
 * or when `ps` fails). A server started through a launcher (`npx`, `uvx`, `sh -c`) runs as the
 * launcher's child: stopping the launcher alone leaves it running, holding this process's pipes.
 */
export async function descendantsOf(pid: number): Promise<number[]> {
  if (process.platform === "win32") return [];
  const table = await new Promise<string>((resolve) =>
    execFile("ps", ["-A", "-o", "pid=,ppid="], (error, stdout) => resolve(error ? "" : stdout)),
  );
  const children = new Map<number, number[]>();
  for (const line of table.split("\n")) {
    const [child, parent] = line.trim().split(/\s+/).map(Number);
    if (!Number.isInteger(child) || !Number.isInteger(parent)) continue;
    children.set(parent!, [...(children.get(parent!) ?? []), child!]);
  }
  const found: number[] = [];
  const queue = [...(children.get(pid) ?? [])];
  while (queue.length > 0) {
    const next = queue.shift()!;
    if (found.includes(next)) continue;
    found.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return found;
}

/** Ends `pids` that are still alive: SIGTERM, then SIGKILL for those alive after `graceMs`. */
export async function endProcesses(pids: readonly number[], graceMs = 2_000): Promise<void> {
  const alive = () => pids.filter(isAlive);
  for (const pid of alive()) signal(pid, "SIGTERM");
  const until = Date.now() + graceMs;
  while (alive().length > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 25));
  for (const pid of alive()) signal(pid, "SIGKILL");
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Gone meanwhile.
  }
}
