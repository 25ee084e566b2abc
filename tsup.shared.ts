import type { Options } from "tsup";

/** The build every published package shares: ESM + CJS + .d.ts from src/index.ts. */
export function packageBuild(overrides: Options = {}): Options {
  return {
    entry: ["src/index.ts"],
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    clean: true,
    tsconfig: "tsconfig.build.json",
    target: "node22",
    ...overrides,
  };
}
