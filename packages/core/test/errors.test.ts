import { JournalConflictError, JournalError, LoomError } from "@loom/core";
import { describe, expect, it } from "vitest";

describe("JournalConflictError", () => {
  it("says which seqs disagreed and what to do, by default", () => {
    const error = new JournalConflictError("t1", 4, 6);
    expect(error.message).toMatch(/"t1" is at seq 6, but the writer expected 4.*Re-read the thread/);
    expect([error.code, error.threadId, error.expectedSeq, error.actualSeq]).toEqual([
      "journal_conflict",
      "t1",
      4,
      6,
    ]);
    expect(JournalError.isInstance(error) && LoomError.isInstance(error)).toBe(true);
  });

  it("takes a journal's own message and cause, keeping its fields and class", () => {
    const cause = new Error("EEXIST");
    const error = new JournalConflictError("t1", 4, 6, { message: "held by pid 42", cause });
    expect(error.message).toBe("held by pid 42");
    expect(error.cause).toBe(cause);
    expect([error.code, error.actualSeq]).toEqual(["journal_conflict", 6]);
    expect(JournalConflictError.isInstance(error)).toBe(true);
  });
});
