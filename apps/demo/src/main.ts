import { join } from "node:path";
import { FsJournal } from "@loom/journal-fs";
import { runDemo } from "./demo.js";

// The journal lives in a folder under the working directory, so runs can be inspected afterwards.
const dir = join(process.cwd(), ".loom", "journal");
const journal = new FsJournal({ dir });
try {
  const summary = await runDemo({
    journal,
    threadId: `research-${new Date().toISOString().replace(/[:.]/g, "-")}`,
    write: (text) => process.stdout.write(text),
    paceMs: process.stdout.isTTY ? 12 : 0,
  });
  process.stdout.write(`Journal: ${join(dir, `${summary.threadId}.jsonl`)}\n`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await journal.close();
}
