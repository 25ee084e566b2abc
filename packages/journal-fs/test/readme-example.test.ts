import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it, vi } from "vitest";
import { tempRoot } from "./helpers.js";

const generated = new URL("./readme-example.generated.ts", import.meta.url);
afterAll(() => rmSync(generated, { force: true }));
const newDir = tempRoot("readme");

it("the README's example runs: the run is journaled to files another journal reads back", async () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code).toContain('".loom/journal"');
  const dir = join(newDir(), "journal");
  writeFileSync(generated, code!.replaceAll('".loom/journal"', JSON.stringify(dir)));
  const logs: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...args) => void logs.push(args.join(" ")));
  try {
    await import(generated.href);
  } finally {
    log.mockRestore();
  }
  expect(logs[0]).toBe("Hello from a journaled run.");
  expect(logs[1]).toMatch(/^greeting \d+ events, completed$/);
  expect(logs[2]).toMatch(/^run\.started > .* > run\.completed$/);
  expect(readFileSync(join(dir, "greeting.jsonl"), "utf8").split("\n").length).toBeGreaterThan(3);
});
