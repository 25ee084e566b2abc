import { defineConfig } from "tsup";

// Three entries: the library (scenarios, ledger, counts), the agent process the harness starts and
// kills, and the command behind `pnpm test:chaos`.
export default defineConfig({
  entry: ["src/index.ts", "src/agent-process.ts", "src/cli.ts"],
  format: ["esm"],
  sourcemap: true,
  clean: true,
  tsconfig: "tsconfig.build.json",
  target: "node22",
});
