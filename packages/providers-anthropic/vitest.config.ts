import type { UserWorkspaceConfig } from "vitest/config";
import { loomProject } from "../../vitest.shared.ts";

const project = loomProject(import.meta.url, { isolate: false });
const config: UserWorkspaceConfig = {
  ...project,
  test: { ...project.test, setupFiles: ["./test/setup-no-sdk-warnings.ts"] },
};
export default config;
