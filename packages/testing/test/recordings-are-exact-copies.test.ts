import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadRecording, recordingPath } from "../src/index.js";

const readme = readFileSync(recordingPath("README.md"), "utf8");
const files = ["openai", "anthropic"].flatMap((dir) =>
  readdirSync(recordingPath(dir)).map((name) => ({ dir, name, path: join(recordingPath(dir), name) })),
);

/** `git hash-object`: the SHA-1 of "blob <length>\0<content>". */
function gitBlob(content: Buffer): string {
  return createHash("sha1")
    .update(Buffer.concat([Buffer.from(`blob ${content.length}\0`), content]))
    .digest("hex");
}

describe("the shipped recordings", () => {
  it("are the 35 files the README lists", () => {
    expect(files).toHaveLength(35);
  });

  for (const file of files) {
    it(`${file.dir}/${file.name} is byte for byte the Git blob the README names, and loads`, () => {
      const row = readme.split("\n").find((line) => line.startsWith(`| \`${file.name}\``));
      expect(row, "listed in the README").toBeDefined();
      const prefix = row!.split("|")[3]!.trim();
      expect(prefix).toMatch(/^[0-9a-f]{8}$/);
      expect(gitBlob(readFileSync(file.path)).startsWith(prefix)).toBe(true);

      const recording = loadRecording(file.path);
      expect(recording.exchanges.length).toBeGreaterThan(0);
      for (const exchange of recording.exchanges) {
        expect(exchange.response.status).toBeGreaterThanOrEqual(200);
        expect(exchange.response.body.length).toBeGreaterThan(0);
        expect(exchange.response.headers["content-type"]).toMatch(/application\/json|text\/event-stream/);
      }
    });
  }
});
