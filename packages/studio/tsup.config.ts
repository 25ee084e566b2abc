import { defineConfig } from "tsup";
import { packageBuild } from "../../tsup.shared.ts";

// shims: the CommonJS build finds the prebuilt page beside itself through import.meta.url too.
export default defineConfig(packageBuild({ shims: true }));
