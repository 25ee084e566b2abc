import { defineConfig } from "tsup";
import { packageBuild } from "../../tsup.shared.ts";

// Two entries: "." is the journal (pg only); "./queue" is ThreadQueue, the only one to load pg-boss.
export default defineConfig(packageBuild({ entry: { index: "src/index.ts", queue: "src/queue.ts" } }));
