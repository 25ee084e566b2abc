import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { readAll } from "@loom/core";
import { FsJournal } from "@loom/journal-fs";
import { startCompatibleServer } from "@loom/testing";
import { afterAll, describe, expect, it } from "vitest";

// The demo on any AI SDK model the user names: here @ai-sdk/openai-compatible on a local server,
// as with Ollama or vLLM, with no API key.

const main = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const model = fileURLToPath(new URL("./fixtures/local-model.mjs", import.meta.url));
const cwd = mkdtempSync(join(tmpdir(), "loom-demo-model-"));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe("the demo with --model <module>", () => {
  it("runs the research agent on the module's AI SDK model and journals its answers", async () => {
    expect(existsSync(main), "run `pnpm build` first").toBe(true);
    const server = await startCompatibleServer();
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [main, "--model", model, "--no"], {
        cwd,
        env: { ...process.env, LOCAL_BASE_URL: server.baseURL, OPENAI_API_KEY: "", ANTHROPIC_API_KEY: "" },
      });
      expect(stdout).toMatch(/Loom demo — local\.chat\/local-model/);
      expect(server.calls.length).toBeGreaterThan(0);
      expect(server.calls.every((c) => c.headers.authorization === undefined)).toBe(true);
      const dir = join(cwd, ".loom", "journal");
      const [file] = readdirSync(dir).filter((f) => f.endsWith(".jsonl"));
      const journal = new FsJournal({ dir });
      const events = await readAll(journal, file!.replace(/\.jsonl$/, ""));
      await journal.close();
      const answered = events.filter((e) => e.type === "llm.completed");
      expect(answered.length).toBe(server.calls.length);
      expect(events.at(-1)?.type).toBe("run.completed");
    } finally {
      await server.close();
    }
  });

  it("refuses a module that exports no model, saying so", async () => {
    const bad = join(cwd, "not-a-model.mjs");
    writeFileSync(bad, "export const x = 1;\n");
    const error = await promisify(execFile)(process.execPath, [main, "--model", bad], { cwd }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(error).toMatchObject({ code: 2 });
    expect((error as { stderr: string }).stderr).toMatch(/^loom demo: /);
  });
});
