import { runDemo } from "./demo.js";

try {
  await runDemo({ write: (text) => process.stdout.write(text), paceMs: process.stdout.isTTY ? 12 : 0 });
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
