import { defineConfig } from "tsup";
import { packageBuild } from "../../tsup.shared.ts";

// shims: recordingPath() finds the shipped recordings from import.meta.url, in the CJS build too.
export default defineConfig(packageBuild({ external: ["vitest"], shims: true }));
