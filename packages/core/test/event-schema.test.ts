import { EventSchemaError, LoomError, parseEvent, type StoredEvent } from "@loom/core";
import { describe, expect, it } from "vitest";

const good: StoredEvent = {
  v: 1,
  threadId: "t1",
  seq: 3,
  runId: "r1",
  ts: 1,
  frameId: "root",
  depth: 0,
  iteration: 1,
  type: "tool.started",
  data: { callId: "c1", name: "search", args: { q: "x" }, idempotencyKey: "t1:c1" },
};

describe("parseEvent", () => {
  it("accepts a well-formed event and returns it", () => {
    expect(parseEvent(JSON.parse(JSON.stringify(good)))).toEqual(good);
  });

  it("names the thread, seq and field of a malformed event", () => {
    const bad = { ...good, data: { ...good.data, callId: 42 } };
    const error = (() => {
      try {
        parseEvent(bad);
      } catch (e) {
        return e;
      }
    })();
    expect(EventSchemaError.isInstance(error)).toBe(true);
    const e = error as EventSchemaError;
    expect(e.code).toBe("event_schema");
    expect(e.threadId).toBe("t1");
    expect(e.seq).toBe(3);
    expect(e.field).toBe("data.callId");
    expect(e.message).toContain('"t1" seq 3');
    expect(LoomError.isInstance(e)).toBe(true);
  });

  it("refuses an unknown format version and says to upgrade", () => {
    expect(() => parseEvent({ ...good, v: 2 })).toThrow(/v=2.*Upgrade @loom\/core/);
  });

  it("refuses an unknown event type", () => {
    expect(() => parseEvent({ ...good, type: "tool.exploded" })).toThrow(EventSchemaError);
  });

  it("refuses things that are not events at all", () => {
    for (const raw of [null, 42, "text", [], {}]) expect(() => parseEvent(raw)).toThrow(EventSchemaError);
  });
});
