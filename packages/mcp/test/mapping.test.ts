import { describe, expect, it } from "vitest";
import { base64Bytes, loomToolName, policyFromAnnotations, readCallResult } from "../src/index.js";

describe("annotations → policy (MCP spec defaults)", () => {
  it.each([
    [undefined, { idempotent: false, onUnknownOutcome: "ask", needsApproval: true, destructive: true }],
    [
      { readOnlyHint: true },
      { idempotent: true, onUnknownOutcome: "fail", needsApproval: false, destructive: false },
    ],
    [
      { idempotentHint: true },
      { idempotent: true, onUnknownOutcome: "ask", needsApproval: true, destructive: true },
    ],
    [
      { destructiveHint: false },
      { idempotent: false, onUnknownOutcome: "fail", needsApproval: false, destructive: false },
    ],
    [
      { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
      { idempotent: false, onUnknownOutcome: "ask", needsApproval: true, destructive: true },
    ],
    // destructiveHint is meaningless on a read-only tool
    [
      { readOnlyHint: true, destructiveHint: true },
      { idempotent: true, needsApproval: false, destructive: false },
    ],
  ])("%j → %j", (annotations, policy) => {
    expect(policyFromAnnotations(annotations)).toMatchObject(policy);
  });

  it("the user's settings win", () => {
    expect(
      policyFromAnnotations(
        { readOnlyHint: true },
        { idempotent: false, onUnknownOutcome: "retry", needsApproval: true },
      ),
    ).toEqual({
      idempotent: false,
      readOnly: false,
      onUnknownOutcome: "retry",
      needsApproval: true,
      destructive: false,
    });
  });

  it("a tool is read-only (run while its start is journaled) only when the user says so", () => {
    expect(policyFromAnnotations({ readOnlyHint: true }).readOnly).toBe(false);
    expect(policyFromAnnotations({ readOnlyHint: true }, { readOnly: true }).readOnly).toBe(true);
    expect(policyFromAnnotations(undefined, { readOnly: true })).toMatchObject({
      readOnly: true,
      destructive: true,
    });
  });
});

describe("names", () => {
  it("prefixes, and replaces what model APIs refuse", () => {
    expect(loomToolName("github_", "search_issues")).toBe("github_search_issues");
    expect(loomToolName("", "files.read/v2 beta")).toBe("files_read_v2_beta");
    expect(loomToolName("", "é")).toBe("_");
    expect(loomToolName("p_", "x".repeat(100))).toHaveLength(64);
  });
});

describe("results", () => {
  it("joins text, describes binary blocks with their size, keeps structured content", () => {
    const read = readCallResult({
      content: [
        { type: "text", text: "a" },
        { type: "image", data: "AAAA", mimeType: "image/png" },
        { type: "audio", data: "AAA=", mimeType: "audio/wav" },
        { type: "resource_link", uri: "file:///x", name: "x" },
        { type: "resource", resource: { uri: "file:///t", text: "inline" } },
        { type: "resource", resource: { uri: "file:///b", mimeType: "application/zip", blob: "AA==" } },
      ],
      structuredContent: { n: 1 },
    });
    expect(read.text).toBe(
      "a\n\n[image: image/png, 3 bytes]\n\n[audio: audio/wav, 2 bytes]\n\n[resource link: file:///x x]\n\ninline\n\n[resource: file:///b, application/zip, 1 bytes]",
    );
    expect(read.binary).toBe(true);
    expect(read.structured).toEqual({ n: 1 });
  });

  it("structured content alone is shown as JSON", () => {
    expect(readCallResult({ content: [], structuredContent: { ok: true } }).text).toBe('{"ok":true}');
  });

  it("base64Bytes counts padding", () => {
    expect([base64Bytes(""), base64Bytes("AA=="), base64Bytes("AAA="), base64Bytes("AAAA")]).toEqual([
      0, 1, 2, 3,
    ]);
  });
});
