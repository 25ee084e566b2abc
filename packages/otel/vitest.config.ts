import { loomProject } from "../../vitest.shared.ts";

export default loomProject(import.meta.url, { isolate: false });
