import { loomProject } from "../../vitest.shared.ts";

const project = loomProject(import.meta.url);
export default {
  ...project,
  test: { ...project.test, setupFiles: ["./test/setup-no-sdk-warnings.ts"] },
};
