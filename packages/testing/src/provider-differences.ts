import { createHash } from "node:crypto";
import type { ProviderStreamPart } from "@loom/core";

/** Text compared by its hash when it is too long to spell out in a case. */
export interface TextDigest {
  readonly length: number;
  readonly sha256: string;
  readonly startsWith: string;
}

/** A digest of a long text, for an expected message or stream run. */
export function textDigest(text: string, prefixLength = 40): TextDigest {
  return {
    length: text.length,
    sha256: createHash("sha256").update(text).digest("hex"),
    startsWith: text.slice(0, prefixLength),
  };
}

export const isTextDigest = (value: unknown): value is TextDigest =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as TextDigest).sha256 === "string" &&
  typeof (value as TextDigest).length === "number";

/**
 * One run of the stream, as a case expects it: the deltas of one kind in a row, joined. How a
 * provider cuts a text into deltas is its own business; what the text is, and in which order text,
 * reasoning and each tool call come, is not.
 */
export type StreamRun =
  | { readonly type: "text"; readonly text: string }
  | { readonly type: "reasoning"; readonly text: string }
  | {
      readonly type: "tool-call";
      readonly index: number;
      readonly callId: string | undefined;
      readonly name: string | undefined;
      readonly arguments: string;
    };

export type ExpectedStreamRun =
  | { readonly type: "text"; readonly text: string | TextDigest }
  | { readonly type: "reasoning"; readonly text: string | TextDigest }
  | {
      readonly type: "tool-call";
      readonly index: number;
      readonly callId: string;
      readonly name: string;
      readonly arguments: string;
    };

/**
 * The deltas before `finish`, with runs of one kind joined (a tool call's deltas by index). Empty
 * text and reasoning deltas say nothing and are dropped. The id and name of a call are the first
 * its deltas carry.
 */
export function streamRuns(parts: readonly ProviderStreamPart[]): StreamRun[] {
  const runs: StreamRun[] = [];
  for (const part of parts) {
    const last = runs.at(-1);
    if (part.type === "text-delta" || part.type === "reasoning-delta") {
      if (part.delta === "") continue;
      const type = part.type === "text-delta" ? "text" : "reasoning";
      if (last?.type === type) runs[runs.length - 1] = { type, text: last.text + part.delta };
      else runs.push({ type, text: part.delta });
    } else if (part.type === "tool-call-delta") {
      if (last?.type === "tool-call" && last.index === part.index) {
        runs[runs.length - 1] = {
          ...last,
          callId: last.callId ?? part.callId,
          name: last.name ?? part.name,
          arguments: last.arguments + part.argsDelta,
        };
      } else {
        runs.push({
          type: "tool-call",
          index: part.index,
          callId: part.callId,
          name: part.name,
          arguments: part.argsDelta,
        });
      }
    }
  }
  return runs;
}

/** A value for a message: long strings cut, so a difference reads on one screen. */
export function show(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "string" && v.length > 160 ? `${v.slice(0, 120)}…(${v.length} chars)` : v,
  );
  return text === undefined ? "undefined" : text;
}

/** Same text, or the text a digest was made of. */
export function textMatches(actual: unknown, expected: string | TextDigest): boolean {
  if (typeof actual !== "string") return false;
  if (typeof expected === "string") return actual === expected;
  return (
    actual.length === expected.length &&
    actual.startsWith(expected.startsWith) &&
    createHash("sha256").update(actual).digest("hex") === expected.sha256
  );
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Where `actual` first differs from `expected`, compared as JSON values: key order does not count,
 * a key set to `undefined` is a key left out, and an expected `TextDigest` where the actual value
 * is a string matches the text it digests. `undefined` when they are the same.
 */
export function firstDifference(expected: unknown, actual: unknown, path = ""): string | undefined {
  const at = path || "(root)";
  if (isTextDigest(expected) && typeof actual === "string") {
    return textMatches(actual, expected)
      ? undefined
      : `${at}: expected the text of ${show(expected)}, got ${show(actual)}`;
  }
  if (Array.isArray(expected) || Array.isArray(actual)) {
    if (!Array.isArray(expected) || !Array.isArray(actual))
      return `${at}: expected ${show(expected)}, got ${show(actual)}`;
    for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
      if (i >= expected.length) return `${path}[${i}]: not expected, got ${show(actual[i])}`;
      if (i >= actual.length) return `${path}[${i}]: missing, expected ${show(expected[i])}`;
      const inner = firstDifference(expected[i], actual[i], `${path}[${i}]`);
      if (inner) return inner;
    }
    return undefined;
  }
  if (isRecord(expected) || isRecord(actual)) {
    if (!isRecord(expected) || !isRecord(actual))
      return `${at}: expected ${show(expected)}, got ${show(actual)}`;
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    for (const key of [...keys].sort()) {
      const inner = firstDifference(expected[key], actual[key], path ? `${path}.${key}` : key);
      if (inner) return inner;
    }
    return undefined;
  }
  if (Object.is(expected, actual)) return undefined;
  if (
    typeof expected === "string" &&
    typeof actual === "string" &&
    Math.max(expected.length, actual.length) > 60
  ) {
    let i = 0;
    while (i < expected.length && expected[i] === actual[i]) i++;
    const around = (text: string) => show(text.slice(Math.max(0, i - 20), i + 40));
    return `${at}: differs at character ${i}: expected …${around(expected)}…, got …${around(actual)}…`;
  }
  return `${at}: expected ${show(expected)}, got ${show(actual)}`;
}

/**
 * Where `actual` lacks what `expected` holds: every key of an expected object must be in the actual
 * one (extra keys are fine), arrays and other values must be the same.
 */
export function firstMissing(expected: unknown, actual: unknown, path = ""): string | undefined {
  if (isRecord(expected) && isRecord(actual)) {
    for (const key of Object.keys(expected).sort()) {
      const inner = firstMissing(expected[key], actual[key], path ? `${path}.${key}` : key);
      if (inner) return inner;
    }
    return undefined;
  }
  return firstDifference(expected, actual, path);
}

/** The first run that differs, with its index: "stream run 2 of 3: expected ..., got ...". */
export function streamDifference(
  expected: readonly ExpectedStreamRun[],
  actual: readonly StreamRun[],
): string | undefined {
  for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
    const want = expected[i];
    const got = actual[i];
    const inner = firstDifference(want, got);
    if (inner === undefined) continue;
    const kinds = (runs: readonly (StreamRun | ExpectedStreamRun)[]) =>
      runs.map((r) => (r.type === "tool-call" ? `tool-call[${r.index}]` : r.type)).join(", ");
    return (
      `stream run ${i} differs (${inner}).\n` +
      `  expected run ${i}: ${show(want)}\n  actual run ${i}:   ${show(got)}\n` +
      `  expected kinds: ${kinds(expected)}\n  actual kinds:   ${kinds(actual)}`
    );
  }
  return undefined;
}
