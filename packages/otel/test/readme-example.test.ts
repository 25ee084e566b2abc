import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, expect, it, vi } from "vitest";

const generated = new URL("./readme-example.generated.ts", import.meta.url);
afterAll(() => rmSync(generated, { force: true }));

it("the README's example prints the spans of a run, then the same ones again from the journal", async () => {
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
    "chat scripted-model 52 tokens in",
    "execute_tool weather ",
    "chat scripted-model 80 tokens in",
    "invoke_agent forecaster ",
    expect.stringMatching(/^[0-9a-f]{32} 4 spans$/),
  ]);
});

it("the README's loomIdGenerator block makes a run's root a real root", async () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const block = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)]
    .map((m) => m[1]!)
    .find((code) => code.includes("loomIdGenerator()"));
  writeFileSync(generated, block!);
  const logs: string[] = [];
  const log = vi
    .spyOn(console, "log")
    .mockImplementation((...args) => void logs.push(args.map(String).join(" ")));
  try {
    await import(`${generated.href}?ids`);
  } finally {
    log.mockRestore();
  }
  expect(logs).toEqual(["true"]);
});
