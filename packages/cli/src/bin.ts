import { runCli } from "./cli.js";

const controller = new AbortController();
process.once("SIGINT", () => controller.abort());
process.exitCode = await runCli(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env },
  controller.signal,
);
