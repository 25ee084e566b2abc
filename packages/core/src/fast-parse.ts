import type { z } from "zod";

/** Returned by a compiled parser when it cannot vouch for a value; the caller then asks zod. */
export const UNSURE: unique symbol = Symbol("loom.fastParse.unsure");

type FastParser = (value: unknown) => unknown;

/**
 * Compiles a zod schema into a plain function that returns what `schema.parse` would return (a
 * copy, unknown object keys stripped), or `UNSURE`. It never accepts a value zod would reject and
 * never returns a different value: anything it does not understand, it leaves to zod (`UNSURE`),
 * so zod stays the one definition of every shape and the one source of error messages.
 *
 * Why: zod takes one to two microseconds per event, the largest single cost of an executor
 * iteration and of a journal replay. Code generated from the same definitions does the common
 * case (a valid event) about four times faster. See docs/adr/0006-executor-overhead.md.
 */
export function compileParser(schema: z.ZodType): FastParser {
  // Without code generation (a CSP that forbids eval) zod's own parse is the faster one.
  return canGenerate ? generatedParser(schema as unknown as ZodNode) : unsure;
}

// The parts of zod 4's internal definitions this compiler reads. Anything else: UNSURE.
interface ZodNode {
  readonly _zod: { readonly def: ZodDef };
}
interface ZodDef {
  readonly type: string;
  readonly checks?: readonly { readonly _zod: { readonly def: CheckDef } }[];
  readonly shape?: Record<string, ZodNode>;
  readonly catchall?: ZodNode;
  readonly innerType?: ZodNode;
  readonly element?: ZodNode;
  readonly items?: readonly ZodNode[];
  readonly rest?: ZodNode | null;
  readonly options?: readonly ZodNode[];
  readonly discriminator?: string;
  readonly values?: readonly unknown[];
  readonly entries?: Record<string, string | number>;
  readonly keyType?: ZodNode;
  readonly valueType?: ZodNode;
  readonly fn?: (value: unknown) => unknown;
  readonly check?: string;
}
interface CheckDef {
  readonly check: string;
  readonly format?: string;
  readonly value?: number | bigint;
  readonly inclusive?: boolean;
  readonly minimum?: number;
  readonly maximum?: number;
}

const unsure: FastParser = () => UNSURE;

/** Whether this platform lets us generate code (not under a CSP that forbids eval, for one). */
const canGenerate = (() => {
  try {
    return new Function("return true")() === true;
  } catch {
    return false;
  }
})();

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * A parser as one function of straight-line code, nested objects and arrays inlined, with literal
 * property names: V8 keeps the objects it builds in fast mode, which a loop over dynamic keys does
 * not (five times slower), and there is no call per field.
 */
function generatedParser(node: ZodNode): FastParser {
  const code = new CodeBuilder();
  const result = code.value(node, "v");
  const body = `${code.lines.join("\n")}\nreturn ${result};`;
  const factory = new Function("f", "U", "isPlainObject", "hasOwn", `return (v) => {\n${body}\n};`);
  return factory(code.calls, UNSURE, isPlainObject, Object.hasOwn) as FastParser;
}

class CodeBuilder {
  readonly lines: string[] = [];
  /** Functions the generated code calls: custom checks, discriminated unions. */
  readonly calls: ((value: unknown) => unknown)[] = [];
  private count = 0;

  private fresh(): string {
    return `t${this.count++}`;
  }

  private call(fn: (value: unknown) => unknown): string {
    return `f[${this.calls.push(fn) - 1}]`;
  }

  /**
   * Emits code that checks the value in variable `x` and returns U from the parser when it cannot
   * vouch for it; returns the variable holding the parsed value.
   */
  value(node: ZodNode, x: string): string {
    const def = node._zod.def;
    // A schema that is itself a check (z.int(), z.email()...) carries `check` on its def.
    const plain = def.check === undefined && (def.checks?.length ?? 0) === 0;
    const test = primitiveTest(def, x);
    if (test) {
      this.lines.push(`if (!(${test})) return U;`);
      return x;
    }
    if (def.type === "custom" && def.fn && (def.checks?.length ?? 0) === 0) {
      this.lines.push(`if (!${this.call(def.fn)}(${x})) return U;`);
      return x;
    }
    if (plain && def.type === "object" && !def.catchall) return this.object(def.shape!, x);
    if (plain && def.type === "array") {
      const out = this.fresh();
      const i = this.fresh();
      const item = this.fresh();
      this.lines.push(
        `if (!Array.isArray(${x})) return U;`,
        `const ${out} = new Array(${x}.length);`,
        `for (let ${i} = 0; ${i} < ${x}.length; ${i}++) {`,
        `const ${item} = ${x}[${i}];`,
      );
      const parsed = this.value(def.element!, item);
      this.lines.push(`${out}[${i}] = ${parsed};`, "}");
      return out;
    }
    if (plain && def.type === "tuple" && !def.rest) {
      const items = def.items!;
      this.lines.push(`if (!Array.isArray(${x}) || ${x}.length !== ${items.length}) return U;`);
      const parsed = items.map((item, i) => {
        const element = this.fresh();
        this.lines.push(`const ${element} = ${x}[${i}];`);
        return this.value(item, element);
      });
      const out = this.fresh();
      this.lines.push(`const ${out} = [${parsed.join(", ")}];`);
      return out;
    }
    const key = def.keyType?._zod.def;
    if (plain && def.type === "record" && key?.type === "string" && !key.check && !key.checks?.length) {
      const out = this.fresh();
      const k = this.fresh();
      const item = this.fresh();
      this.lines.push(
        `if (!isPlainObject(${x})) return U;`,
        `const ${out} = {};`,
        `for (const ${k} of Object.keys(${x})) {`,
        `const ${item} = ${x}[${k}];`,
      );
      const parsed = this.value(def.valueType!, item);
      this.lines.push(`${out}[${k}] = ${parsed};`, "}");
      return out;
    }
    if (plain && def.type === "optional") {
      const out = this.fresh();
      this.lines.push(`let ${out}; if (${x} !== undefined) {`);
      const parsed = this.value(def.innerType!, x);
      this.lines.push(`${out} = ${parsed};`, "}");
      return out;
    }
    if (plain && def.type === "union" && def.discriminator !== undefined) {
      const out = this.fresh();
      const parse = this.call(discriminatedParser(def.discriminator, def.options!));
      this.lines.push(`const ${out} = ${parse}(${x}); if (${out} === U) return U;`);
      return out;
    }
    this.lines.push("return U;");
    return x;
  }

  private object(shape: Record<string, ZodNode>, x: string): string {
    this.lines.push(`if (!isPlainObject(${x})) return U;`);
    const required: string[] = [];
    const optional: string[] = [];
    for (const [key, field] of Object.entries(shape)) {
      const k = JSON.stringify(key);
      const value = this.fresh();
      this.lines.push(`const ${value} = ${x}[${k}];`);
      if (field._zod.def.type === "optional") {
        const has = this.fresh();
        this.lines.push(`const ${has} = ${value} !== undefined || hasOwn(${x}, ${k});`);
        const parsed = this.value(field, value);
        optional.push(`if (${has}) OUT[${k}] = ${parsed};`);
      } else {
        this.lines.push(`if (${value} === undefined && !hasOwn(${x}, ${k})) return U;`);
        required.push(`${k}: ${this.value(field, value)}`);
      }
    }
    const out = this.fresh();
    this.lines.push(`const ${out} = { ${required.join(", ")} };`);
    for (const line of optional) this.lines.push(line.replace("OUT", out));
    return out;
  }
}

/**
 * The test of a value that passes through unchanged (string, number, boolean, literal, plain
 * string enum) with the checks we know (length, integer, bounds), as code over the variable `x`;
 * undefined for any other schema or check.
 */
function primitiveTest(def: ZodDef, x: string): string | undefined {
  if (def.check !== undefined) return undefined;
  const checks = def.checks ?? [];
  switch (def.type) {
    case "boolean":
      return checks.length === 0 ? `typeof ${x} === "boolean"` : undefined;
    case "literal":
    case "enum": {
      const values = def.type === "literal" ? (def.values ?? []) : enumValues(def);
      if (checks.length > 0 || !values?.every((v) => typeof v === "string" || typeof v === "number"))
        return undefined;
      return `(${values.map((v) => `${x} === ${JSON.stringify(v)}`).join(" || ")})`;
    }
    case "string":
    case "number":
      break;
    default:
      return undefined;
  }
  const tests =
    def.type === "string"
      ? [`typeof ${x} === "string"`]
      : [`typeof ${x} === "number"`, `Number.isFinite(${x})`];
  for (const check of checks) {
    const c = check._zod.def;
    const bound = c.check === "min_length" ? c.minimum : c.check === "max_length" ? c.maximum : c.value;
    if (c.check === "number_format" && c.format === "safeint") tests.push(`Number.isSafeInteger(${x})`);
    else if (typeof bound !== "number" || !Number.isFinite(bound)) return undefined;
    else if (c.check === "min_length") tests.push(`${x}.length >= ${bound}`);
    else if (c.check === "max_length") tests.push(`${x}.length <= ${bound}`);
    else if (c.check === "greater_than") tests.push(`${x} ${c.inclusive ? ">=" : ">"} ${bound}`);
    else if (c.check === "less_than") tests.push(`${x} ${c.inclusive ? "<=" : "<"} ${bound}`);
    else return undefined;
  }
  return tests.join(" && ");
}

/** Only the plain string enum (z.enum([...])); native enums have rules of their own. */
function enumValues(def: ZodDef): string[] | undefined {
  const entries = Object.entries(def.entries ?? {});
  if (entries.some(([key, value]) => key !== value)) return undefined;
  return entries.map(([key]) => key);
}

function discriminatedParser(discriminator: string, options: readonly ZodNode[]): FastParser {
  // Each option's code is generated the first time a value of it comes by: a process that reads
  // a few event types (a CLI, a serverless worker) compiles only those, and importing costs none.
  type Entry = { parse: FastParser | undefined; readonly option: ZodNode };
  const byValue = new Map<unknown, Entry>();
  for (const option of options) {
    const literal = option._zod.def.shape?.[discriminator]?._zod.def;
    if (literal?.type !== "literal" || !literal.values) return unsure;
    const entry: Entry = { parse: undefined, option };
    for (const value of literal.values) {
      if (byValue.has(value)) return unsure;
      byValue.set(value, entry);
    }
  }
  return (v) => {
    if (!isPlainObject(v)) return UNSURE;
    const entry = byValue.get(v[discriminator]);
    if (!entry) return UNSURE;
    entry.parse ??= generatedParser(entry.option);
    return entry.parse(v);
  };
}
