import { type JsonValue, toWellFormed } from "./events.js";

/** Marks a value `jsonData` does not copy itself (then the JSON text is parsed). */
const NOT_PLAIN: unique symbol = Symbol("not plain");

/**
 * `toWellFormed(JSON.parse(json))`, where `json` is `JSON.stringify(value)`, in one walk over
 * `value` instead of a parse and a walk: a snapshot's state is this copy, as any journal would
 * read it back (no `undefined` fields). The walk copies plain data (strings, finite numbers,
 * booleans, null, arrays, objects of `Object.prototype` or none); anything else in it (a Date, a
 * Map, a `toJSON`, a non-finite number, an ill-formed or `__proto__` key, deeper than
 * `toWellFormed` goes) and the text is parsed.
 */
export function jsonData(value: unknown, json: string): JsonValue {
  const copy = plainCopy(value, 0);
  return (copy === NOT_PLAIN ? toWellFormed(JSON.parse(json)) : copy) as JsonValue;
}

function plainCopy(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case "string":
      return value.isWellFormed() ? value : value.toWellFormed();
    case "boolean":
      return value;
    case "number":
      // JSON writes -0 as 0, and has no NaN or Infinity.
      return Number.isFinite(value) ? value + 0 : NOT_PLAIN;
    case "object":
      break;
    default:
      return NOT_PLAIN;
  }
  if (value === null) return null;
  if (depth >= 64) return NOT_PLAIN;
  if (Array.isArray(value)) {
    const copy = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      // JSON writes an array's undefined (and function, symbol) items as null.
      const fixed =
        item === undefined || typeof item === "function" || typeof item === "symbol"
          ? null
          : plainCopy(item, depth + 1);
      if (fixed === NOT_PLAIN) return NOT_PLAIN;
      copy[i] = fixed;
    }
    return copy;
  }
  const prototype = Object.getPrototypeOf(value);
  const record = value as Record<string, unknown>;
  if ((prototype !== Object.prototype && prototype !== null) || typeof record.toJSON === "function") {
    return NOT_PLAIN;
  }
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(record)) {
    const item = record[key];
    if (item === undefined || typeof item === "function" || typeof item === "symbol") continue;
    // A "__proto__" key would set the copy's prototype; an ill-formed key moves when made well-formed.
    if (key === "__proto__" || !key.isWellFormed()) return NOT_PLAIN;
    const fixed = plainCopy(item, depth + 1);
    if (fixed === NOT_PLAIN) return NOT_PLAIN;
    copy[key] = fixed;
  }
  return copy;
}
