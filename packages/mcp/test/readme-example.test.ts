import { runReadmeExample } from "@loom/testing/vitest";
import { expect, it } from "vitest";
import { EVERYTHING, FILESYSTEM } from "./servers.js";

it("the README's example reads a file, pauses before writing one, and finishes after approval", async () => {
  // The same server from the pnpm store instead of `npx -y` (which may go to the registry).
  const logs = await runReadmeExample(new URL("../README.md", import.meta.url), {
    rewrite: (example) => {
      const offline = example.replace(
        '{ command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem@2026.8.31", folder] }',
        `{ command: process.execPath, args: [${JSON.stringify(FILESYSTEM)}, folder] }`,
      );
      expect(offline).not.toBe(example);
      return offline;
    },
  });
  expect(logs).toEqual(["interrupted", "completed Your list had one item; I marked it done."]);
});

it("the README's tool-list example runs an agent on the server's ToolSet", async () => {
  const logs = await runReadmeExample(new URL("../README.md", import.meta.url), {
    block: (code) => code.includes("server.toolSet"),
    rewrite: (example) => {
      const offline = example.replace(
        '{ command: "npx", args: ["-y", "@modelcontextprotocol/server-everything@2026.8.31"] }',
        `{ command: process.execPath, args: [${JSON.stringify(EVERYTHING)}, "stdio"] }`,
      );
      expect(offline).not.toBe(example);
      return offline;
    },
  });
  expect(logs.at(-1)).toBe("completed");
});

it("the README's resources example reads a document and a prompt of server-everything into runs", async () => {
  const logs = await runReadmeExample(new URL("../README.md", import.meta.url), {
    block: (code) => code.includes("promptInput(prompt)"),
    rewrite: (example) => {
      const offline = example.replace(
        'command: "npx",\n  args: ["-y", "@modelcontextprotocol/server-everything@2026.8.31"],',
        `command: process.execPath,\n  args: [${JSON.stringify(EVERYTHING)}, "stdio"],`,
      );
      expect(offline).not.toBe(example);
      return offline;
    },
  });
  expect(logs).toEqual(["completed completed"]);
});
