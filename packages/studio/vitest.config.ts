import { defineProject, mergeConfig } from "vitest/config";
import { loomProject } from "../../vitest.shared.ts";

// The browser tests open the prebuilt page: build it first, as `pnpm build` does.
export default mergeConfig(
  loomProject(import.meta.url, { isolate: false }),
  defineProject({ test: { globalSetup: ["./test/build-page.setup.ts"] } }),
);
