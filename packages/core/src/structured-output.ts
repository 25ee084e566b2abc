import { z } from "zod";
import { ConfigError } from "./errors.js";
import type { ResponseFormat } from "./provider.js";

/** What the executor needs to check a final answer against the agent's `output` schema. */
export interface OutputRuntime {
  readonly schema: z.ZodType;
  readonly format: ResponseFormat;
  /** Answers that fail the schema fed back to the model before the run fails with `invalid_output`. */
  readonly retries: number;
}

/**
 * An `output` option (the agent's, or one run's) as what providers are sent and what the executor
 * checks. `where` names the option in errors.
 */
export function outputRuntime(
  schema: unknown,
  retries: number,
  name: string,
  where = 'createAgent: "output"',
): OutputRuntime {
  if (!(schema instanceof z.ZodType)) {
    throw new ConfigError(`${where} must be a zod schema, e.g. z.object({ answer: z.string() }).`);
  }
  let json: Record<string, unknown>;
  try {
    const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: "output" }) as Record<
      string,
      unknown
    >;
    json = rest;
  } catch (error) {
    throw new ConfigError(
      `${where} schema has no JSON Schema form (${error instanceof Error ? error.message : String(error)}); use plain data types.`,
    );
  }
  return {
    schema,
    retries,
    format: {
      type: "json",
      name: name.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64) || "output",
      schema: json,
      ...(schema.description !== undefined ? { description: schema.description } : {}),
    },
  };
}

/** The system prompt's line for a provider without native structured output: answer in JSON. */
export function promptedInstruction(format: ResponseFormat): string {
  return `Give your final answer as one JSON value, with no other text, that matches this JSON Schema:\n${JSON.stringify(format.schema)}`;
}

export type OutputCheck =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly message: string };

/**
 * The final answer's text as the schema's output: JSON (in a Markdown code fence or not), then the
 * schema. A failure says what to fix, in words the model can act on.
 */
export function checkOutput(schema: z.ZodType, text: string): OutputCheck {
  const trimmed = text.trim();
  const fenced = /^```(?:json)?\s*\n([\s\S]*?)\n?```$/i.exec(trimmed);
  let json: unknown;
  try {
    json = JSON.parse(fenced ? fenced[1]! : trimmed);
  } catch (error) {
    return {
      ok: false,
      message: `Your answer is not valid JSON (${error instanceof Error ? error.message : String(error)}). Answer again with only the JSON value.`,
    };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues
    .slice(0, 10)
    .map((issue) => `- ${issue.path.length > 0 ? issue.path.join(".") : "(the value)"}: ${issue.message}`)
    .join("\n");
  return {
    ok: false,
    message: `Your answer does not match the required JSON Schema:\n${issues}\nAnswer again with only the corrected JSON value.`,
  };
}
