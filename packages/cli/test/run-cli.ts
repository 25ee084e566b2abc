import { runCli } from "@loom/cli";

/** Runs `loom --journal file://<dir> ...argv` in this process; what it wrote and its exit code. */
export async function loomOn(dir: string, cwd: string, argv: readonly string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(["--journal", `file://${dir}`, ...argv], {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    cwd,
    env: {},
  });
  return { code, stdout, stderr };
}
