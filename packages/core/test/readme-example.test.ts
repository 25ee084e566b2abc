import { runReadmeExample } from "@loom/testing/vitest";
import { expect, it } from "vitest";

it("the README's example runs and prints the final answer", async () => {
  const logs = await runReadmeExample(new URL("../README.md", import.meta.url), { quiet: true });
  expect(logs).toContain("It is 21 °C in Lisbon.");
  expect(logs.at(-1)).toBe("14 events journaled");
});

it("the README's deleting example runs on an empty journal", async () => {
  const logs = await runReadmeExample(new URL("../README.md", import.meta.url), {
    block: (code) => code.includes("pruneThreads(journal"),
    quiet: true,
  });
  expect(logs).toEqual(["deleted 0, left 0 (a run held them or they moved on)"]);
});

it("the README's listing example runs on an empty journal", async () => {
  const logs = await runReadmeExample(new URL("../README.md", import.meta.url), {
    block: (code) => code.includes("listThreads(journal"),
    quiet: true,
  });
  expect(logs).toEqual(["listed"]);
});

it("the README's ToolSet example offers the tool added by a call", async () => {
  const logs = await runReadmeExample(new URL("../README.md", import.meta.url), {
    block: (code) => code.includes("new ToolSet()"),
    quiet: true,
  });
  expect(logs).toEqual(["grant_admin,reset_password"]);
});
