import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { journalConformance } from "@loom/testing/vitest";
import { afterAll } from "vitest";
import { FsJournal } from "../src/index.js";

const root = mkdtempSync(join(tmpdir(), "loom-journal-fs-conformance-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

for (const fsync of ["batch", "always", "never"] as const) {
  journalConformance(
    `FsJournal (fsync: ${fsync})`,
    () => new FsJournal({ dir: mkdtempSync(join(root, `${fsync}-`)), fsync }),
  );
}
