import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*", "examples/*"],
    reporters: ["default", "json"],
    outputFile: { json: "test-results/vitest.json" },
  },
});
