import { FsJournal } from "@loom/journal-fs";
import { exampleAgent, startExampleServer } from "./index.js";

const dir = process.argv[2] ?? ".loom-sse-example";
const journal = new FsJournal({ dir });
const server = await startExampleServer({
  journal,
  agent: exampleAgent(journal),
  port: Number(process.env.PORT ?? 3000),
});
process.stdout.write(`Open ${server.url}\n(threads are journaled in ${dir}; Ctrl-C stops)\n`);
process.on("SIGINT", () => {
  void server
    .close()
    .then(() => journal.close())
    .then(() => process.exit(0));
});
