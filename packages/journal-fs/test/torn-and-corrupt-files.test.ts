import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { JournalCorruptionError, JournalError, readAll } from "@loom/core";
import { describe, expect, it } from "vitest";
import { FsJournal } from "../src/index.js";
import { event, recordingJournal, seqsOf, tempRoot, writeBatches } from "./helpers.js";

const newDir = tempRoot("corrupt");

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

async function listed(journal: FsJournal): Promise<string[]> {
  const ids: string[] = [];
  for await (const info of journal.threads()) ids.push(info.threadId);
  return ids;
}

describe("a torn end, as a crash leaves it, is left out by readers and cut off by the next writer", () => {
  it("truncated last line: readers skip it; the next writer cuts it, reports it, and appends after the last batch", async () => {
    const dir = newDir();
    await writeBatches(dir, "t", [1, 2]);
    const file = join(dir, "t.jsonl");
    const intact = readFileSync(file);
    const nextLine = readFileSync(file, "utf8").split("\n")[0]!.replace('"seq":0', '"seq":3');
    appendFileSync(file, nextLine.slice(0, 40));

    const { journal, reports } = recordingJournal({ dir });
    expect(await seqsOf(journal, "t")).toEqual([0, 1, 2]);
    expect(await journal.head("t")).toBe(2);
    expect(reports).toEqual([]);
    expect(await journal.append("t", [event("after")], 2)).toEqual({ lastSeq: 3 });
    expect(reports).toEqual([
      { threadId: "t", file, action: "truncated", droppedBytes: 40, droppedEvents: 0, lastSeq: 2 },
    ]);
    await journal.close();
    expect(readFileSync(file).subarray(0, intact.length)).toEqual(intact);
    expect(await seqsOf(new FsJournal({ dir }), "t")).toEqual([0, 1, 2, 3]);
  });

  it("a batch whose last line never got written is left out whole, never half", async () => {
    const dir = newDir();
    await writeBatches(dir, "t", [2]);
    const scratch = newDir();
    await writeBatches(scratch, "t", [2, 3]);
    const lines = readFileSync(join(scratch, "t.jsonl"), "utf8").split("\n");
    // Lines 2 and 3 of the three-event batch (seqs 2, 3) fully written, its last line torn.
    appendFileSync(join(dir, "t.jsonl"), `${lines[2]}\n${lines[3]}\n${lines[4]!.slice(0, 25)}`);

    const { journal, reports } = recordingJournal({ dir });
    expect(await seqsOf(journal, "t")).toEqual([0, 1]);
    expect(await journal.head("t")).toBe(1);
    await journal.append("t", [event("after")], 1);
    expect(reports).toMatchObject([{ action: "truncated", droppedEvents: 2, lastSeq: 1 }]);
    expect(await seqsOf(journal, "t")).toEqual([0, 1, 2]);
    await journal.close();
  });

  it("an unfinished batch with no torn line after it is left out whole as well", async () => {
    const dir = newDir();
    await writeBatches(dir, "t", [1]);
    const scratch = newDir();
    await writeBatches(scratch, "t", [1, 3]);
    const lines = readFileSync(join(scratch, "t.jsonl"), "utf8").split("\n");
    appendFileSync(join(dir, "t.jsonl"), `${lines[1]}\n${lines[2]}\n`);

    const { journal, reports } = recordingJournal({ dir });
    expect(await seqsOf(journal, "t")).toEqual([0]);
    expect(await journal.append("t", [event("after")], 0)).toEqual({ lastSeq: 1 });
    expect(reports).toMatchObject([{ action: "truncated", droppedEvents: 2 }]);
    await journal.close();
  });

  it("garbage after the last newline (say, zeros a power cut left) is a torn line too", async () => {
    const dir = newDir();
    await writeBatches(dir, "t", [3]);
    appendFileSync(join(dir, "t.jsonl"), Buffer.concat([Buffer.alloc(512), Buffer.from("garbage")]));
    const { journal, reports } = recordingJournal({ dir });
    expect(await seqsOf(journal, "t")).toEqual([0, 1, 2]);
    await journal.append("t", [event("after")], 2);
    expect(reports).toMatchObject([{ action: "truncated", droppedBytes: 519, droppedEvents: 0 }]);
    await journal.close();
  });

  it("a complete last batch missing only its newline is kept: readers read it, the writer adds the newline", async () => {
    const dir = newDir();
    await writeBatches(dir, "t", [1, 2]);
    const file = join(dir, "t.jsonl");
    writeFileSync(file, readFileSync(file, "utf8").slice(0, -1));
    const { journal, reports } = recordingJournal({ dir });
    expect(await seqsOf(journal, "t")).toEqual([0, 1, 2]);
    expect(await journal.head("t")).toBe(2);
    await journal.append("t", [event("after")], 2);
    expect(reports).toMatchObject([{ action: "newline-added", droppedBytes: 0, droppedEvents: 0 }]);
    expect(await seqsOf(journal, "t")).toEqual([0, 1, 2, 3]);
    await journal.close();
  });

  it("warns through process warnings when no onRecovery is given", async () => {
    const dir = newDir();
    await writeBatches(dir, "t", [1]);
    appendFileSync(join(dir, "t.jsonl"), '{"v":1,"thr');
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    // Node prints warnings through a listener of its own; keep the test output quiet meanwhile.
    const printers = process.listeners("warning");
    process.removeAllListeners("warning");
    process.on("warning", onWarning);
    try {
      const journal = new FsJournal({ dir });
      await journal.append("t", [event("after")], 0);
      await journal.close();
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", onWarning);
      for (const printer of printers) process.on("warning", printer);
    }
    expect(warnings.map((w) => (w as Error & { code?: string }).code)).toEqual(["LOOM_JOURNAL_RECOVERED"]);
    expect(warnings[0]!.message).toContain('Thread "t"');
  });
});

describe("a bad line with good lines after it is corruption: an error naming file and line, nothing discarded", () => {
  it("garbage middle line: read yields what comes before, then throws JournalCorruptionError at that line", async () => {
    const dir = newDir();
    await writeBatches(dir, "t", [1, 1, 1]);
    const file = join(dir, "t.jsonl");
    const lines = readFileSync(file, "utf8").split("\n");
    lines[1] = "this is not json";
    writeFileSync(file, lines.join("\n"));
    const before = readFileSync(file);

    const journal = new FsJournal({ dir });
    const seen: number[] = [];
    const error = await errorOf(
      (async () => {
        for await (const e of journal.read("t")) seen.push(e.seq);
      })(),
    );
    expect(seen).toEqual([0]);
    expect(JournalCorruptionError.isInstance(error)).toBe(true);
    expect((error as JournalCorruptionError).location).toBe(`${file}:2`);
    expect((error as Error).message).toContain("line 2 is not JSON");
    expect((error as Error).message).not.toContain("this is not json");
    // head reads only the end of the file, which is fine, and appends go after it.
    expect(await journal.head("t")).toBe(2);
    expect(await journal.append("t", [event("after")], 2)).toEqual({ lastSeq: 3 });
    await journal.close();
    expect(readFileSync(file).subarray(0, before.length)).toEqual(before);
  });

  it("a middle line that is JSON but not a valid event, and a seq gap, are corruption too", async () => {
    const dir = newDir();
    await writeBatches(dir, "schema", [1, 1, 1]);
    const schemaFile = join(dir, "schema.jsonl");
    const lines = readFileSync(schemaFile, "utf8").split("\n");
    writeFileSync(
      schemaFile,
      [lines[0], lines[1]!.replace('"type":"run.started"', '"type":"no.such"'), lines[2], ""].join("\n"),
    );
    await writeBatches(dir, "gap", [1, 1, 1]);
    const gapFile = join(dir, "gap.jsonl");
    const gapLines = readFileSync(gapFile, "utf8").split("\n");
    writeFileSync(gapFile, [gapLines[0], gapLines[2], ""].join("\n"));

    const journal = new FsJournal({ dir });
    const schemaError = await errorOf(readAll(journal, "schema"));
    expect((schemaError as JournalCorruptionError).location).toBe(`${schemaFile}:2`);
    expect((schemaError as Error).message).toContain("not a valid event");
    const gapError = await errorOf(readAll(journal, "gap"));
    expect((gapError as JournalCorruptionError).location).toBe(`${gapFile}:2`);
    expect((gapError as Error).message).toContain("has seq 2 where seq 1 was expected");
    await journal.close();
  });

  it("a bad last line that ends with a newline is not a torn write: corruption, and the writer refuses to cut it", async () => {
    const dir = newDir();
    await writeBatches(dir, "t", [2]);
    const file = join(dir, "t.jsonl");
    appendFileSync(file, "{not an event}\n");
    const before = readFileSync(file);
    const journal = new FsJournal({ dir });
    const readError = await errorOf(readAll(journal, "t"));
    expect((readError as JournalCorruptionError).location).toBe(`${file}:3`);
    const appendError = await errorOf(journal.append("t", [event("after")], 1));
    expect(JournalCorruptionError.isInstance(appendError)).toBe(true);
    expect((appendError as JournalCorruptionError).location).toBe(`${file}:3`);
    await journal.close();
    expect(readFileSync(file)).toEqual(before);
  });

  it("a file that is not JSON at all is corruption for read, head, threads() and append, and stays as it was", async () => {
    const dir = newDir();
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "notes.jsonl");
    const text = "Dear diary,\ntoday I wrote a file\nthat is not JSON at all.\n";
    writeFileSync(file, text);
    const journal = new FsJournal({ dir });
    const readError = await errorOf(readAll(journal, "notes"));
    expect((readError as JournalCorruptionError).location).toBe(`${file}:1`);
    for (const error of [
      await errorOf(journal.head("notes")),
      await errorOf(listed(journal)),
      await errorOf(journal.append("notes", [event("x")], -1)),
    ]) {
      expect(JournalCorruptionError.isInstance(error)).toBe(true);
      expect((error as JournalCorruptionError).location).toBe(`${file}:3`);
    }
    await journal.close();
    expect(readFileSync(file, "utf8")).toBe(text);
  });

  it("an empty file is a thread with no events: head -1, not listed, and the first append goes into it", async () => {
    const dir = newDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "empty.jsonl"), "");
    const { journal, reports } = recordingJournal({ dir });
    expect(await journal.head("empty")).toBe(-1);
    expect(await readAll(journal, "empty")).toEqual([]);
    expect(await listed(journal)).toEqual([]);
    expect(await journal.append("empty", [event("first")], -1)).toEqual({ lastSeq: 0 });
    expect(await listed(journal)).toEqual(["empty"]);
    expect(reports).toEqual([]);
    await journal.close();
  });

  it("events of another thread in a thread's file are corruption; ids that differ only in case are refused", async () => {
    const dir = newDir();
    await writeBatches(dir, "abc", [2]);
    renameSync(join(dir, "abc.jsonl"), join(dir, "ABC.jsonl"));
    await writeBatches(dir, "other", [1]);
    renameSync(join(dir, "other.jsonl"), join(dir, "mine.jsonl"));
    const journal = new FsJournal({ dir });
    const caseError = await errorOf(readAll(journal, "ABC"));
    expect(JournalError.isInstance(caseError)).toBe(true);
    expect((caseError as JournalError).code).toBe("invalid_thread_id");
    expect((caseError as Error).message).toContain("ignores case");
    const foreignError = await errorOf(journal.head("mine"));
    expect((foreignError as JournalCorruptionError).location).toBe(`${join(dir, "mine.jsonl")}:1`);
    await journal.close();
  });
});
