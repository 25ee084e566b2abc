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
  return canGenerate ? compile(schema as unknown as ZodNode) : unsure;
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

/**
 * A primitive's check, twice: as code for generated object parsers (inlined, no call) and as a
 * function for everything else. Both are built from the same list of checks below.
 */
interface Test {
  readonly code: (x: string) => string;
  readonly fn: (v: unknown) => boolean;
}

interface Compiled {
  readonly parse: FastParser;
  /** Set for primitives: the value passes through unchanged when the test holds. */
  readonly test?: Test;
}

const UNKNOWN: Compiled = { parse: unsure };

function compile(node: ZodNode): FastParser {
  return compileNode(node).parse;
}

function fromTest(test: Test): Compiled {
  const fn = test.fn;
  return { parse: (v) => (fn(v) ? v : UNSURE), test };
}

function compileNode(node: ZodNode): Compiled {
  const def = node._zod.def;
  // A schema that is itself a check (z.int(), z.email()...) carries `check` on its def.
  if (def.check !== undefined && def.type !== "custom") return UNKNOWN;
  const checked = (def.checks?.length ?? 0) > 0;
  switch (def.type) {
    case "string":
    case "number": {
      const test = primitiveTest(def);
      return test ? fromTest(test) : UNKNOWN;
    }
    case "boolean":
      if (checked) return UNKNOWN;
      return fromTest({ code: (x) => `typeof ${x} === "boolean"`, fn: (v) => typeof v === "boolean" });
    case "literal":
    case "enum": {
      if (checked) return UNKNOWN;
      const values = def.type === "literal" ? (def.values ?? []) : enumValues(def);
      if (!values?.every((v): v is string | number => typeof v === "string" || typeof v === "number"))
        return UNKNOWN;
      return fromTest({
        code: (x) => `(${values.map((v) => `${x} === ${JSON.stringify(v)}`).join(" || ")})`,
        fn: (v) => (values as readonly unknown[]).includes(v),
      });
    }
    case "optional": {
      if (checked) return UNKNOWN;
      const inner = compile(def.innerType!);
      return { parse: (v) => (v === undefined ? undefined : inner(v)) };
    }
    case "custom": {
      const fn = def.fn;
      if (!fn || checked) return UNKNOWN;
      return { parse: (v) => (fn(v) ? v : UNSURE) };
    }
    case "array":
      if (checked) return UNKNOWN;
      return { parse: arrayParser(compile(def.element!)) };
    case "tuple":
      if (checked || def.rest) return UNKNOWN;
      return { parse: tupleParser(def.items!.map((item) => compile(item))) };
    case "record":
      if (checked || def.keyType?._zod.def.type !== "string" || def.keyType._zod.def.checks?.length)
        return UNKNOWN;
      return { parse: recordParser(compile(def.valueType!)) };
    case "object":
      if (checked || def.catchall) return UNKNOWN;
      return { parse: generatedParser(node) };
    case "union":
      if (checked || def.discriminator === undefined) return UNKNOWN;
      return { parse: discriminatedParser(def.discriminator, def.options!) };
    default:
      return UNKNOWN;
  }
}

/** Only the plain string enum (z.enum([...])); native enums have rules of their own. */
function enumValues(def: ZodDef): string[] | undefined {
  const entries = Object.entries(def.entries ?? {});
  if (entries.some(([key, value]) => key !== value)) return undefined;
  return entries.map(([key]) => key);
}

/** Strings and numbers: the type test plus the checks we know (length, integer, bounds). */
function primitiveTest(def: ZodDef): Test | undefined {
  const codes: ((x: string) => string)[] =
    def.type === "string"
      ? [(x) => `typeof ${x} === "string"`]
      : [(x) => `typeof ${x} === "number"`, (x) => `Number.isFinite(${x})`];
  const fns: ((v: never) => boolean)[] =
    def.type === "string"
      ? [(v) => typeof v === "string"]
      : [(v) => typeof v === "number", (v: number) => Number.isFinite(v)];
  for (const check of def.checks ?? []) {
    const c = check._zod.def;
    const bound = c.check === "min_length" ? c.minimum : c.check === "max_length" ? c.maximum : c.value;
    if (c.check === "number_format" && c.format === "safeint") {
      codes.push((x) => `Number.isSafeInteger(${x})`);
      fns.push((v: number) => Number.isSafeInteger(v));
    } else if (typeof bound !== "number" || !Number.isFinite(bound)) {
      return undefined;
    } else if (c.check === "min_length") {
      codes.push((x) => `${x}.length >= ${bound}`);
      fns.push((v: string) => v.length >= bound);
    } else if (c.check === "max_length") {
      codes.push((x) => `${x}.length <= ${bound}`);
      fns.push((v: string) => v.length <= bound);
    } else if (c.check === "greater_than") {
      const op = c.inclusive ? ">=" : ">";
      codes.push((x) => `${x} ${op} ${bound}`);
      fns.push(c.inclusive ? (v: number) => v >= bound : (v: number) => v > bound);
    } else if (c.check === "less_than") {
      const op = c.inclusive ? "<=" : "<";
      codes.push((x) => `${x} ${op} ${bound}`);
      fns.push(c.inclusive ? (v: number) => v <= bound : (v: number) => v < bound);
    } else {
      return undefined;
    }
  }
  return {
    code: (x) => `(${codes.map((c) => c(x)).join(" && ")})`,
    fn: (v) => fns.every((f) => f(v as never)),
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * An object parser as one function of straight-line code, nested objects and arrays inlined, with
 * literal property names: V8 keeps the objects it builds in fast mode, which a loop over dynamic
 * keys does not (five times slower), and there is no call per field. What it cannot inline it
 * calls as a closure.
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
  readonly calls: FastParser[] = [];
  private count = 0;

  private fresh(): string {
    return `t${this.count++}`;
  }

  /** Emits code that checks the value in variable `x`; returns the variable holding the result. */
  value(node: ZodNode, x: string): string {
    const def = node._zod.def;
    const plain = def.check === undefined && (def.checks?.length ?? 0) === 0;
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
    if (plain && def.type === "optional") {
      const out = this.fresh();
      this.lines.push(`let ${out}; if (${x} !== undefined) {`);
      const parsed = this.value(def.innerType!, x);
      this.lines.push(`${out} = ${parsed};`, "}");
      return out;
    }
    const compiled = compileNode(node);
    if (compiled.test) {
      this.lines.push(`if (!(${compiled.test.code(x)})) return U;`);
      return x;
    }
    if (compiled.parse === unsure) {
      this.lines.push("return U;");
      return x;
    }
    const out = this.fresh();
    const index = this.calls.push(compiled.parse) - 1;
    this.lines.push(`const ${out} = f[${index}](${x}); if (${out} === U) return U;`);
    return out;
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

function arrayParser(element: FastParser): FastParser {
  return (v) => {
    if (!Array.isArray(v)) return UNSURE;
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) {
      const parsed = element(v[i]);
      if (parsed === UNSURE) return UNSURE;
      out[i] = parsed;
    }
    return out;
  };
}

function tupleParser(items: FastParser[]): FastParser {
  return (v) => {
    if (!Array.isArray(v) || v.length !== items.length) return UNSURE;
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < items.length; i++) {
      const parsed = items[i]!(v[i]);
      if (parsed === UNSURE) return UNSURE;
      out[i] = parsed;
    }
    return out;
  };
}

function recordParser(value: FastParser): FastParser {
  return (v) => {
    if (!isPlainObject(v)) return UNSURE;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v)) {
      const parsed = value(v[key]);
      if (parsed === UNSURE) return UNSURE;
      out[key] = parsed;
    }
    return out;
  };
}

function discriminatedParser(discriminator: string, options: readonly ZodNode[]): FastParser {
  const byValue = new Map<unknown, FastParser>();
  for (const option of options) {
    const literal = option._zod.def.shape?.[discriminator]?._zod.def;
    if (literal?.type !== "literal" || !literal.values) return unsure;
    const parse = compile(option);
    for (const value of literal.values) {
      if (byValue.has(value)) return unsure;
      byValue.set(value, parse);
    }
  }
  return (v) => {
    if (!isPlainObject(v)) return UNSURE;
    const parse = byValue.get(v[discriminator]);
    return parse ? parse(v) : UNSURE;
  };
}
