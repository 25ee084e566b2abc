import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, expect, it, vi } from "vitest";

const generated = new URL("./readme-example.generated.ts", import.meta.url);
afterAll(() => rmSync(generated, { force: true }));

it("the README's example pauses a thread, approves it through the studio and sees the tool run", async () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  writeFileSync(generated, /```ts\n([\s\S]*?)```/.exec(readme)![1]!);
  const logs: string[] = [];
  const log = vi
    .spyOn(console, "log")
    .mockImplementation((...args) => void logs.push(args.map(String).join(" ")));
  try {
    await import(generated.href);
  } finally {
    log.mockRestore();
  }
  expect(logs).toEqual([
    "interrupted",
    expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/\?token=…$/),
    "deleted notes.txt",
  ]);
});
