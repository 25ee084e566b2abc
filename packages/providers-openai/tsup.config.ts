import { defineConfig } from "tsup";
import { packageBuild } from "../../tsup.shared.ts";

// shims: openaiTokenizer() requires the optional gpt-tokenizer from import.meta.url, in the CJS build too.
export default defineConfig(packageBuild({ shims: true }));
