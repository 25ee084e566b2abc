import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, expect, it, vi } from "vitest";

const generated = new URL("./readme-example.generated.ts", import.meta.url);
afterAll(() => rmSync(generated, { force: true }));

it("the README's example runs and prints the final answer", async () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code).toBeDefined();
  writeFileSync(generated, code!);
  const logs: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...args) => void logs.push(args.join(" ")));
  const write = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  try {
    await import(generated.href);
  } finally {
    log.mockRestore();
    write.mockRestore();
  }
  expect(logs).toContain("It is 21 °C in Lisbon.");
  expect(logs.at(-1)).toBe("14 events journaled");
});
