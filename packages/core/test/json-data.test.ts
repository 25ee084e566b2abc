import { describe, expect, it } from "vitest";
import { toWellFormed } from "../src/events.js";
import { jsonData } from "../src/json-data.js";

/** What a snapshot's state used to be: JSON text, parsed, made well-formed. */
const throughText = (value: unknown) => toWellFormed(JSON.parse(JSON.stringify(value)));

/** Nested `depth` levels of `{ next }`. */
function nested(depth: number, leaf: unknown): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = { next: value };
  return value;
}

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

const values: [string, unknown][] = [
  ["plain data", { a: 1, b: "two", c: [true, null, 3.5], d: { e: [] } }],
  ["undefined fields and items", { a: undefined, b: [1, undefined, 2], c: { d: undefined, e: 0 } }],
  ["functions and symbols", { f: () => 1, s: Symbol("s"), list: [() => 1, Symbol("t")] }],
  ["-0", { zero: -0, list: [-0] }],
  ["NaN and Infinity", { zero: -0, list: [Number.NaN, Number.POSITIVE_INFINITY], n: Number.NaN }],
  ["unpaired surrogates in strings", { text: "cut \ud83d", list: ["\udc00 end"], ok: "😀" }],
  ["an unpaired surrogate in a key", { "key \ud800": 1, other: 2 }],
  ["array-index keys, in property order", { b: 1, 10: "ten", a: 2, 2: "two" }],
  [
    "a __proto__ key (JSON.parse makes it an own field)",
    JSON.parse('{"__proto__": {"polluted": true}, "a": 1}'),
  ],
  ["a null-prototype object", Object.assign(Object.create(null), { a: 1, b: [2] })],
  ["a Date", { at: new Date(0) }],
  ["a Map and a Set", { map: new Map([["a", 1]]), set: new Set([1]) }],
  ["a class instance", { point: new Point(1, 2) }],
  ["toJSON", { custom: { toJSON: () => "replaced" } }],
  ["64 levels deep", nested(63, { text: "deep \ud800" })],
  ["deeper than toWellFormed goes", nested(70, { text: "deeper \ud800" })],
];

describe("jsonData: a snapshot's state without a parse", () => {
  for (const [name, value] of values) {
    it(`gives what JSON text, parsed and made well-formed, gives: ${name}`, () => {
      const copy = jsonData(value, JSON.stringify(value));
      expect(copy).toStrictEqual(throughText(value));
      // Same field order, so a journal writes the same text.
      expect(JSON.stringify(copy)).toBe(JSON.stringify(throughText(value)));
      expect(Object.is((copy as { zero?: number }).zero, -0)).toBe(false);
    });
  }

  it("copies: the state it gives shares no object with the frame it came from", () => {
    const list = [1, 2];
    const value = { list, inner: { list } };
    const copy = jsonData(value, JSON.stringify(value)) as { list: number[]; inner: { list: number[] } };
    expect(copy.list).not.toBe(list);
    expect(copy.inner.list).not.toBe(list);
    list.push(3);
    expect(copy.list).toEqual([1, 2]);
  });
});
