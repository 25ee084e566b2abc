import { runReadmeExample } from "@loom/testing/vitest";
import { expect, it } from "vitest";

it("the README's example pauses for approval and finishes after it", async () => {
  const logs = await runReadmeExample(new URL("../README.md", import.meta.url));
  expect(logs[0]).toBe("interrupted");
  expect(logs[1]).toMatch(/^completed/);
});
