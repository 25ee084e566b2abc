import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type JournalStorageFactory, journalConformance } from "@loom/testing/vitest";
import { afterAll } from "vitest";
import { FsJournal, type FsyncMode } from "../src/index.js";

const root = mkdtempSync(join(tmpdir(), "loom-journal-fs-conformance-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const processModule = new URL("./fixtures/open-journal.mjs", import.meta.url);
if (!existsSync(new URL("../dist/index.js", import.meta.url))) {
  throw new Error("The conformance kit's writer processes load the built package: run `pnpm build` first.");
}

interface Storage {
  readonly dir: string;
  readonly fsync: FsyncMode;
}

function factory(fsync: FsyncMode): JournalStorageFactory<Storage> {
  return {
    newStorage: () => ({ dir: mkdtempSync(join(root, `${fsync}-`)), fsync }),
    open: (storage) => new FsJournal(storage),
    destroy: (storage) => rmSync(storage.dir, { recursive: true, force: true }),
    // Breaks the JSON of the event's line, in place, keeping its length and newline.
    corrupt: ({ dir }, { threadId, seq }) => {
      const file = join(dir, `${threadId.replaceAll(":", "~")}.jsonl`);
      const lines = readFileSync(file, "utf8").split("\n");
      lines[seq] = lines[seq]!.replace('"type":"', '"type":!');
      writeFileSync(file, lines.join("\n"));
    },
    processModule,
  };
}

for (const fsync of ["batch", "always", "never"] as const) {
  journalConformance(`FsJournal (fsync: ${fsync})`, factory(fsync));
}
