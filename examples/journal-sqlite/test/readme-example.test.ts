import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it, vi } from "vitest";

const generated = new URL("./readme-example.generated.ts", import.meta.url);
const dir = mkdtempSync(join(tmpdir(), "loom-journal-sqlite-readme-"));
afterAll(() => {
  rmSync(generated, { force: true });
  rmSync(dir, { recursive: true, force: true });
});

it("the README's example runs: the run is journaled in the SQLite file", async () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
  expect(code).toContain('"loom.db"');
  const file = join(dir, "loom.db");
  writeFileSync(
    generated,
    code
      .replaceAll('"loom.db"', JSON.stringify(file))
      .replace('"loom-journal-sqlite-example"', '"../src/index.ts"'),
  );
  const logs: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...args) => void logs.push(args.join(" ")));
  try {
    await import(generated.href);
  } finally {
    log.mockRestore();
  }
  expect(logs[0]).toBe("Stored in SQLite.");
  expect(logs[1]).toMatch(/^run\.started > .* > run\.completed$/);
  const { DatabaseSync } = await import("node:sqlite");
  const db = new DatabaseSync(file);
  expect(db.prepare("SELECT head, status FROM threads WHERE thread_id = 'where'").get()).toMatchObject({
    status: "completed",
  });
  db.close();
});
