import { runReadmeExample } from "@loom/testing/vitest";
import { expect, it } from "vitest";

it("the README's example prints the spans of a run, then the same ones again from the journal", async () => {
  const logs = await runReadmeExample(new URL("../README.md", import.meta.url));
  expect(logs).toEqual([
    "chat scripted-model 52 tokens in",
    "execute_tool weather ",
    "chat scripted-model 80 tokens in",
    "invoke_agent forecaster ",
    expect.stringMatching(/^[0-9a-f]{32} 4 spans$/),
  ]);
});

it("the README's loomIdGenerator block makes a run's root a real root", async () => {
  const logs = await runReadmeExample(new URL("../README.md", import.meta.url), {
    block: (code) => code.includes("loomIdGenerator()"),
  });
  expect(logs).toEqual(["true"]);
});
