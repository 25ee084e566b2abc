import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readAll } from "@loom/core";
import { describe, expect, it } from "vitest";
import { FsJournal } from "../src/index.js";
import { event, tempRoot } from "./helpers.js";

const newDir = tempRoot("fork-files");
const builtPackage = fileURLToPath(new URL("../dist/index.js", import.meta.url));
const forkFiles = (dir: string) => readdirSync(dir).filter((name) => name.startsWith(".fork-"));
const UUID = "0f8fad5b-d9cb-469f-a165-70867728950e";

/** A thread of `events` events of about 1 kB each, written by a journal closed since. */
async function bigThread(dir: string, threadId: string, events: number): Promise<void> {
  const journal = new FsJournal({ dir, fsync: "never" });
  const text = "x".repeat(1_000);
  for (let head = -1; head < events - 1; ) {
    const batch = Array.from({ length: 500 }, (_, i) => event(`${head + i} ${text}`));
    head = (await journal.append(threadId, batch, head)).lastSeq;
  }
  await journal.close();
}

describe("temporary files of forks", () => {
  it("a fork cut by SIGKILL leaves its temporary file; the next fork in the folder removes it, and the fork can be made again", async () => {
    const dir = newDir();
    await bigThread(dir, "big", 40_000);
    const script = `
      const { FsJournal } = await import(${JSON.stringify(builtPackage)});
      await new FsJournal({ dir: ${JSON.stringify(dir)} }).fork("big", 39_999, "copy");
      console.log("finished");`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: "pipe" });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise((resolve) => child.on("exit", resolve));
    const deadline = Date.now() + 20_000;
    while (forkFiles(dir).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    child.kill("SIGKILL");
    await exited;
    expect(output).not.toContain("finished");
    const left = forkFiles(dir);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(new RegExp(`^\\.fork-${child.pid}-\\d+-[0-9a-f]{8}-[0-9a-f-]{36}\\.tmp$`));

    const journal = new FsJournal({ dir });
    expect(await journal.head("copy")).toBe(-1);
    await journal.fork("big", 9, "small-copy");
    expect(forkFiles(dir)).toEqual([]);
    await journal.fork("big", 39_999, "copy");
    expect(await journal.head("copy")).toBe(39_999);
    expect((await readAll(journal, "copy", { from: 39_999 }))[0]?.data).toEqual(
      (await readAll(journal, "big", { from: 39_999 }))[0]?.data,
    );
    await journal.close();
  }, 60_000);

  it("leaves those of a live process, of this one, and of older versions (their process cannot be told)", async () => {
    const dir = newDir();
    mkdirSync(dir, { recursive: true });
    const dead = spawnSync(process.execPath, [
      "-e",
      "process.stdout.write(String(process.pid))",
    ]).stdout.toString();
    const boot = (await import("node:fs")).readFileSync("/proc/sys/kernel/random/boot_id", "utf8");
    const boot8 = boot.trim().replaceAll("-", "").slice(0, 8);
    const otherBoot = boot8 === "00000000" ? "11111111" : "00000000";
    const names = {
      deadProcess: `.fork-${dead}-x-${boot8}-${UUID}.tmp`,
      otherBoot: `.fork-${process.ppid}-x-${otherBoot}-${UUID}.tmp`,
      liveParent: `.fork-${process.ppid}-x-${boot8}-${UUID}.tmp`,
      thisProcess: `.fork-${process.pid}-x-${boot8}-${UUID}.tmp`,
      olderVersion: `.fork-${UUID}.tmp`,
    };
    for (const name of Object.values(names)) writeFileSync(join(dir, name), "{}\n");
    const journal = new FsJournal({ dir });
    await journal.append("t", [event("a")], -1);
    await journal.fork("t", 0, "t2");
    expect(forkFiles(dir).sort()).toEqual([names.liveParent, names.thisProcess, names.olderVersion].sort());
    expect(existsSync(join(dir, names.deadProcess))).toBe(false);
    await journal.close();
  });
});
