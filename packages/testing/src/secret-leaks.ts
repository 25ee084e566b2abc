import { inspect } from "node:util";

/**
 * Every place where `secret` can be read from `value`: its `String()`, its JSON, what
 * `util.inspect(value, { depth: Infinity, showHidden: true })` (and so `console.error`) prints,
 * and, walking the object graph, every own property (non-enumerable and symbol-keyed ones too:
 * `message`, `stack`, `cause` at any depth), every entry of a `Map`, `Set` or `Headers`. Returns
 * the paths, e.g. `["inspect", "$.cause.error.message"]`; empty when the secret is nowhere.
 */
export function secretLeaks(value: unknown, secret: string): string[] {
  if (!secret) throw new Error("secretLeaks: the secret is empty");
  const leaks: string[] = [];
  const check = (where: string, text: () => string | undefined) => {
    try {
      if (text()?.includes(secret)) leaks.push(where);
    } catch {
      // A value that cannot be printed this way shows nothing this way.
    }
  };
  check("String", () => String(value));
  check("JSON", () => JSON.stringify(value));
  check("inspect", () => inspect(value, { depth: Number.POSITIVE_INFINITY, showHidden: true }));
  walk(value, "$", new Set(), secret, leaks);
  return leaks;
}

function walk(value: unknown, path: string, seen: Set<unknown>, secret: string, leaks: string[]): void {
  if (typeof value === "string") {
    if (value.includes(secret)) leaks.push(path);
    return;
  }
  if ((typeof value !== "object" && typeof value !== "function") || value === null || seen.has(value)) return;
  seen.add(value);
  if (value instanceof Map || value instanceof Headers) {
    for (const [k, v] of (value as Map<unknown, unknown>).entries()) {
      walk(k, `${path}<key>`, seen, secret, leaks);
      walk(v, `${path}[${String(k)}]`, seen, secret, leaks);
    }
  } else if (value instanceof Set) {
    let i = 0;
    for (const v of value) walk(v, `${path}<${i++}>`, seen, secret, leaks);
  }
  for (const key of Reflect.ownKeys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    let property: unknown;
    try {
      property = descriptor && "value" in descriptor ? descriptor.value : Reflect.get(value, key);
    } catch {
      continue;
    }
    walk(property, `${path}.${String(key)}`, seen, secret, leaks);
  }
}
