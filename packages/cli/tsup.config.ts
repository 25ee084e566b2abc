import { defineConfig } from "tsup";
import { packageBuild } from "../../tsup.shared.ts";

export default defineConfig([
  packageBuild(),
  // The `loom` binary as one file with @loom/core, @loom/journal-fs and zod (the debugger a chunk
  // of its own, loaded by the commands that use it): a fresh process that loads 100 modules pays
  // for resolving, reading and compiling each. Journals of other kinds, studio and a user's agent
  // file load from node_modules as before.
  packageBuild({
    entry: ["src/bin.ts"],
    format: ["esm"],
    dts: false,
    clean: false,
    splitting: true,
    noExternal: ["@loom/core", "@loom/journal-fs", "@loom/debugger", "zod"],
    banner: { js: "#!/usr/bin/env node" },
  }),
]);
