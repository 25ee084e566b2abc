import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readAll, type StoredEvent } from "@loom/core";
import { afterAll, describe, expect, it } from "vitest";
import { FsJournal } from "../src/index.js";
import { continuesBatch } from "../src/line-format.js";
import { WriterProcess } from "./writer-process.js";

const TRIALS_PER_MODE = 50;
const root = mkdtempSync(join(tmpdir(), "loom-journal-fs-crash-"));
let finished = false;
afterAll(() => {
  finished = true; // a test that timed out stops starting writers instead of refilling the folder
  rmSync(root, { recursive: true, force: true });
});

const finalEvent = {
  v: 1,
  runId: "after-crash",
  ts: 0,
  frameId: "root",
  depth: 0,
  iteration: 0,
  type: "run.completed",
  data: { text: "done" },
} as const;

/** Every event is `run.started` with input `<batch id>:<index>:<batch size>:<padding>`. */
function checkWholeBatches(events: readonly StoredEvent[]): number {
  const batches = new Map<string, { size: number; seen: number[] }>();
  for (const event of events) {
    const [batch, index, size] = (event as Extract<StoredEvent, { type: "run.started" }>).data.input.split(
      ":",
    );
    const entry = batches.get(batch!) ?? { size: Number(size), seen: [] };
    entry.seen.push(Number(index));
    batches.set(batch!, entry);
  }
  for (const [batch, { size, seen }] of batches) {
    expect(seen, `batch ${batch}`).toEqual(Array.from({ length: size }, (_, i) => i));
  }
  return batches.size;
}

/** Batches of the file (lines up to one without `"$more"`) that hold events of more than one append. */
function joinedBatches(lines: readonly string[]): number {
  let joined = 0;
  let appends = new Set<string>();
  for (const line of lines) {
    const input: unknown = JSON.parse(line).data.input;
    if (typeof input === "string") appends.add(input.split(":")[0]!);
    if (continuesBatch(line)) continue;
    if (appends.size > 1) joined++;
    appends = new Set();
  }
  return joined;
}

describe.concurrent("a writer killed with SIGKILL at random moments", () => {
  for (const fsync of ["batch", "always", "never"] as const) {
    it(`loses no acknowledged event and no part of a batch (fsync: ${fsync}, ${TRIALS_PER_MODE} kills)`, async () => {
      const dir = join(root, fsync);
      const threadId = `crash:${fsync}`;
      let acknowledged = -1;
      let verifiedHead = -1;
      // "always" and "batch": kills that caught the writer with zeros laid down (the file ends in them), past
      // the batches it appends at the end first.
      let inZeros = 0;
      let next = new WriterProcess(dir, fsync, threadId);
      for (let trial = 0; trial < TRIALS_PER_MODE; trial++) {
        if (finished) {
          await next.kill();
          return;
        }
        const current = next;
        if (trial + 1 < TRIALS_PER_MODE) next = new WriterProcess(dir, fsync, threadId);
        const maxAcked = await current.runAndKill();
        if (readFileSync(join(dir, `${threadId.replace(":", "~")}.jsonl`)).at(-1) === 0) inZeros++;
        expect(maxAcked).toBeGreaterThan(acknowledged);
        acknowledged = maxAcked;

        // Check what this writer added. Earlier events were checked after earlier kills; the reader
        // still checks that every seq of the file is in place, and the end re-reads it all.
        const journal = new FsJournal({ dir, fsync: "never" });
        const added = await readAll(journal, threadId, { from: verifiedHead + 1 });
        expect(added.map((e) => e.seq)).toEqual(added.map((_, i) => verifiedHead + 1 + i));
        const head = await journal.head(threadId);
        expect(head).toBeGreaterThanOrEqual(acknowledged);
        expect(head).toBe(verifiedHead + added.length);
        checkWholeBatches(added);
        verifiedHead = head;
        await journal.close();
      }
      const reader = new FsJournal({ dir });
      const all = await readAll(reader, threadId);
      await reader.close();
      expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i));
      expect(checkWholeBatches(all)).toBeGreaterThan(TRIALS_PER_MODE);
      if (fsync !== "never")
        expect(inZeros, "kills while writing into zeros").toBeGreaterThan(TRIALS_PER_MODE / 5);
      else expect(inZeros).toBe(0);

      // The next writer recovers whatever the last kill left in the file and carries on from the head.
      const journal = new FsJournal({ dir, fsync, onRecovery: () => {} });
      expect(await journal.append(threadId, [finalEvent], verifiedHead)).toEqual({
        lastSeq: verifiedHead + 1,
      });
      await journal.close();
      const lines = readFileSync(join(dir, `crash~${fsync}.jsonl`), "utf8").split("\n");
      expect(lines.pop()).toBe("");
      expect(lines.map((line) => JSON.parse(line).seq)).toEqual(lines.map((_, i) => i));
      // The writers keep up to four appends in flight: "batch" wrote some of them together.
      if (fsync === "batch") expect(joinedBatches(lines)).toBeGreaterThan(TRIALS_PER_MODE / 5);
      else expect(joinedBatches(lines)).toBe(0);
    }, 120_000); // a guard against a hang, not a timing: 150 node processes cost ~25 s of CPU
  }
});
