import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runReadmeExample } from "@loom/testing/vitest";
import { expect, it } from "vitest";
import { tempRoot } from "./helpers.js";

const newDir = tempRoot("readme");

it("the README's example runs: the run is journaled to files another journal reads back", async () => {
  const dir = join(newDir(), "journal");
  const logs = await runReadmeExample(new URL("../README.md", import.meta.url), {
    rewrite: (code) => {
      expect(code).toContain('".loom/journal"');
      return code.replaceAll('".loom/journal"', JSON.stringify(dir));
    },
  });
  expect(logs[0]).toBe("Hello from a journaled run.");
  expect(logs[1]).toMatch(/^greeting \d+ events, completed$/);
  expect(logs[2]).toMatch(/^run\.started > .* > run\.completed$/);
  expect(readFileSync(join(dir, "greeting.jsonl"), "utf8").split("\n").length).toBeGreaterThan(3);
});
