import { MemoryJournal, readAll } from "@loom/core";
import { describe, expect, it } from "vitest";
import { runDemo } from "../src/demo.js";

describe("the demo", () => {
  it("streams the research run and ends with a summary that matches the journal", async () => {
    const journal = new MemoryJournal();
    let output = "";
    const summary = await runDemo({ journal, write: (text) => (output += text) });
    const events = await readAll(journal, "demo-research");
    expect(summary.iterations).toBe(3);
    expect(summary.toolCalls).toBe(3);
    expect(events.filter((e) => e.type === "tool.started")).toHaveLength(3);
    expect(events.filter((e) => e.type === "tool.completed" && e.data.error)).toHaveLength(0);
    expect(summary.answer).toMatch(/write-ahead log/);
    expect(output).toContain('→ read_page({"url":"https://example.org/event-sourcing"})');
    expect(output).toContain("model: I'll look for material");
    expect(output).toContain(
      `Summary: 3 iterations, 3 tool calls, ${summary.inputTokens} tokens in / ${summary.outputTokens} tokens out`,
    );
    expect(summary.inputTokens).toBeGreaterThan(0);
  });
});
