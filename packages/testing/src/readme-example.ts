import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { vi } from "vitest";

export interface ReadmeExampleOptions {
  /**
   * Which ```ts block of the README: its index from 0, or the first block a predicate accepts.
   * Default 0: the example a reader sees first.
   */
  readonly block?: number | ((code: string) => boolean);
  /** Changes the code before it runs (a folder in a temp dir, a local server instead of npx...). */
  readonly rewrite?: (code: string) => string;
  /** Also swallows what the example writes to stdout directly (progress, streamed text). */
  readonly quiet?: boolean;
}

/**
 * Runs a README's TypeScript example as a reader would paste it, and returns what it printed with
 * `console.log`, one string per call: a test then checks the README still says what the code does.
 * The code runs from a file beside the README, so it imports packages as the README's package does.
 */
export async function runReadmeExample(readme: URL, options: ReadmeExampleOptions = {}): Promise<string[]> {
  const text = readFileSync(readme, "utf8");
  const blocks = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const pick = options.block ?? 0;
  const code = typeof pick === "number" ? blocks[pick] : blocks.find(pick);
  if (code === undefined) {
    throw new Error(`${readme.pathname} has no such \`\`\`ts block (it has ${blocks.length}).`);
  }
  const generated = new URL("./readme-example.generated.ts", readme);
  writeFileSync(generated, options.rewrite ? options.rewrite(code) : code);
  const logs: string[] = [];
  const log = vi
    .spyOn(console, "log")
    .mockImplementation((...args) => void logs.push(args.map(String).join(" ")));
  const write = options.quiet ? vi.spyOn(process.stdout, "write").mockImplementation(() => true) : undefined;
  try {
    await import(`${generated.href}?run=${Date.now()}`);
  } finally {
    log.mockRestore();
    write?.mockRestore();
    rmSync(generated, { force: true });
  }
  return logs;
}
