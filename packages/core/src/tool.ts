import { z } from "zod";
import { ConfigError } from "./errors.js";
import type { ExecutionFrame } from "./frame.js";
import type { Usage } from "./messages.js";
import type { ToolSpec } from "./provider.js";

/** What a tool whose outcome is unknown after a crash gets on resume, when it is not idempotent. */
export type UnknownOutcomePolicy = "retry" | "fail" | "ask";

export interface ToolContext {
  /** Aborted when the run is cancelled or the tool's timeout passes. */
  readonly signal: AbortSignal;
  /**
   * `<threadId>/<callId>@<seq>`: the same on every attempt of this call, across crashes and
   * processes, and never the same for two calls (of any frame, run or thread).
   */
  readonly idempotencyKey: string;
  /** The model's id for the call (unique in its turn only). */
  readonly callId: string;
  /** The call's identity in its thread: `<callId>@<seq>` (see `CallState.ref`). */
  readonly callRef: string;
  /** The frame as it was when the tool started. */
  readonly frame: ExecutionFrame;
  /** Streams a `tool.progress` event to the caller (not journaled). */
  reportProgress(progress: unknown): void;
  /**
   * Counts the tokens of a model call the tool made itself (a summarizer, an MCP server's sampling
   * request) in the run's usage: journaled with the call's `tool.completed` (`modelUsage`, by
   * model), so `frame.usage`, `threadUsage` and token and cost limits include them. Reported while
   * the tool runs; a report after the call returned, timed out or was cancelled is not counted. A
   * usage that is not whole non-negative token counts is a `ConfigError`.
   */
  reportUsage(usage: Usage, model?: { readonly provider: string; readonly model: string }): void;
  /**
   * Runs `run` once for this call, whatever its attempts: what it returns is journaled (`tool.step`,
   * as JSON) before `step` resolves, and when the call runs again (its process was killed mid-call
   * and the run resumed, an unknown outcome run again, in any process) `step` returns what was
   * journaled without running it. For a tool that does several things, each with an effect: a
   * charge that went through is not made twice when the call is run again to send the receipt.
   * `name` identifies the step across attempts (unique within the call: `charge-${i}` in a loop).
   * The value comes back as JSON both times (a `Date` as its string). A step that throws journals
   * nothing and runs again next time; one that ends after the call returned, timed out or was
   * cancelled is not journaled. What a crash cuts between a step's effect and its write is run
   * again, as for the call itself: make such effects idempotent (`idempotencyKey`).
   */
  step<T>(name: string, run: () => T | Promise<T>): Promise<T>;
}

export interface ToolDefinition<Input, Output> {
  readonly name: string;
  readonly description: string;
  readonly input: z.ZodType<Input>;
  run(args: Input, context: ToolContext): Promise<Output> | Output;
  /** Running it twice with the same idempotency key has the effect of running it once. Default false. */
  readonly idempotent?: boolean;
  /** Default "fail": the model is told the outcome is unknown. */
  readonly onUnknownOutcome?: UnknownOutcomePolicy;
  /**
   * The tool changes nothing outside the run (it reads, searches or computes). Default false.
   * A turn whose calls are all read-only runs them while the write of their `tool.started` is still
   * in flight, rather than after it (ADR 0015); a crash before that write is durable loses the
   * record, and the resumed run asks the model again. Such a tool also runs again when its outcome
   * is unknown after a crash. Say it only of a tool that is truly without effects: one that writes,
   * sends or charges would act with no record of it.
   */
  readonly readOnly?: boolean;
  /** Overrides the agent's `toolTimeoutMs`. */
  readonly timeoutMs?: number;
}

export interface Tool<Input = unknown, Output = unknown> extends ToolDefinition<Input, Output> {
  readonly idempotent: boolean;
  readonly onUnknownOutcome: UnknownOutcomePolicy;
  /** The JSON Schema sent to providers, generated once from `input`. */
  readonly spec: ToolSpec;
}

const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Defines a tool. Its JSON Schema comes from the same zod schema that validates the model's arguments. */
export function tool<Input, Output>(definition: ToolDefinition<Input, Output>): Tool<Input, Output> {
  if (!TOOL_NAME.test(definition.name)) {
    throw new ConfigError(
      `Tool name ${JSON.stringify(definition.name)} is invalid: use 1 to 64 letters, digits, "_" or "-" (what model APIs accept).`,
    );
  }
  if (!(definition.input instanceof z.ZodType)) {
    throw new ConfigError(`Tool "${definition.name}": ${notAZodSchema(definition.input)}`);
  }
  if (definition.readOnly !== undefined && typeof definition.readOnly !== "boolean") {
    throw new ConfigError(
      `Tool "${definition.name}": readOnly must be true or false; got ${JSON.stringify(definition.readOnly)}.`,
    );
  }
  if (definition.timeoutMs !== undefined && !(definition.timeoutMs > 0)) {
    throw new ConfigError(`Tool "${definition.name}": timeoutMs must be a positive number of milliseconds.`);
  }
  const spec = {
    name: definition.name,
    description: definition.description,
    inputSchema: toJsonSchema(definition),
  };
  if (spec.inputSchema.type !== "object") {
    throw new ConfigError(
      `Tool "${definition.name}": "input" must be an object schema (z.object({ ... })), because models send a tool's arguments as a JSON object; got a schema of type ${JSON.stringify(spec.inputSchema.type ?? "unknown")}. Wrap it: z.object({ value: ${describeSchemaType(spec.inputSchema)} }).`,
    );
  }
  return {
    ...definition,
    idempotent: definition.idempotent ?? false,
    onUnknownOutcome: definition.onUnknownOutcome ?? "fail",
    readOnly: definition.readOnly ?? false,
    spec,
  };
}

function describeSchemaType(schema: Record<string, unknown>): string {
  return typeof schema.type === "string" ? `z.${schema.type}()` : "yourSchema";
}

/** The zod @loom/core supports: its peer dependency range (package.json "peerDependencies".zod). */
const SUPPORTED_ZOD = "^4.1.0";

type ZodVersion = { major?: number; minor?: number; patch?: number };
const versionOf = (schema: { _zod?: { version?: ZodVersion } }): ZodVersion | undefined =>
  schema._zod?.version;
const show = (v: ZodVersion | undefined) =>
  v?.major === undefined ? undefined : `${v.major}.${v.minor}.${v.patch}`;

/** Why `input` is not a schema this zod can use, and what to do. */
function notAZodSchema(input: unknown): string {
  const candidate = input as {
    _def?: unknown;
    _zod?: { version?: ZodVersion };
    "~standard"?: { vendor?: unknown };
  } | null;
  if (candidate && typeof candidate === "object" && "_zod" in candidate) {
    const theirs = versionOf(candidate);
    const ours = show(versionOf(z.string() as never)) ?? "4";
    const tooOld = theirs?.major === 4 && (theirs.minor ?? 0) < 1;
    return `"input" is a zod 4 schema from another copy of zod (${show(theirs) ? `zod ${show(theirs)}` : "another version"}) than the one @loom/core uses (zod ${ours}). zod is a peer dependency of @loom/core (${SUPPORTED_ZOD}): give your app a single zod, "zod": "${SUPPORTED_ZOD}" in its package.json, reinstall, and check that \`npm ls zod\` lists one version${tooOld ? `; zod ${show(theirs)} is older than Loom supports: npm install zod@${SUPPORTED_ZOD}` : ""}.`;
  }
  if (candidate && typeof candidate === "object" && "_def" in candidate) {
    return `"input" is a zod 3 schema; @loom/core needs zod 4 (${SUPPORTED_ZOD}, a peer dependency of @loom/core). Upgrade your app's zod (npm install zod@${SUPPORTED_ZOD}) and build tool schemas with import { z } from "zod". zod 3.25's "zod/v4" subpath does not help: Loom uses your app's "zod" package itself, so that package must be zod 4.`;
  }
  if (candidate && typeof candidate === "object" && candidate["~standard"]) {
    return `"input" is a ${String(candidate["~standard"].vendor)} schema; Loom tools take zod 4 schemas (zod ${SUPPORTED_ZOD}, a peer dependency of @loom/core): z.object({ ... }) from "zod".`;
  }
  return `"input" must be a zod 4 schema (z.object({ ... }) from "zod" ${SUPPORTED_ZOD}), got ${input === null ? "null" : typeof input}.`;
}

function toJsonSchema(definition: ToolDefinition<unknown, unknown>): Record<string, unknown> {
  try {
    const { $schema: _ignored, ...schema } = z.toJSONSchema(definition.input, { io: "input" }) as Record<
      string,
      unknown
    >;
    return schema;
  } catch (cause) {
    throw new ConfigError(
      `Tool "${definition.name}": its input schema cannot be expressed as JSON Schema (${(cause as Error).message}). Use plain zod types (objects, strings, numbers, enums, arrays).`,
    );
  }
}
