import { runReadmeExample } from "@loom/testing/vitest";
import { expect, it } from "vitest";

it("the README's example runs and prints the final answer", async () => {
  const logs = await runReadmeExample(new URL("../README.md", import.meta.url), { quiet: true });
  expect(logs).toContain("It is 21 °C in Lisbon.");
  expect(logs.at(-1)).toBe("14 events journaled");
});
