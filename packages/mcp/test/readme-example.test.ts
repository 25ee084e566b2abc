import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, expect, it, vi } from "vitest";
import { FILESYSTEM } from "./servers.js";

const generated = new URL("./readme-example.generated.ts", import.meta.url);
afterAll(() => rmSync(generated, { force: true }));

it("the README's example reads a file, pauses before writing one, and finishes after approval", async () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const example = /```ts\n([\s\S]*?)```/.exec(readme)![1]!;
  // The same server from the pnpm store instead of `npx -y` (which may go to the registry).
  const offline = example.replace(
    '{ command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem@2026.8.31", folder] }',
    `{ command: process.execPath, args: [${JSON.stringify(FILESYSTEM)}, folder] }`,
  );
  expect(offline).not.toBe(example);
  writeFileSync(generated, offline);
  const logs: string[] = [];
  const log = vi
    .spyOn(console, "log")
    .mockImplementation((...args) => void logs.push(args.map(String).join(" ")));
  try {
    await import(generated.href);
  } finally {
    log.mockRestore();
  }
  expect(logs).toEqual(["interrupted", "completed Your list had one item; I marked it done."]);
});
