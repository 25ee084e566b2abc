import { ContextDebugger, DebuggerError } from "@loom/debugger";
import { describe, expect, it } from "vitest";
import { delegatingThread } from "./threads.ts";

describe("frames", () => {
  it("explains the root frame by default and a sub-agent's frame by its id", async () => {
    const { events } = await delegatingThread();
    const root = ContextDebugger.fromEvents(events);
    const frames = root.frames();
    const child = frames.find((f) => f.depth === 1)!;
    expect(frames.map((f) => [f.frameId, f.depth, f.name, f.iterations])).toEqual([
      ["root", 0, "agent", 2],
      [child.frameId, 1, "researcher", 2],
    ]);
    expect(child.parentFrameId).toBe("root");
    expect(root.iterations()).toEqual([1, 2]);
    expect(root.explainIteration(1).failedModelCalls).toBe(1);
    expect(root.summary().totals.failedModelCalls).toBe(1);

    const researcher = root.forFrame(child.frameId);
    expect(researcher.frameId).toBe(child.frameId);
    const first = researcher.explainIteration(1);
    expect(first.frameId).toBe(child.frameId);
    const assembled = events.find((e) => e.type === "context.assembled" && e.frameId === child.frameId);
    expect(first.seq).toBe(assembled?.seq);
    // The sub-agent's history starts at its own input, not the parent's.
    expect(researcher.explainComponent("history").iterations.map((a) => a.includedRange)).toEqual([
      [0, 1],
      [0, 3],
    ]);
    expect(ContextDebugger.fromEvents(events, { frameId: child.frameId }).toJSON()).toEqual(
      researcher.toJSON(),
    );
    expect(() => root.forFrame("root.9.nope")).toThrow(DebuggerError);
    expect(() => root.forFrame("root.9.nope")).toThrow(/frames: root, root\.1\./);
  });
});
