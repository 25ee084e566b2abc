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

it("the README's sampling, elicitation and roots example runs the three tools that need them", async () => {
  const logs = await runReadmeExample(new URL("../README.md", import.meta.url), {
    block: (code) => code.includes("onElicitation"),
    rewrite: (example) => {
      const offline = example
        .replace(
          '{ command: "npx", args: ["-y", "@modelcontextprotocol/server-everything@2026.8.31"] }',
          `{ command: process.execPath, args: [${JSON.stringify(EVERYTHING)}, "stdio"] }`,
        )
        // The journal kept, and each tool's result printed, to check each reached its handler.
        .replace("import { createAgent, MemoryJournal }", "import { createAgent, MemoryJournal, readAll }")
        .replace("  journal: new MemoryJournal(),", "  journal: (globalThis.journal = new MemoryJournal()),")
        .replace(
          "console.log(result.status, mcp.roots?.length);",
          `console.log(result.status, mcp.roots?.length);
for (const e of await readAll(globalThis.journal, "asks")) if (e.type === "tool.completed") console.log(e.data.content);`,
        );
      expect(offline).not.toBe(example);
      return offline;
    },
  });
  expect(logs[0]).toBe("completed 1");
  expect(logs.join("\n")).toContain("Hi from your model");
  expect(logs.join("\n")).toContain("- Name: Ada");
  expect(logs.join("\n")).toContain("1. project");
});
