import { runReadmeExample } from "@loom/testing/vitest";
import { expect, it } from "vitest";

it("the README's example pauses a thread, approves it through the studio and sees the tool run", async () => {
  const logs = await runReadmeExample(new URL("../README.md", import.meta.url));
  expect(logs).toEqual([
    "interrupted",
    expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/\?token=…$/),
    "deleted notes.txt",
  ]);
});
