#!/usr/bin/env node
// A committed entry point, so package managers can link `loom` before the first build.
//
// It turns on Node's compile cache (Node >= 22.1) before anything else is loaded: every `loom`
// command is a fresh process, and about 100 modules (zod's among them) are compiled again in each.
// With the cache, V8's code for them is read from disk instead of compiled again (the README's
// "Start-up" has the figures). The cache is `NODE_COMPILE_CACHE` when set, else
// node-compile-cache in the system's temp folder; `NODE_DISABLE_COMPILE_CACHE=1` turns it off.
import module from "node:module";

module.enableCompileCache?.();
await import("../dist/bin.js");
