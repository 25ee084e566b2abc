import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it, vi } from "vitest";

const generated = new URL("./readme-example.generated.ts", import.meta.url);
const dir = mkdtempSync(join(tmpdir(), "loom-debugger-readme-"));
afterAll(() => {
  rmSync(generated, { force: true });
  rmSync(dir, { recursive: true, force: true });
});

it("the README's example runs, prints the summary and writes flame.html", async () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code).toContain('writeFileSync("flame.html"');
  const flame = join(dir, "flame.html");
  writeFileSync(generated, code!.replace('"flame.html"', JSON.stringify(flame)));
  const logs: string[] = [];
  const written: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...args) => void logs.push(args.join(" ")));
  const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    written.push(String(chunk));
    return true;
  });
  try {
    await import(generated.href);
  } finally {
    log.mockRestore();
    write.mockRestore();
  }
  expect(logs[0]).toMatch(/^Context of frame "root" in thread "book": 10 iteration\(s\)/);
  expect(logs[0]).toMatch(/Suggestions:\n {2}- history dropped at iterations? [\d–, ]+ \(up to \d+ tokens\)/);
  expect(logs[1]).toMatch(/^Iteration 10 of frame "root"[\s\S]*excluded:[\s\S]*history/);
  expect(existsSync(flame)).toBe(true);
  expect(readFileSync(flame, "utf8")).toMatch(/<svg id="flame"[\s\S]*data-kind="tool"/);
  expect(written.join("")).toContain("tool read_chapter");
});
