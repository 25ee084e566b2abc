import { isDeepStrictEqual } from "node:util";

/** A conformance check that did not hold. Its message says what the journal did and what it should. */
export class ConformanceFailure extends Error {
  override name = "ConformanceFailure";
}

/** Thrown by a check that cannot run for this journal: it is reported as skipped, with the reason. */
export class CheckSkipped extends Error {
  override name = "CheckSkipped";
}

export function fail(message: string): never {
  throw new ConformanceFailure(message);
}

export function check(condition: boolean, message: string): asserts condition {
  if (!condition) fail(message);
}

const shown = (value: unknown) => {
  const text = JSON.stringify(value, (_, v: unknown) =>
    typeof v === "string" && v.length > 80 ? `${v.slice(0, 40)}…(${v.length} chars)` : v,
  );
  return text === undefined ? String(value) : text.length > 600 ? `${text.slice(0, 600)}…` : text;
};

/** Deep equality; on failure, the first array index that differs is named. */
export function equal(actual: unknown, expected: unknown, what: string): void {
  if (isDeepStrictEqual(actual, expected)) return;
  if (Array.isArray(actual) && Array.isArray(expected)) {
    const at = actual.findIndex((item, i) => !isDeepStrictEqual(item, expected[i]));
    const index = at === -1 ? Math.min(actual.length, expected.length) : at;
    fail(
      `${what}: got ${actual.length} items, expected ${expected.length}; first difference at index ${index}: got ${shown(actual[index])}, expected ${shown(expected[index])}`,
    );
  }
  fail(`${what}: got ${shown(actual)}, expected ${shown(expected)}`);
}

const describeError = (error: unknown) =>
  typeof error === "object" && error !== null
    ? `${(error as { name?: string }).name ?? "object"} (code ${shown((error as { code?: unknown }).code)}): ${String((error as { message?: unknown }).message ?? "").slice(0, 300)}`
    : shown(error);

/** Runs `action`, which must fail with a LoomError whose `code` is one of `codes`. Returns the error. */
export async function rejects(
  action: () => unknown,
  codes: string | readonly string[],
  what: string,
): Promise<unknown> {
  const wanted = typeof codes === "string" ? [codes] : codes;
  let outcome: unknown;
  try {
    outcome = await action();
  } catch (error) {
    const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
    check(
      typeof code === "string" && wanted.includes(code),
      `${what}: expected an error with code ${wanted.map((c) => `"${c}"`).join(" or ")}, got ${describeError(error)}`,
    );
    return error;
  }
  return fail(
    `${what}: expected an error with code "${wanted.join('" or "')}", but it succeeded (${shown(outcome)})`,
  );
}
