import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { readAll } from "@loom/core";
import { FsJournal } from "@loom/journal-fs";
import { afterAll, expect, it } from "vitest";

const main = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const cwd = mkdtempSync(join(tmpdir(), "loom-demo-"));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

it("the built demo runs offline and leaves its thread in journal-fs under the working directory", async () => {
  expect(existsSync(main), "run `pnpm build` first").toBe(true);
  const { stdout } = await promisify(execFile)(process.execPath, [main], { cwd });
  expect(stdout).toContain("Summary: 3 iterations, 3 tool calls");
  const dir = join(cwd, ".loom", "journal");
  const [file] = readdirSync(dir).filter((f) => f.endsWith(".jsonl"));
  expect(stdout).toContain(`Journal: ${join(dir, file!)}`);
  const journal = new FsJournal({ dir });
  const events = await readAll(journal, file!.replace(/\.jsonl$/, ""));
  await journal.close();
  expect(events.at(-1)?.type).toBe("run.completed");
});
