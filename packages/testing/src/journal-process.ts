// A writer process of journalConformance, started by the kit with `node` (no test runner, no
// imports but node's and the journal module the user named). It reads one task as a JSON line on
// stdin, loads the module, opens the storage, prints "ready", waits for "go", then runs the task,
// printing one line per acknowledged append. The kit reads those lines to know what was acknowledged.

import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import type { Journal, NewEvent } from "@loom/core";

export interface WriterTask {
  /** A file path or file: URL of a module whose `open(storage)` (or default export's) opens the journal. */
  readonly module: string;
  readonly storage: unknown;
  /** race: append one event at a time; batches: append batches until killed; lease: hold a lease until killed. */
  readonly kind: "race" | "batches" | "lease";
  readonly threadId: string;
  readonly writer: string;
  /** race: appends to win, one event each. */
  readonly wins?: number;
  /** batches: events per batch (appended until the process is killed). */
  readonly batchSize?: number;
  readonly template: NewEvent;
  readonly deadlineMs: number;
}

type Opener = { open(storage: unknown): Journal | Promise<Journal> };

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const nextLine = async (): Promise<string | undefined> => (await lines.next()).value;
const send = (line: string) => process.stdout.write(`${line}\n`);
const codeOf = (error: unknown) =>
  typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;

async function main(): Promise<void> {
  const task = JSON.parse((await nextLine()) ?? "null") as WriterTask;
  const href = task.module.startsWith("file:") ? task.module : pathToFileURL(task.module).href;
  const loaded = (await import(href)) as Partial<Opener> & { default?: Partial<Opener> };
  const opener = typeof loaded.open === "function" ? loaded : loaded.default;
  if (typeof opener?.open !== "function") {
    throw new Error(`${task.module} exports no open(storage) function (named or on its default export).`);
  }
  const journal = await opener.open(task.storage);
  send("ready");
  await nextLine();
  const deadline = Date.now() + task.deadlineMs;
  const event = (runId: string, iteration: number): NewEvent => ({ ...task.template, runId, iteration });
  if (task.kind === "lease") {
    if (typeof journal.acquire !== "function") throw new Error("This journal has no acquire().");
    await journal.acquire(task.threadId);
    send("ack 0");
    await new Promise((resolve) => setTimeout(resolve, task.deadlineMs));
  } else if (task.kind === "race") {
    let won = 0;
    let head = await journal.head(task.threadId);
    while (won < (task.wins ?? 1) && Date.now() < deadline) {
      try {
        const { lastSeq } = await journal.append(task.threadId, [event(task.writer, won)], head);
        send(`ack ${lastSeq}`);
        won++;
        head = lastSeq;
      } catch (error) {
        if (codeOf(error) !== "journal_conflict") throw error;
        await new Promise((resolve) => setTimeout(resolve, 1));
        head = await journal.head(task.threadId);
      }
    }
  } else {
    const size = task.batchSize ?? 1;
    let head = await journal.head(task.threadId);
    for (let batch = 0; Date.now() < deadline; batch++) {
      const runId = `${task.writer}.${batch}`;
      const events = Array.from({ length: size }, (_, i) => event(runId, i));
      try {
        head = (await journal.append(task.threadId, events, head)).lastSeq;
        send(`ack ${head}`);
      } catch (error) {
        // A batch of a killed writer that committed after its death: read the head again.
        if (codeOf(error) !== "journal_conflict") throw error;
        head = await journal.head(task.threadId);
      }
    }
  }
  await journal.close();
  send("done");
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    const code = codeOf(error);
    send(`error ${JSON.stringify(`${code === undefined ? "" : `[${String(code)}] `}${String(error)}`)}`);
    process.exit(1);
  },
);
