import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSpans, flameGraphText } from "@loom/debugger";
import { afterAll, describe, expect, it } from "vitest";
import { delegatingThread } from "./threads.ts";

const ESC = "\u001b[";
const dist = fileURLToPath(new URL("../dist/index.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "loom-flame-text-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `writeFlameText(events, process.stdout)` in a real child process, its stdout a pipe or a pseudo-terminal. */
function printInChild(events: unknown, tty: boolean): string {
  if (!existsSync(dist))
    throw new Error(`${dist} is missing: run "pnpm build" first (pnpm test builds before testing).`);
  const eventsFile = join(dir, "events.json");
  const script = join(dir, "print.mjs");
  writeFileSync(eventsFile, JSON.stringify(events));
  writeFileSync(
    script,
    `import { readFileSync } from "node:fs";
import { writeFlameText } from ${JSON.stringify(dist)};
writeFlameText(JSON.parse(readFileSync(${JSON.stringify(eventsFile)}, "utf8")), process.stdout);
`,
  );
  const env: NodeJS.ProcessEnv = { ...process.env, COLUMNS: "100" };
  delete env.NO_COLOR;
  delete env.FORCE_COLOR;
  const command = `${process.execPath} ${script}`;
  return tty
    ? execFileSync("script", ["-qefc", command, "/dev/null"], { env, encoding: "utf8" })
    : execFileSync(process.execPath, [script], { env, encoding: "utf8" });
}

describe("terminal flame graph", () => {
  it("draws one bar per span on a shared time axis, within the width, with errors marked", async () => {
    const { events } = await delegatingThread();
    const text = flameGraphText(events, { columns: 100 });
    const lines = text.trimEnd().split("\n");
    expect(lines).toHaveLength(buildSpans(events).length + 1);
    expect(text).not.toContain(ESC);
    for (const line of lines.slice(1)) {
      const bar = line.slice(line.indexOf("|") + 1, line.lastIndexOf("|"));
      expect(bar).toHaveLength(100 - 34 - 26);
      expect(bar).toMatch(/[█▒░]/);
    }
    expect(lines[1]).toMatch(/^run agent +\|█+\| \d/);
    expect(lines.find((l) => l.includes("tool flaky"))).toMatch(
      /▒+.*error {2}tool_error: Tool "flaky" failed: disk on fire/,
    );
    expect(lines.find((l) => l.includes("frame researcher"))).toMatch(/^ {4}frame researcher/);
    expect(flameGraphText(events, { columns: 100, color: true })).toContain(`${ESC}31m▒`);
    // Too narrow a width is widened to 80 columns rather than drawing nothing.
    const narrow = flameGraphText(events, { columns: 0 }).split("\n")[1]!;
    expect(narrow.slice(narrow.indexOf("|") + 1, narrow.lastIndexOf("|"))).toHaveLength(80 - 34 - 26);
  });

  it("uses colours on a terminal and none when piped", async () => {
    const { events } = await delegatingThread();
    const piped = printInChild(events, false);
    expect(piped).toContain("tool researcher");
    expect(piped).not.toContain(ESC);
    const onTty = printInChild(events, true);
    expect(onTty).toContain("tool researcher");
    expect(onTty).toContain(`${ESC}32m`);
  });
});
